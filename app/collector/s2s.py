"""The S2S batch endpoint: ``POST /v1/s2s/{app_id}/events``.

Server senders post a JSON array of up to :data:`MAX_BATCH_ITEMS` SDK bodies,
each with ``"type": "install" | "session" | "event"``. Every item is judged
on its own: valid ones are written, invalid ones get their 4xx in
``results`` (same codes and details as the SDK endpoints), and the answer is
``200 {"results": [...]}`` in item order.

All valid items are handed to the producer first and their
acknowledgements awaited together, so a batch costs about one Kafka round
trip, not one per item. If Kafka does not acknowledge them all in time the
whole request gets 503: the sender retries the batch, and items already
written are deduplicated by ``event_id`` (R26).
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from attrib.collector.access import authorised_app
from attrib.collector.clock import now_ms
from attrib.collector.context import PRODUCER
from attrib.collector.fields import field_error, missing
from attrib.collector.jsonbody import read_json_array
from attrib.collector.producer import OutgoingRecord
from attrib.collector.sdk import outgoing_sdk_record
from attrib.collector.sdk_records import KINDS
from attrib.web.errors import ApiError
from attrib.web.handlers import api_route

S2S_PATH: Final = "/v1/s2s/{app_id}/events"
#: operations.md, Limits.
MAX_BATCH_ITEMS: Final = 1000
ACCEPTED: Final = 202


def _item_kind(item: object) -> tuple[dict[str, Any], str]:
    if not isinstance(item, dict):
        raise ApiError(400, "invalid_body", "each item must be a JSON object", field="item")
    kind = item.get("type")
    if kind is None:
        raise missing("type")
    if not isinstance(kind, str) or kind not in KINDS:  # a list or object is unhashable
        raise field_error("type", "type must be one of install, session, event")
    return item, kind


def _event_id_of(item: object) -> str | None:
    if isinstance(item, dict):
        event_id = item.get("event_id")
        if isinstance(event_id, str):
            return event_id
    return None


async def s2s_events(request: web.Request) -> web.Response:
    received = now_ms()
    app_id, _ = authorised_app(request)
    items = await read_json_array(request)
    if len(items) > MAX_BATCH_ITEMS:
        raise ApiError(
            413,
            "batch_too_large",
            f"the batch has {len(items):,} items; at most {MAX_BATCH_ITEMS:,} are accepted",
            field="body",
        )
    results: list[dict[str, Any]] = []
    outgoing: list[OutgoingRecord] = []
    for index, raw in enumerate(items):
        try:
            item, kind = _item_kind(raw)
            record, event_id = outgoing_sdk_record(
                request, kind, item, app_id=app_id, received_ms=received
            )
        except ApiError as exc:
            results.append(
                {
                    "index": index,
                    "status": exc.status,
                    "event_id": _event_id_of(raw),
                    "error": exc.code,
                    "detail": exc.detail,
                    "field": exc.extra.get("field"),
                }
            )
            continue
        outgoing.append(record)
        results.append(
            {
                "index": index,
                "status": ACCEPTED,
                "event_id": event_id,
                "error": None,
                "detail": None,
                "field": None,
            }
        )
    await request.app[PRODUCER].produce_many(outgoing)
    return web.json_response({"results": results})


def add_routes(app: web.Application) -> None:
    app.router.add_post(S2S_PATH, api_route(s2s_events))


__all__ = ["MAX_BATCH_ITEMS", "S2S_PATH", "add_routes", "s2s_events"]
