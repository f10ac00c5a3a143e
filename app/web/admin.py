"""Admin routes: create, replace and read app configurations (http-api.md, Admin).

``PUT /v1/apps/{app_id}`` validates the whole document, keeps the app's
current ``sdk_key`` when the body has none (replacing a configuration must
not lock out SDKs already in the field), stores the new version on the
app-config topic and answers the stored document. Reads come from the local
configuration cache, which the writer updates as soon as Kafka acknowledged.
"""

from __future__ import annotations

from aiohttp import web

from attrib.config import ConfigError, validate_app_config, validate_app_id
from attrib.registry import AppConfigCache, RegistryUnavailable
from attrib.web.auth import require_admin
from attrib.web.bodies import read_json_body
from attrib.web.errors import ApiError
from attrib.web.handlers import api_route
from attrib.web.keys import CONFIG_CACHE, CONFIG_WRITER

RETRY_AFTER_SECONDS = "5"
VERSION_HEADER = "X-Attrib-Config-Version"


def _loaded_cache(request: web.Request) -> AppConfigCache:
    cache = request.app[CONFIG_CACHE]
    if not cache.loaded:
        raise ApiError(
            503,
            "not_ready",
            "app configurations are still loading; retry shortly",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    return cache


def _invalid(exc: ConfigError) -> ApiError:
    return ApiError(400, "invalid_config", str(exc), field=exc.field)


async def put_app(request: web.Request) -> web.Response:
    require_admin(request)
    app_id = request.match_info["app_id"]
    try:
        validate_app_id(app_id)
    except ConfigError as exc:
        raise _invalid(exc) from exc
    body = await read_json_body(request)
    cache = _loaded_cache(request)
    current = cache.get(app_id)
    try:
        config = validate_app_config(
            app_id, body, existing_sdk_key=current.sdk_key if current else None
        )
    except ConfigError as exc:
        raise _invalid(exc) from exc
    try:
        stored = await request.app[CONFIG_WRITER].put(config)
    except RegistryUnavailable as exc:
        raise ApiError(
            503,
            "unavailable",
            f"the configuration was not stored: {exc}",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        ) from exc
    return web.json_response(
        stored.config.to_json_dict(), headers={VERSION_HEADER: str(stored.version)}
    )


async def get_app(request: web.Request) -> web.Response:
    require_admin(request)
    app_id = request.match_info["app_id"]
    entry = _loaded_cache(request).entry(app_id)
    if entry is None:
        raise ApiError(404, "not_found", f"no app {app_id!r} is registered")
    return web.json_response(
        entry.config.to_json_dict(), headers={VERSION_HEADER: str(entry.version)}
    )


async def list_apps(request: web.Request) -> web.Response:
    require_admin(request)
    configs = _loaded_cache(request).all()
    return web.json_response({"apps": [config.to_json_dict() for config in configs]})


def add_routes(app: web.Application) -> None:
    app.router.add_put("/v1/apps/{app_id}", api_route(put_app))
    app.router.add_get("/v1/apps/{app_id}", api_route(get_app), allow_head=False)
    app.router.add_get("/v1/apps", api_route(list_apps), allow_head=False)


__all__ = ["add_routes"]
