"""SDK endpoints: ``POST /v1/sdk/{app_id}/install | session | event``.

Each call is one record on ``installs``, ``sessions`` or ``events``, keyed
``app_id|device_key`` (:func:`attrib.keys.device_record_key`), answered
``202 {"status": "accepted", "event_id"}`` once Kafka acknowledged it. A
repeated ``event_id`` is written again and counted once downstream (R26), so
an SDK may retry any call that did not get its 202.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from json.encoder import encode_basestring_ascii as _json_string
from typing import Any, Final

from aiohttp import web
from aiohttp.hdrs import CONTENT_TYPE

from attrib.collector.access import authorised_app
from attrib.collector.clock import now_ms
from attrib.collector.context import ORIGIN, PRODUCER
from attrib.collector.encoding import encode_record
from attrib.collector.jsonbody import read_json_object
from attrib.collector.producer import OutgoingRecord
from attrib.collector.sdk_records import EVENT, INSTALL, KINDS, SESSION, sdk_record
from attrib.keys import device_record_key
from attrib.web.handlers import api_route

SDK_PATH: Final = "/v1/sdk/{app_id}/"
_JSON_HEADERS: Final = {CONTENT_TYPE: "application/json; charset=utf-8"}


def outgoing_sdk_record(
    request: web.Request,
    kind: str,
    body: Mapping[str, Any],
    *,
    app_id: str,
    received_ms: int,
) -> tuple[OutgoingRecord, str]:
    """``((topic, key, value), event_id)`` of one SDK body; 400 :class:`ApiError` if invalid."""
    ip, user_agent = request.app[ORIGIN].resolve(
        request, body.get("ip"), body.get("user_agent"), "ip", "user_agent"
    )
    record = sdk_record(
        kind, body, app_id=app_id, received_ms=received_ms, ip=ip, user_agent=user_agent
    )
    topic, record_name = KINDS[kind]
    value = encode_record(record_name, record)
    key = device_record_key(app_id, record["device_key"])
    return (topic, key, value), record["event_id"]


def accepted(event_id: str) -> web.Response:
    """``202 {"status": "accepted", "event_id": ...}``.

    The same bytes and Content-Type as ``web.json_response`` of that dict, built
    without the generic JSON encoder (one answer per SDK call).
    """
    body = b'{"status": "accepted", "event_id": ' + _json_string(event_id).encode() + b"}"
    return web.Response(body=body, status=202, headers=_JSON_HEADERS)


def _sdk_endpoint(kind: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler of ``POST /v1/sdk/{app_id}/<kind>``.

    Built per kind rather than as ``install`` calling a shared coroutine: one
    coroutine frame less to enter and resume on every SDK call.
    """

    async def handler(request: web.Request) -> web.Response:
        received = now_ms()
        app_id, _ = authorised_app(request)
        body = await read_json_object(request)
        (topic, key, value), event_id = outgoing_sdk_record(
            request, kind, body, app_id=app_id, received_ms=received
        )
        await request.app[PRODUCER].produce(topic, key, value)
        return accepted(event_id)

    handler.__name__ = handler.__qualname__ = kind
    return handler


install = _sdk_endpoint(INSTALL)
session = _sdk_endpoint(SESSION)
event = _sdk_endpoint(EVENT)


def add_routes(app: web.Application) -> None:
    app.router.add_post(SDK_PATH + INSTALL, api_route(install))
    app.router.add_post(SDK_PATH + SESSION, api_route(session))
    app.router.add_post(SDK_PATH + EVENT, api_route(event))


__all__ = ["accepted", "add_routes", "event", "install", "outgoing_sdk_record", "session"]
