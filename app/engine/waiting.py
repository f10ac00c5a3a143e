"""In-app events waiting for their device: the value of one ``waiting_events`` key.

An event waits while its install has not been decided (R25: at most
:data:`HOLD_MS` of processing time, then it is emitted ``unattributed``) or
while a decision about its device is in flight (an install or session in
``pending-installs``: a re-engagement opening at that session, or a reinstall,
changes how the event is attributed). No count makes an event leave early
(R25): :data:`MAX_PER_DEVICE` is only the safety bound that keeps a device's
value inside one Kafka record (8 MiB at ~400 B an event), far above what an
SDK sends in ten minutes; beyond it the oldest is let go at once and counted.
These pure functions are the value's only transitions.
"""

from __future__ import annotations

from typing import Any, Final

WaitingEvent = dict[str, Any]

#: R25: events wait 10 minutes (the deployment setting ``event_hold``; tests
#: shorten it).
HOLD_MS: Final = 600_000
MAX_PER_DEVICE: Final = 10_000


def new_entry(
    *, event_id: str, event: bytes, arrived_ms: int, hold_ms: int = HOLD_MS
) -> WaitingEvent:
    return {
        "event_id": event_id,
        "event": event,
        "arrived_ms": arrived_ms,
        "due_ms": arrived_ms + hold_ms,
    }


def is_waiting(waiting: list[WaitingEvent], event_id: str) -> bool:
    return any(w["event_id"] == event_id for w in waiting)


def add(
    waiting: list[WaitingEvent], entry: WaitingEvent, *, limit: int = MAX_PER_DEVICE
) -> tuple[list[WaitingEvent], list[WaitingEvent]]:
    """``waiting`` with ``entry`` added (oldest first), and the entries pushed out
    by the bound (to be emitted now). A repeated event id changes nothing (R26)."""
    if is_waiting(waiting, entry["event_id"]):
        return waiting, []
    added = [*waiting, entry]
    overflow = max(0, len(added) - limit)
    return added[overflow:], added[:overflow]


def take_due(
    waiting: list[WaitingEvent], now_ms: int
) -> tuple[list[WaitingEvent], list[WaitingEvent]]:
    """``(still waiting, due)``: the entries whose hold has ended at ``now_ms``."""
    due = [w for w in waiting if w["due_ms"] <= now_ms]
    if not due:
        return waiting, []
    return [w for w in waiting if w["due_ms"] > now_ms], due
