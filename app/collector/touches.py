"""A tracking link's query parameters as a ``Touch`` record (avro/touch.v1.avsc).

Link parameters follow AppsFlyer's names (http-api.md) and are stored under
the analytics names of the schema. Pure: the handler supplies the receive
time, the touch id and the resolved IP and user agent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from attrib.collector.fields import (
    MAX_TEXT_CHARS,
    missing,
    param_event_time,
    param_flag,
    param_lookback_ms,
    param_too_long,
)
from attrib.identifiers import TOUCH_ID_TYPES, device_key, normalise_identifier

#: Touch field <- link parameter, for the plain text fields.
TEXT_PARAMS: Final = (
    ("campaign", "c"),
    ("campaign_id", "af_c_id"),
    ("adset", "af_adset"),
    ("adset_id", "af_adset_id"),
    ("ad", "af_ad"),
    ("ad_id", "af_ad_id"),
    ("site_id", "af_siteid"),
    ("sub_site_id", "af_sub_siteid"),
    ("network_click_id", "clickid"),
)


def touch_identifiers(params: Mapping[str, str]) -> dict[str, str]:
    """The valid device ids of a link (R6: invalid ones are dropped), normalised."""
    ids: dict[str, str] = {}
    for kind in TOUCH_ID_TYPES:
        raw = params.get(kind)
        if raw:
            value = normalise_identifier(kind, raw)
            if value is not None:
                ids[kind] = value
    return ids


def touch_record(
    params: Mapping[str, str],
    *,
    app_id: str,
    touch_type: str,
    touch_id: str,
    received_ms: int,
    ip: str | None,
    user_agent: str | None,
) -> dict[str, Any]:
    """The Touch record of a click or impression link; 400 naming a bad parameter.

    Once per click, so the common case is inlined: a text parameter is
    checked here as :func:`~attrib.collector.fields.param_text` checks it, and
    the parsers of optional parameters run only when the parameter is there.
    Parameters are checked in a fixed order, so a link with several problems
    always gets the same answer.
    """
    get = params.get
    media_source = get("pid")
    if not media_source:
        raise missing("pid", "parameter", "missing_parameter")
    if len(media_source) > MAX_TEXT_CHARS:
        raise param_too_long("pid")
    ids = touch_identifiers(params)
    record: dict[str, Any] = {
        "touch_id": touch_id,
        "touch_type": touch_type,
        "app_id": app_id,
        "device_key": device_key(ids),
        "media_source": media_source,
    }
    for field, name in TEXT_PARAMS:
        value = get(name)
        if value:
            if len(value) > MAX_TEXT_CHARS:
                raise param_too_long(name)
            record[field] = value
        else:
            record[field] = None
    for kind in TOUCH_ID_TYPES:
        record[kind] = ids.get(kind)
    record["ip"] = ip
    record["user_agent"] = user_agent
    record["is_retargeting"] = (
        False if get("is_retargeting") is None else param_flag(params, "is_retargeting", False)
    )
    record["click_lookback_ms"] = (
        param_lookback_ms(params, "af_click_lookback", "click_lookback")
        if get("af_click_lookback")
        else None
    )
    record["view_lookback_ms"] = (
        param_lookback_ms(params, "af_viewthrough_lookback", "view_lookback")
        if get("af_viewthrough_lookback")
        else None
    )
    record["touch_time"] = param_event_time(params, "ts", received_ms) if get("ts") else received_ms
    record["received_time"] = received_ms
    return record


__all__ = ["TEXT_PARAMS", "touch_identifiers", "touch_record"]
