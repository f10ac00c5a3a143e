"""Sessions and in-app events against the device registry (R21, R23–R26): records.

Pure functions between the rules' results and the ``reengagements`` and
``attributed-events`` records (streams.md); the agents feed them the input
records and the device's :data:`~attrib.engine.devices.DeviceState`.

Choices where the spec leaves room:

- ``days_since_install`` counts elapsed 24-hour periods from the install's
  T0, floored (AppsFlyer's convention), never below 0 (an event timed before
  its install, clock skew, is day 0).
- Every attributed record carries the device's install decision as
  ``attribution_id``, the retargeting record of a re-engagement window too
  (with its ``reengagement_id``), so events join to their install cohort.
- An event with ``revenue`` must carry it as plain decimal text and a
  ``currency`` must be an ISO-4217 code; both are checked again here because
  any producer may write ``events`` (refunds are negative and kept).
"""

from __future__ import annotations

import re
from typing import Any, Final

from attrib.avro import codec
from attrib.currencies import ISO_4217_CODES
from attrib.engine.convert import (
    attribution_id_for,
    decision_from_attribution,
    reengagement_id_for,
    touch_from_record,
)
from attrib.rules.events import event_attributions
from attrib.rules.matching import MatchedTouch
from attrib.rules.model import ORGANIC, EventAttribution, Reengagement, Touch

DAY_MS: Final = 86_400_000

#: ``conversion_type`` of an event emitted without its install (R25).
UNATTRIBUTED: Final = "unattributed"

_PLAIN_DECIMAL = re.compile(r"-?\d{1,20}(\.\d{1,20})?")

#: The fields an attributed event copies from the in-app event.
EVENT_FIELDS: Final = (
    "event_id",
    "app_id",
    "device_key",
    "advertising_id",
    "idfa",
    "idfv",
    "android_id",
    "oaid",
    "customer_user_id",
    "platform",
    "app_version",
    "os_version",
    "ip",
    "user_agent",
    "event_name",
    "revenue",
    "currency",
    "values",
    "event_time",
    "received_time",
)


def event_problem(record: dict[str, Any]) -> str | None:
    """Why an ``events`` record cannot be used, or ``None``.

    Revenue is decimal text (negative for refunds), the currency an ISO-4217
    code (http-api.md); the collector checks the same, other producers may not.
    """
    revenue = record.get("revenue")
    if revenue is not None and not _PLAIN_DECIMAL.fullmatch(revenue):
        return f"revenue must be a decimal number, got {revenue[:40]!r}"
    currency = record.get("currency")
    if currency is not None and currency not in ISO_4217_CODES:
        return f"currency must be an ISO-4217 code, got {currency[:20]!r}"
    if not record.get("event_name"):
        return "event_name is empty"
    return None


