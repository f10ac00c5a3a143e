"""Tracking links: ``GET /v1/click/{app_id}`` and ``GET /v1/impression/{app_id}``.

Public (no key): ad networks and browsers call them. A click is recorded on
``clicks`` and answered with a redirect to the store (see
:mod:`attrib.collector.redirects`); an impression on ``impressions``,
answered 204. ``redirect=false`` answers ``200 {"touch_id"}`` instead, for
server-to-server senders. Either answer is sent only after Kafka
acknowledged the touch, so a touch a network was told about is never lost.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web
from aiohttp.hdrs import CACHE_CONTROL, LOCATION
from multidict import MultiDictProxy

from attrib import topics
from attrib.avro.records import TOUCH
from attrib.collector.access import app_config
from attrib.collector.clock import now_ms
from attrib.collector.context import ORIGIN, PRODUCER
from attrib.collector.encoding import encode_record
from attrib.collector.fields import param_flag
from attrib.collector.redirects import store_redirect_url
from attrib.collector.touch_ids import new_touch_id
from attrib.collector.touches import touch_record
from attrib.keys import touch_record_key
from attrib.rules.model import CLICK, IMPRESSION
from attrib.web.handlers import api_route

CLICK_PATH: Final = "/v1/click/{app_id}"
IMPRESSION_PATH: Final = "/v1/impression/{app_id}"
_NO_STORE: Final = "no-store"


def _touch(
    request: web.Request,
    params: MultiDictProxy[str],
    app_id: str,
    received: int,
    touch_type: str,
) -> tuple[str, str, bytes, bytes]:
    """Validate one touch: ``(touch_id, media_source, key, Avro value)``; 400 if invalid."""
    ip, user_agent = request.app[ORIGIN].resolve(
        request, params.get("ip"), params.get("ua"), "ip", "ua"
    )
    touch_id = new_touch_id(received)
    record = touch_record(
        params,
        app_id=app_id,
        touch_type=touch_type,
        touch_id=touch_id,
        received_ms=received,
        ip=ip,
        user_agent=user_agent,
    )
    key = touch_record_key(app_id, record["device_key"], touch_id)
    return touch_id, record["media_source"], key, encode_record(TOUCH, record)


def _redirect(params: MultiDictProxy[str]) -> bool:
    """The link's ``redirect`` flag (default true)."""
    return True if params.get("redirect") is None else param_flag(params, "redirect", True)


async def click(request: web.Request) -> web.Response:
    received = now_ms()
    app_id, config = app_config(request)
    params = request.query
    redirect = _redirect(params)
    touch_id, media_source, key, value = _touch(request, params, app_id, received, CLICK)
    await request.app[PRODUCER].produce(topics.CLICKS, key, value)
    if not redirect:
        return web.json_response({"touch_id": touch_id})
    location = store_redirect_url(config.platform, config.store_url, touch_id, media_source)
    return web.Response(status=302, headers={LOCATION: location, CACHE_CONTROL: _NO_STORE})


async def impression(request: web.Request) -> web.Response:
    received = now_ms()
    app_id, _ = app_config(request)
    params = request.query
    redirect = _redirect(params)
    touch_id, _, key, value = _touch(request, params, app_id, received, IMPRESSION)
    await request.app[PRODUCER].produce(topics.IMPRESSIONS, key, value)
    if not redirect:
        return web.json_response({"touch_id": touch_id})
    return web.Response(status=204, headers={CACHE_CONTROL: _NO_STORE})


def add_routes(app: web.Application) -> None:
    app.router.add_get(CLICK_PATH, api_route(click), allow_head=False)
    app.router.add_get(IMPRESSION_PATH, api_route(impression), allow_head=False)


__all__ = ["CLICK_PATH", "IMPRESSION_PATH", "add_routes", "click", "impression"]
