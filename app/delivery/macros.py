"""Postback URL macros (R34): ``{name}`` replaced by its URL-encoded value.

Values are percent-encoded with nothing left safe (a value can never add a
query parameter or a path segment); a missing value is empty; timestamps are
whole seconds; ``{revenue}`` is the decimal text as received. The admin API
refuses unknown macros, so any other ``{...}`` left in a stored URL is kept
as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from attrib.config import POSTBACK_MACROS

_MACRO = re.compile(r"\{([a-z_]+)\}")

#: Macros describing the winning touch: empty in send-all postbacks (R32).
TOUCH_MACROS = frozenset(
    {"clickid", "touch_id", "click_ts", "campaign", "adset", "ad", "site_id", "match_type"}
)


def _seconds(ms: int | None) -> str | None:
    return None if ms is None else str(ms // 1000)


#: The record field each macro reads (timestamps: :data:`_SECONDS`).
_FIELDS = {
    "clickid": "network_click_id",
    "touch_id": "touch_id",
    "advertising_id": "advertising_id",
    "idfa": "idfa",
    "android_id": "android_id",
    "oaid": "oaid",
    "event_name": "event_name",
    "revenue": "revenue",
    "currency": "currency",
    "campaign": "campaign",
    "adset": "adset",
    "ad": "ad",
    "site_id": "site_id",
    "match_type": "match_type",
    "conversion_type": "conversion_type",
    "app_id": "app_id",
}
#: Macros of a millisecond timestamp field, given in whole seconds.
_SECONDS = {"install_unix_ts": "install_time", "click_ts": "touch_time"}
_NAMES = (*_FIELDS, *_SECONDS, "delivery_id")


def _value(name: str, record: Mapping[str, Any], delivery_id: str, touch: bool) -> str:
    """One macro's value (unencoded); empty when missing."""
    if name == "delivery_id":
        return delivery_id
    if not touch and name in TOUCH_MACROS:
        return ""
    field = _FIELDS.get(name)
    if field is not None:
        value = record.get(field)
    else:
        seconds = _SECONDS.get(name)
        value = None if seconds is None else _seconds(record.get(seconds))
    return "" if value is None else str(value)


def macro_values(record: Mapping[str, Any], *, delivery_id: str, touch: bool) -> dict[str, str]:
    """The R34 values of an attribution or attributed-event record.

    ``touch=False`` leaves the touch macros empty (send-all installs, R32).
    """
    return {name: _value(name, record, delivery_id, touch) for name in _NAMES}


def fill_record(template: str, record: Mapping[str, Any], *, delivery_id: str, touch: bool) -> str:
    """``fill(template, macro_values(record, ...))``, working out only the macros used."""
    parts = _parts(template)
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        out.append(quote(_value(parts[i], record, delivery_id, touch), safe=""))
        out.append(parts[i + 1])
    return "".join(out)


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each known ``{macro}`` replaced by its percent-encoded value."""
    parts = _parts(template)
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        out.append(quote(values.get(parts[i], ""), safe=""))
        out.append(parts[i + 1])
    return "".join(out)


@lru_cache(maxsize=1024)
def _parts(template: str) -> tuple[str, ...]:
    """``template`` split once: text, macro name, text, ... (unknown ``{...}`` stay text)."""
    parts: list[str] = []
    text: list[str] = []
    last = 0
    for match in _MACRO.finditer(template):
        text.append(template[last : match.start()])
        last = match.end()
        if match.group(1) in POSTBACK_MACROS:
            parts += ["".join(text), match.group(1)]
            text = []
        else:
            text.append(match.group(0))
    text.append(template[last:])
    parts.append("".join(text))
    return tuple(parts)


__all__ = ["TOUCH_MACROS", "fill", "fill_record", "macro_values"]