def days_since_install(install_time: int, event_time: int) -> int:
    """Elapsed whole days (24-hour periods) from the install to the event, at least 0."""
    return max(0, (event_time - install_time) // DAY_MS)


# ---- re-engagements -----------------------------------------------------------
def open_reengagement(
    app_id: str, session_event_id: str, touch: bytes, reengagement: Reengagement
) -> dict[str, Any]:
    """The ``OpenReengagement`` kept in the device registry (R23, R24)."""
    return {
        "reengagement_id": reengagement_id_for(app_id, session_event_id),
        "session_event_id": session_event_id,
        "touch": touch,
        "match_type": reengagement.match_type,
        "reengagement_time": reengagement.reengagement_time,
        "window_end": reengagement.window_end,
    }


def reengagement_of(stored: dict[str, Any] | None) -> Reengagement | None:
    """The rules' view of a stored ``OpenReengagement``."""
    if stored is None:
        return None
    return Reengagement(
        touch=touch_from_record(codec.decode(stored["touch"], expect="Touch")),
        match_type=stored["match_type"],
        reengagement_time=stored["reengagement_time"],
        window_end=stored["window_end"],
    )


def reengagement_record(
    session: dict[str, Any],
    matched: MatchedTouch,
    reengagement: Reengagement,
    *,
    decided_time: int,
) -> dict[str, Any]:
    """The ``reengagements`` record of a session (streams.md, analytics.md)."""
    touch = matched.touch
    return {
        "reengagement_id": reengagement_id_for(session["app_id"], session["event_id"]),
        "app_id": session["app_id"],
        "device_key": session["device_key"],
        "session_event_id": session["event_id"],
        "touch_id": touch.touch_id,
        "match_type": matched.match_type,
        "media_source": touch.media_source,
        "campaign": touch.campaign,
        "adset": touch.adset,
        "ad": touch.ad,
        "touch_time": touch.touch_time,
        "reengagement_time": reengagement.reengagement_time,
        "window_end": reengagement.window_end,
        "decided_time": decided_time,
    }


# ---- attributed events ----------------------------------------------------------
def _touch_fields(touch: Touch | None) -> dict[str, Any]:
    return {
        "campaign": touch.campaign if touch else None,
        "adset": touch.adset if touch else None,
        "ad": touch.ad if touch else None,
        "touch_type": touch.touch_type if touch else None,
        "touch_id": touch.touch_id if touch else None,
        "touch_time": touch.touch_time if touch else None,
        "site_id": touch.site_id if touch else None,
        "network_click_id": touch.network_click_id if touch else None,
    }


def _event_part(event: dict[str, Any]) -> dict[str, Any]:
    return {field: event.get(field) for field in EVENT_FIELDS}


def attributed_event_records(
    event: dict[str, Any],
    attribution: dict[str, Any],
    stored_reengagement: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The ``attributed-events`` records of ``event`` (R24), primary first.

    ``attribution`` is the device's latest ``attributions`` record (R19: a
    reinstall's events are organic, a re-attribution's go to its touch; R31:
    a blocked install's carry its reason) and ``stored_reengagement`` its
    latest re-engagement, if any.
    """
    decision = decision_from_attribution(attribution)
    reengagement = reengagement_of(stored_reengagement)
    install_time = attribution["install_time"]
    attribution_id = attribution.get("attribution_id") or attribution_id_for(
        attribution["app_id"], attribution["install_event_id"]
    )
    records = []
    for a in event_attributions(event["event_time"], decision, reengagement):
        records.append(
            _record(
                event,
                a,
                attribution_id=attribution_id,
                reengagement_id=(
                    stored_reengagement["reengagement_id"]
                    if stored_reengagement is not None and a.conversion_type == "reengagement"
                    else None
                ),
                install_time=install_time,
            )
        )
    return records


def _record(
    event: dict[str, Any],
    a: EventAttribution,
    *,
    attribution_id: str,
    reengagement_id: str | None,
    install_time: int,
) -> dict[str, Any]:
    return {
        **_event_part(event),
        "attribution_kind": a.attribution_kind,
        "is_primary_attribution": a.is_primary,
        "attribution_id": attribution_id,
        "reengagement_id": reengagement_id,
        "conversion_type": a.conversion_type,
        "blocked_reason": a.blocked_reason,
        "media_source": a.media_source,
        **_touch_fields(a.touch),
        "match_type": a.match_type,
        "install_time": install_time,
        "days_since_install": days_since_install(install_time, event["event_time"]),
    }


def unattributed_event_record(event: dict[str, Any]) -> dict[str, Any]:
    """The record of an event whose install never came within the hold (R25)."""
    return {
        **_event_part(event),
        "attribution_kind": "user_acquisition",
        "is_primary_attribution": True,
        "attribution_id": None,
        "reengagement_id": None,
        "conversion_type": UNATTRIBUTED,
        "blocked_reason": None,
        "media_source": ORGANIC,
        **_touch_fields(None),
        "match_type": None,
        "install_time": None,
        "days_since_install": None,
    }
