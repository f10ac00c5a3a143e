"""The device registry entry (table ``devices``, key ``app_id|device_key``).

Holds what later decisions need (R18–R21, R23, R26): install times, last
activity, whether the latest install was blocked, the latest attribution
record, the install event ids already decided, the latest re-engagement and
the retargeting clicks already used (R23), and the session and in-app event
ids already processed (R26).

Session and in-app event ids are remembered as packed bytes
(:mod:`attrib.engine.remembered_ids`), not as Avro arrays: an active device's
entry is read and written at each of its events. Entries written before
DeviceState v4 hold them in ``sessions``/``session_times`` and
``events``/``event_times``: those are read as well, and moved to the packed
fields at the device's next session or event.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import Any

from attrib.config.limits import WINDOW_RANGES_MS
from attrib.engine import remembered_ids as ids
from attrib.rules.model import Decision, DeviceHistory

DeviceState = dict[str, Any]

#: R26: install, session and in-app event ids are remembered for this much event
#: time per device (the deployment setting ``dedupe_window``, at least 30 d),
#: however many other ids the device sends meanwhile.
DEDUPE_WINDOW_MS = 30 * 86_400_000
#: A safety cap per kind of id: a device's entry must fit one Kafka record (a
#: device sending more than this many events inside the window is a bot).
MAX_REMEMBERED = 20_000
#: Used retargeting clicks are kept while a click window could still use them
#: (the largest click_lookback), and at most this many.
MAX_USED_TOUCHES = 64
USED_TOUCH_HORIZON_MS = WINDOW_RANGES_MS["click_lookback"][1]


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


def _recent(
    items: list[Any], times: list[int], *, fill_ms: int, window_ms: int
) -> tuple[list[Any], list[int]]:
    """The ``items`` whose event time is inside ``window_ms`` of the newest one.

    ``times`` runs parallel to ``items``; entries written before times were kept
    (shorter ``times``) count as ``fill_ms``.
    """
    if len(times) < len(items):
        times = [fill_ms] * (len(items) - len(times)) + list(times)
    if not items:
        return [], []
    cutoff = max(times) - window_ms
    kept = [(i, t) for i, t in zip(items, times, strict=True) if t >= cutoff][-MAX_REMEMBERED:]
    return [i for i, _ in kept], [t for _, t in kept]


def apply_decision(
    state: DeviceState | None,
    *,
    install_time: int,
    decision: Decision,
    event_id: str,
    attribution_id: str,
    attribution: bytes,
    window_ms: int = DEDUPE_WINDOW_MS,
) -> DeviceState:
    """The entry after deciding one install of the device."""
    creates_attribution = decision.conversion_type in ("install", "reattribution")
    if state is None:
        return {
            **_NEW_DEVICE,
            "first_install_time": install_time,
            "attribution_install_time": install_time,
            "last_install_time": install_time,
            "last_activity_time": install_time,
            "blocked": decision.conversion_type == "blocked",
            "attribution": attribution,
            "decided": [
                {"event_id": event_id, "attribution_id": attribution_id, "event_time": install_time}
            ],
        }
    new = {"event_id": event_id, "attribution_id": attribution_id, "event_time": install_time}
    fill = state["last_activity_time"]
    decided, _ = _recent(
        [*state["decided"], new],
        [d.get("event_time") or fill for d in state["decided"]] + [install_time],
        fill_ms=fill,
        window_ms=window_ms,
    )
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
        "decided": decided,
        # A new install starts a new life of the device: the answer is its
        # first launch again, and a re-engagement of the previous install no
        # longer applies to its events (R19: they go to the new decision).
        "launched": False,
        "reengagement": None,
    }


#: The fields a device gets besides its first decision.
_NEW_DEVICE: DeviceState = {
    "launched": False,
    "reengagement": None,
    "used_touches": [],
    "sessions": [],
    "events": [],
    "touched_ms": 0,
    "session_times": [],
    "event_times": [],
    "event_digests": b"",
    "event_digest_times": b"",
    "session_digests": b"",
    "session_digest_times": b"",
}


def session_seen(state: DeviceState, event_id: str) -> bool:
    """Whether the session ``event_id`` was processed already (R26)."""
    return ids.contains(state.get("session_digests") or b"", event_id) or event_id in (
        state.get("sessions") or ()
    )


def used_touch_ids(state: DeviceState) -> frozenset[str]:
    """The retargeting clicks that re-engaged the device already (R23: once each)."""
    return frozenset(u["touch_id"] for u in state["used_touches"])


def apply_session(
    state: DeviceState,
    *,
    session_time: int,
    event_id: str,
    reengagement: dict[str, Any] | None = None,
    used_touch: tuple[str, int] | None = None,
    window_ms: int = DEDUPE_WINDOW_MS,
) -> DeviceState:
    """The entry after a session: last activity (R21), the session id (R26), and
    for a re-engagement (R23) the ``OpenReengagement`` and the click it used up
    (``(touch_id, touch_time)``)."""
    digests, times = ids.remember(
        _packed(state, "session", ids.digest),
        [event_id],
        [session_time],
        window_ms=window_ms,
        limit=MAX_REMEMBERED,
    )
    updated = {
        **state,
        "last_activity_time": max(state["last_activity_time"], session_time),
        "sessions": [],
        "session_times": [],
        "session_digests": digests,
        "session_digest_times": times,
        "launched": True,
    }
    if reengagement is not None:
        updated["reengagement"] = reengagement
    if used_touch is not None:
        touch_id, touch_time = used_touch
        used = [*state["used_touches"], {"touch_id": touch_id, "touch_time": touch_time}]
        oldest = session_time - USED_TOUCH_HORIZON_MS
        updated["used_touches"] = [u for u in used if u["touch_time"] >= oldest][-MAX_USED_TOUCHES:]
    return updated


def _packed(state: DeviceState, kind: str, digest_of: Callable[[Any], bytes]) -> ids.Packed:
    """The device's remembered ``kind`` ids (``session`` or ``event``), packed, oldest
    first: those of the arrays of an entry written before v4 come first."""
    digests: bytes = state.get(f"{kind}_digests") or b""
    times: bytes = state.get(f"{kind}_digest_times") or b""
    legacy: list[Any] = state.get(f"{kind}s") or []
    if not legacy:
        return digests, times
    fill = state["last_activity_time"]
    legacy_times = list(state.get(f"{kind}_times") or [])
    legacy_times = ([fill] * (len(legacy) - len(legacy_times)) + legacy_times)[-len(legacy) :]
    old_digests, old_times = ids.pack([digest_of(x) for x in legacy], legacy_times)
    return old_digests + digests, old_times + times


def _long_bytes(digest: int) -> bytes:
    return struct.pack(">q", digest)


def event_seen(state: DeviceState | None, event_id: str) -> bool:
    """Whether the in-app event ``event_id`` was attributed already (R26)."""
    if state is None:
        return False
    if ids.contains(state.get("event_digests") or b"", event_id):
        return True
    legacy = state.get("events")
    return bool(legacy) and ids.digest_long(event_id) in legacy


def remembered_events(state: DeviceState) -> int:
    """How many in-app event ids the device remembers."""
    return ids.count(state.get("event_digests") or b"") + len(state.get("events") or [])


def remember_events(
    state: DeviceState,
    event_ids: Iterable[str],
    event_times: Iterable[int] | None = None,
    *,
    window_ms: int = DEDUPE_WINDOW_MS,
) -> DeviceState:
    """The entry remembering ``event_ids`` (R26) at their event times (default: the
    device's last activity), for at least ``window_ms`` of event time."""
    new = list(event_ids)
    if not new:
        return state
    fill = state["last_activity_time"]
    times = list(event_times) if event_times is not None else [fill] * len(new)
    digests, packed_times = ids.remember(
        _packed(state, "event", _long_bytes),
        new,
        times,
        window_ms=window_ms,
        limit=MAX_REMEMBERED,
    )
    return {
        **state,
        "events": [],
        "event_times": [],
        "event_digests": digests,
        "event_digest_times": packed_times,
    }
