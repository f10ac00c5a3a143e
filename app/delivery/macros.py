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


def macro_values(record: Mapping[str, Any], *, delivery_id: str, touch: bool) -> dict[str, str]:
    """The R34 values of an attribution or attributed-event record.

    ``touch=False`` leaves the touch macros empty (send-all installs, R32).
    """
    values: dict[str, str | None] = {
        "clickid": record.get("network_click_id"),
        "touch_id": record.get("touch_id"),
        "advertising_id": record.get("advertising_id"),
        "idfa": record.get("idfa"),
        "android_id": record.get("android_id"),
        "oaid": record.get("oaid"),
        "install_unix_ts": _seconds(record.get("install_time")),
        "click_ts": _seconds(record.get("touch_time")),
        "event_name": record.get("event_name"),
        "revenue": record.get("revenue"),
        "currency": record.get("currency"),
        "campaign": record.get("campaign"),
        "adset": record.get("adset"),
        "ad": record.get("ad"),
        "site_id": record.get("site_id"),
        "match_type": record.get("match_type"),
        "conversion_type": record.get("conversion_type"),
        "app_id": record.get("app_id"),
        "delivery_id": delivery_id,
    }
    if not touch:
        for name in TOUCH_MACROS:
            values[name] = None
    return {name: "" if value is None else str(value) for name, value in values.items()}


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


__all__ = ["TOUCH_MACROS", "fill", "macro_values"]
