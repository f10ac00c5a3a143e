"""The device registry entry (table ``devices``, key ``app_id|device_key``).

Holds what later decisions need (R18–R21, R23, R26): install times, last
activity, whether the latest install was blocked, the latest attribution
record, and the install event ids already decided.
"""

from __future__ import annotations

from typing import Any

from attrib.rules.model import Decision, DeviceHistory

DeviceState = dict[str, Any]

#: Remembered install event ids per device (R26); replays come within minutes.
MAX_DECIDED = 32


def history_of(state: DeviceState | None) -> DeviceHistory | None:
    if state is None:
        return None
    return DeviceHistory(
        first_install_time=state["first_install_time"],
        attribution_install_time=state["attribution_install_time"],
        last_install_time=state["last_install_time"],
        last_activity_time=state["last_activity_time"],
        known=True,
        blocked=state["blocked"],
    )


def decided_attribution_id(state: DeviceState | None, event_id: str) -> str | None:
    """The attribution id of ``event_id`` when that install was already decided."""
    if state is None:
        return None
    for entry in state["decided"]:
        if entry["event_id"] == event_id:
            return entry["attribution_id"]
    return None


def apply_decision(
    state: DeviceState | None,
    *,
    install_time: int,
    decision: Decision,
    event_id: str,
    attribution_id: str,
    attribution: bytes,
) -> DeviceState:
    """The entry after deciding one install of the device."""
    creates_attribution = decision.conversion_type in ("install", "reattribution")
    if state is None:
        return {
            "first_install_time": install_time,
            "attribution_install_time": install_time,
            "last_install_time": install_time,
            "last_activity_time": install_time,
            "blocked": decision.conversion_type == "blocked",
            "attribution": attribution,
            "decided": [{"event_id": event_id, "attribution_id": attribution_id}],
        }
    decided = [*state["decided"], {"event_id": event_id, "attribution_id": attribution_id}]
    return {
        **state,
        "first_install_time": min(state["first_install_time"], install_time),
        "attribution_install_time": (
            install_time if creates_attribution else state["attribution_install_time"]
        ),
        "last_install_time": max(state["last_install_time"], install_time),
        "last_activity_time": max(state["last_activity_time"], install_time),
        "blocked": decision.conversion_type == "blocked",
        "attribution": attribution,
        "decided": decided[-MAX_DECIDED:],
    }
