"""Which app a request is for, and whether an SDK may write to it.

Order of checks (http-api.md): an unknown app is 404 whatever the key, so a
caller cannot probe keys of apps that do not exist, and a known app with a
wrong or missing ``X-Attrib-Key`` is 401. The key is compared in constant
time. Before the configuration cache finished its first load nothing is
known, so requests get 503 (retry) rather than a wrong 404.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from attrib.config import AppConfig
from attrib.web.errors import ApiError
from attrib.web.keys import CONFIG_CACHE

SDK_KEY_HEADER = "X-Attrib-Key"
RETRY_AFTER = {"Retry-After": "5"}


def app_config(request: web.Request) -> tuple[str, AppConfig]:
    """``(app_id, configuration)`` of the app in the path; 404 unknown, 503 not loaded yet."""
    app_id = request.match_info["app_id"]
    cache = request.app[CONFIG_CACHE]
    config = cache.get(app_id)
    if config is None:
        if not cache.loaded:
            raise ApiError(
                503,
                "not_ready",
                "app configurations are still loading; retry shortly",
                headers=RETRY_AFTER,
            )
        raise ApiError(404, "unknown_app", f"no app {app_id[:100]!r} is registered", field="app_id")
    return app_id, config


def authorised_app(request: web.Request) -> tuple[str, AppConfig]:
    """Like :func:`app_config`, plus the SDK key check (401)."""
    app_id, config = app_config(request)
    presented = request.headers.get(SDK_KEY_HEADER)
    if not presented:
        raise ApiError(
            401, "unauthorized", f"the {SDK_KEY_HEADER} header is required", field=SDK_KEY_HEADER
        )
    if not hmac.compare_digest(
        presented.encode("utf-8", "surrogateescape"), config.sdk_key.encode("utf-8")
    ):
        raise ApiError(
            401, "unauthorized", f"the {SDK_KEY_HEADER} header is wrong", field=SDK_KEY_HEADER
        )
    return app_id, config


__all__ = ["SDK_KEY_HEADER", "app_config", "authorised_app"]
