"""The device registry entry (table ``devices``, key ``app_id|device_key``).

Holds what later decisions need (R18–R21, R23, R26): install times, last
activity, whether the latest install was blocked, the latest attribution
record, the install event ids already decided, the latest re-engagement and
the retargeting clicks already used (R23), and the session and in-app event
ids already processed (R26).

In-app event ids are remembered as packed bytes (``event_digests``: 8-byte
digests, ``event_digest_times``: their event times), not as Avro arrays. An
active device remembers thousands of events over the dedupe window, and its
entry is read and written at each of its events: as arrays of longs that cost
a Python varint per element, 10 ms to decode and 8 ms to encode at 3,000
events (``bench/device_events.py``); as bytes both are a copy. Entries written
before DeviceState v4 hold them in ``events``/``event_times``: they are read as
well and moved to the packed fields at the device's next event.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from typing import Any

from attrib.config.limits import WINDOW_RANGES_MS
from attrib.rules.model import Decision, DeviceHistory

DeviceState = dict[str, Any]

#: R26: install, session and in-app event ids are remembered for this much event
#: time per device (the deployment setting ``dedupe_window``, at least 30 d),
#: however many other ids the device sends meanwhile.
DEDUPE_WINDOW_MS = 30 * 86_400_000
#: A safety cap per kind of id: a device's entry must fit one Kafka record (a
#: device sending more than this many events inside the window is a bot).
MAX_REMEMBERED = 20_000
#: Event time past the window a remembered event may stay before the device's
#: events are pruned: a prune reads every remembered time, so it runs about once
#: per day of a device's event time instead of at each event (R26 asks for at
#: least the window).
PRUNE_SLACK_MS = 86_400_000
#: Bytes per remembered in-app event in each packed field.
_PACKED = 8
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
}


def session_seen(state: DeviceState, event_id: str) -> bool:
    """Whether the session ``event_id`` was processed already (R26)."""
    return event_id in state["sessions"]


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
    sessions, session_times = _recent(
        [*state["sessions"], event_id],
        [*state.get("session_times", []), session_time],
        fill_ms=state["last_activity_time"],
        window_ms=window_ms,
    )
    updated = {
        **state,
        "last_activity_time": max(state["last_activity_time"], session_time),
        "sessions": sessions,
        "session_times": session_times,
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


def event_digest(event_id: str) -> int:
    """A 64-bit digest of an event id (signed, as Avro's long; the form of
    ``events`` before v4)."""
    return int.from_bytes(_digest_bytes(event_id), "big", signed=True)


def _digest_bytes(event_id: str) -> bytes:
    """An event id's digest as ``event_digests`` packs it (big-endian, so the same
    number as :func:`event_digest`)."""
    return hashlib.blake2b(event_id.encode(), digest_size=_PACKED).digest()


def _has_digest(packed: bytes, digest: bytes) -> bool:
    """Whether ``digest`` is one of the 8-byte entries of ``packed`` (not a run of
    bytes straddling two entries)."""
    at = packed.find(digest)
    while at != -1:
        if at % _PACKED == 0:
            return True
        at = packed.find(digest, at + 1)
    return False


def event_seen(state: DeviceState | None, event_id: str) -> bool:
    """Whether the in-app event ``event_id`` was attributed already (R26)."""
    if state is None:
        return False
    if _has_digest((state.get("event_digests") or b""), _digest_bytes(event_id)):
        return True
    legacy = state.get("events")
    return bool(legacy) and event_digest(event_id) in legacy


def remembered_events(state: DeviceState) -> int:
    """How many in-app event ids the device remembers."""
    return len(state.get("event_digests") or b"") // _PACKED + len(state.get("events") or [])


def _packed_events(state: DeviceState) -> tuple[bytes, bytes]:
    """The device's remembered digests and times, packed, oldest first; the arrays
    of an entry written before v4 come first."""
    digests: bytes = state.get("event_digests") or b""
    times: bytes = state.get("event_digest_times") or b""
    legacy: list[int] = state.get("events") or []
    if legacy:
        fill = state["last_activity_time"]
        legacy_times = list(state.get("event_times") or [])
        legacy_times = [fill] * (len(legacy) - len(legacy_times)) + legacy_times
        n = len(legacy)
        digests = struct.pack(f">{n}q", *legacy) + digests
        times = struct.pack(f"<{n}q", *legacy_times[-n:]) + times
    return digests, times


def _prune(digests: bytes, times: bytes, *, newest: int, window_ms: int) -> tuple[bytes, bytes]:
    """Keep the events inside ``window_ms`` of ``newest``, once the oldest is more than
    :data:`PRUNE_SLACK_MS` past it, and at most :data:`MAX_REMEMBERED` of them."""
    if len(digests) > MAX_REMEMBERED * _PACKED:
        digests, times = digests[-MAX_REMEMBERED * _PACKED :], times[-MAX_REMEMBERED * _PACKED :]
    cutoff = newest - window_ms
    if not times or struct.unpack_from("<q", times)[0] >= cutoff - PRUNE_SLACK_MS:
        return digests, times
    all_times = struct.unpack(f"<{len(times) // _PACKED}q", times)
    kept = [i for i, t in enumerate(all_times) if t >= cutoff]
    return (
        b"".join(digests[i * _PACKED : (i + 1) * _PACKED] for i in kept),
        struct.pack(f"<{len(kept)}q", *(all_times[i] for i in kept)),
    )


def remember_events(
    state: DeviceState,
    event_ids: Iterable[str],
    event_times: Iterable[int] | None = None,
    *,
    window_ms: int = DEDUPE_WINDOW_MS,
) -> DeviceState:
    """The entry remembering ``event_ids`` (R26) at their event times (default: the
    device's last activity), for at least ``window_ms`` of event time."""
    ids = list(event_ids)
    if not ids:
        return state
    fill = state["last_activity_time"]
    times = list(event_times) if event_times is not None else [fill] * len(ids)
    digests, packed_times = _packed_events(state)
    digests += b"".join(_digest_bytes(e) for e in ids)
    packed_times += struct.pack(f"<{len(times)}q", *times)
    digests, packed_times = _prune(digests, packed_times, newest=max(times), window_ms=window_ms)
    return {
        **state,
        "events": [],
        "event_times": [],
        "event_digests": digests,
        "event_digest_times": packed_times,
    }
