"""Push API bodies (R36): the record as JSON, nulls omitted, times readable, signed.

The body is the output record of streams.md with every null key dropped at
every level (lists of records included), every ``*_time`` field written as
``yyyy-mm-dd hh:mm:ss.sss`` UTC, plus ``event_name`` and ``campaign_type``.
``X-Attrib-Signature`` is ``sha256=`` and the hex HMAC-SHA256 of the exact
body bytes with the endpoint's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

ATTRIBUTION = "attribution"
REENGAGEMENT = "reengagement"
ATTRIBUTED_EVENT = "attributed_event"

_INSTALL_EVENT_NAMES = {
    "install": "install",
    "reinstall": "reinstall",
    "reattribution": "re-attribution",
    "blocked": "blocked-install",
}


def format_time(ms: int) -> str:
    """Epoch milliseconds as ``yyyy-mm-dd hh:mm:ss.sss`` UTC."""
    seconds, millis = divmod(ms, 1000)
    return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%d %H:%M:%S}.{millis:03d}"


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            if key.endswith("_time") and isinstance(item, int) and not isinstance(item, bool):
                out[key] = format_time(item)
            else:
                out[key] = _clean(item)
        return out
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value if item is not None]
    return value


def campaign_type(kind: str, record: Mapping[str, Any]) -> str:
    """``ua``, ``retargeting`` or ``organic`` (R36)."""
    if kind == REENGAGEMENT:
        return "retargeting"
    if kind == ATTRIBUTION:
        if record.get("conversion_type") == "reinstall":
            return "organic"
        if record.get("status") == "organic" or record.get("touch_id") is None:
            return "organic"
        return "retargeting" if record.get("is_retargeting") else "ua"
    if record.get("attribution_kind") == "retargeting":
        return "retargeting"
    if record.get("media_source") in (None, "", "organic"):
        return "organic"
    return "ua"


def event_name(kind: str, record: Mapping[str, Any]) -> str:
    if kind == REENGAGEMENT:
        return "re-engagement"
    if kind == ATTRIBUTION:
        return _INSTALL_EVENT_NAMES.get(record.get("conversion_type", ""), "install")
    return str(record.get("event_name", ""))


def push_body(kind: str, record: Mapping[str, Any]) -> bytes:
    """The JSON body pushed for a record of ``kind`` (see the module docstring)."""
    document = _clean(record)
    document["event_name"] = event_name(kind, record)
    document["campaign_type"] = campaign_type(kind, record)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def sign(body: bytes, secret: str) -> str:
    """Hex HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


__all__ = [
    "ATTRIBUTED_EVENT",
    "ATTRIBUTION",
    "REENGAGEMENT",
    "campaign_type",
    "event_name",
    "format_time",
    "push_body",
    "sign",
]
