"""``GET /v1/sdk/{app_id}/conversion-data``: who brought this user (R37).

The decision lives in the workers' ``conversion-data`` table, so the
collector checks the SDK key (the workers do not know it) and forwards the
request to a worker (``ATTRIB_WORKER_URL``) with the internal credential
(:mod:`attrib.web.internal`), which routes it on to the worker owning the
device's key. A worker that cannot be reached is a 503
with ``Retry-After``: the SDK asks again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

import aiohttp
from aiohttp import web

from attrib.collector.access import RETRY_AFTER, authorised_app
from attrib.web.errors import ApiError
from attrib.web.handlers import api_route
from attrib.web.internal import HEADER, internal_credential
from attrib.web.keys import SETTINGS

CONVERSION_PATH: Final = "/v1/sdk/{app_id}/conversion-data"
WORKER_TIMEOUT_S: Final = 2.0
HTTP_CLIENT = web.AppKey("worker_http_client", aiohttp.ClientSession)


async def conversion_data(request: web.Request) -> web.Response:
    app_id, _ = authorised_app(request)
    device_id = request.query.get("device_id", "").strip()
    if not device_id:
        raise ApiError(400, "missing_parameter", "device_id is required", field="device_id")
    base = request.app[SETTINGS].worker_url.rstrip("/")
    url = f"{base}/v1/sdk/{app_id}/conversion-data"
    try:
        headers = {HEADER: internal_credential(request.app[SETTINGS])}
        async with request.app[HTTP_CLIENT].get(
            url, params={"device_id": device_id}, headers=headers
        ) as resp:
            body = await resp.read()
            status = resp.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ApiError(
            503,
            "worker_unavailable",
            f"no worker answered: {type(exc).__name__}",
            headers=RETRY_AFTER,
        ) from exc
    if status == 200:
        return web.Response(body=body, status=200, content_type="application/json")
    if status == 404:
        raise ApiError(404, "not_found", "nothing is decided for this device yet")
    raise ApiError(503, "worker_unavailable", f"the worker answered {status}", headers=RETRY_AFTER)


async def _client_lifetime(app: web.Application) -> AsyncIterator[None]:
    timeout = aiohttp.ClientTimeout(total=WORKER_TIMEOUT_S)
    app[HTTP_CLIENT] = aiohttp.ClientSession(timeout=timeout)
    yield
    await app[HTTP_CLIENT].close()


def add_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(_client_lifetime)
    app.router.add_get(CONVERSION_PATH, api_route(conversion_data), allow_head=False)


__all__ = ["CONVERSION_PATH", "add_routes", "conversion_data"]
