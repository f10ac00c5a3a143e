"""Installs and sessions waiting to be decided: the value of one ``pending_installs`` key.

An install waits ``decision_delay`` of processing time (R4), then asks the
touch index for each of its lookup keys and waits for every answer. A
session does the same (its re-engaging click is a touch on another topic,
R23); ``kind`` tells them apart. The value is a list of
:data:`PendingInstall` dicts (one device may have several installs and
sessions in flight); these pure functions are its only transitions.
"""

from __future__ import annotations

from typing import Any

PendingInstall = dict[str, Any]

#: The only "key" of an install that has nothing to look up: its answer is
#: sent straight to the decision instead of through the touch index.
NO_LOOKUP = "-"

INSTALL = "install"
SESSION = "session"


def new_entry(
    *,
    event_id: str,
    install: bytes,
    arrived_ms: int,
    delay_ms: int,
    keys: list[str],
    kind: str = INSTALL,
    newer_than: int = 0,
) -> PendingInstall:
    """A pending install, or a session when ``kind`` is :data:`SESSION` (``install``
    then holds the Session record); lookups return only touches after ``newer_than``."""
    return {
        "event_id": event_id,
        "install": install,
        "arrived_ms": arrived_ms,
        "due_ms": arrived_ms + delay_ms,
        "keys": keys or [NO_LOOKUP],
        "answered": [],
        "touches": [],
        "kind": kind,
        "newer_than": newer_than,
    }


def add(pending: list[PendingInstall], entry: PendingInstall) -> tuple[list[PendingInstall], bool]:
    """``pending`` with ``entry`` added; False when its event id is already waiting (R26)."""
    if any(p["event_id"] == entry["event_id"] for p in pending):
        return pending, False
    return [*pending, entry], True


def record_answer(
    pending: list[PendingInstall], event_id: str, key: str, touches: list[bytes]
) -> tuple[list[PendingInstall], PendingInstall | None]:
    """Apply one lookup answer. Returns the new list and, when the answer was the
    last one the install waited for, the completed entry (removed from the list).

    Answers for unknown installs (already decided) or keys already answered
    (a lookup resent after a restart) change nothing.
    """
    for i, entry in enumerate(pending):
        if entry["event_id"] != event_id:
            continue
        if key not in entry["keys"] or key in entry["answered"]:
            return pending, None
        updated = {
            **entry,
            "answered": [*entry["answered"], key],
            "touches": [*entry["touches"], *touches],
        }
        if len(updated["answered"]) == len(updated["keys"]):
            return pending[:i] + pending[i + 1 :], updated
        return [*pending[:i], updated, *pending[i + 1 :]], None
    return pending, None


def _complete(entry: PendingInstall) -> bool:
    return len(entry["answered"]) == len(entry["keys"])


def hold_behind_installs(
    pending: list[PendingInstall], done: PendingInstall
) -> tuple[list[PendingInstall], bool]:
    """A completed session waits while an install of its device that arrived before
    it is still pending (the session is applied after that install's decision).

    Returns the list with ``done`` kept in it (answered) and True when it must
    wait, else the list unchanged and False.
    """
    if done["kind"] != SESSION:
        return pending, False
    if any(p["kind"] == INSTALL and p["arrived_ms"] <= done["arrived_ms"] for p in pending):
        return [*pending, done], True
    return pending, False


def released_sessions(
    pending: list[PendingInstall],
) -> tuple[list[PendingInstall], list[PendingInstall]]:
    """Completed sessions no earlier pending install holds back any more, in arrival
    order: ``(still pending, to decide now)``."""
    ready: list[PendingInstall] = []
    remaining: list[PendingInstall] = []
    blocked = False
    for entry in sorted(pending, key=lambda e: e["arrived_ms"]):
        if entry["kind"] == SESSION and _complete(entry) and not blocked:
            ready.append(entry)
            continue
        remaining.append(entry)
        if entry["kind"] == INSTALL:
            blocked = True
    if not ready:
        return pending, []
    return remaining, ready
