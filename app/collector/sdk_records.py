"""SDK bodies as ``Install``, ``Session`` and ``InAppEvent`` records (avro/*.avsc).

One body format serves the SDK endpoints and the items of an S2S batch
(http-api.md); fields that do not belong to a kind (``event_name`` on an
install) and unknown fields are ignored, so SDKs can add fields without
breaking older collectors. Pure: the handler supplies the receive time and
the resolved IP and user agent.

Validation order is fixed (ids, then times, then the kind's own fields) so a
body with several problems always gets the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from attrib import topics
from attrib.avro import records as avro_records
from attrib.collector.fields import (
    MAX_ID_CHARS,
    currency,
    event_time,
    event_values,
    field_error,
    optional_epoch_ms,
    optional_text,
    required_text,
    revenue_text,
)
from attrib.identifiers import IDENTIFIER_TYPES, device_key, normalise_identifiers
from attrib.rules.matching import deep_link_touch_id
from attrib.web.errors import ApiError

INSTALL: Final = "install"
SESSION: Final = "session"
EVENT: Final = "event"

#: kind -> (topic short name, Avro record name)
KINDS: Final = {
    INSTALL: (topics.INSTALLS, avro_records.INSTALL),
    SESSION: (topics.SESSIONS, avro_records.SESSION),
    EVENT: (topics.EVENTS, avro_records.IN_APP_EVENT),
}
MAX_SHORT_TEXT: Final = 100
MAX_EVENT_NAME: Final = 255
#: Deep links carry campaign parameters; browsers cap URLs near 2 kB too.
MAX_DEEP_LINK: Final = 2048


def _device_ids(body: Mapping[str, Any]) -> dict[str, str]:
    device = body.get("device")
    if device is None:
        return {}
    if not isinstance(device, dict):
        raise field_error("device", "device must be a JSON object of identifiers")
    return normalise_identifiers(device)


def _session_touch_id(body: Mapping[str, Any], deep_link: str | None) -> str | None:
    """The click a session names (R23 referrer match): the explicit field wins.

    http-api.md: a session's ``deep_link`` (or a ``referrer_touch_id`` field)
    names the retargeting click that opened the app. A deep link without an
    ``attrib_touch_id`` is a plain link: no click is named, not an error.
    """
    explicit = optional_text(body.get("referrer_touch_id"), "referrer_touch_id", MAX_ID_CHARS)
    if explicit is not None and explicit.strip():
        return explicit.strip()
    return deep_link_touch_id(deep_link)


def sdk_record(
    kind: str,
    body: Mapping[str, Any],
    *,
    app_id: str,
    received_ms: int,
    ip: str | None,
    user_agent: str | None,
) -> dict[str, Any]:
    """The record of one SDK call of ``kind``; 400 :class:`ApiError` naming a bad field."""
    event_id = required_text(body.get("event_id"), "event_id", MAX_ID_CHARS)
    ids = _device_ids(body)
    key = device_key(ids)
    if key is None:
        raise ApiError(
            400,
            "no_device_id",
            "device has no valid advertising_id, idfa, idfv, android_id or oaid "
            "(empty, all-zero and malformed values are not ids)",
            field="device",
        )
    record: dict[str, Any] = {"event_id": event_id, "app_id": app_id, "device_key": key}
    for kind_of_id in IDENTIFIER_TYPES:
        record[kind_of_id] = ids.get(kind_of_id)
    record["platform"] = optional_text(body.get("platform"), "platform", MAX_SHORT_TEXT)
    record["app_version"] = optional_text(body.get("app_version"), "app_version", MAX_SHORT_TEXT)
    record["os_version"] = optional_text(body.get("os_version"), "os_version", MAX_SHORT_TEXT)
    record["ip"] = ip
    record["user_agent"] = user_agent
    record["event_time"] = event_time(body.get("timestamp"), "timestamp", received_ms)
    record["received_time"] = received_ms
    if kind == INSTALL:
        record["install_referrer"] = optional_text(body.get("install_referrer"), "install_referrer")
        record["install_begin_ts"] = optional_epoch_ms(
            body.get("install_begin_ts"), "install_begin_ts", received_ms
        )
    elif kind == SESSION:
        record["deep_link"] = optional_text(body.get("deep_link"), "deep_link", MAX_DEEP_LINK)
        record["referrer_touch_id"] = _session_touch_id(body, record["deep_link"])
    elif kind == EVENT:
        record["event_name"] = required_text(body.get("event_name"), "event_name", MAX_EVENT_NAME)
        record["revenue"] = revenue_text(body.get("revenue"))
        record["currency"] = currency(body.get("currency"))
        record["values"] = event_values(body.get("values"))
    return record


__all__ = ["EVENT", "INSTALL", "KINDS", "SESSION", "sdk_record"]
