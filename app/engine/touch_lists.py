"""The value of one touch-index key: its touches, newest first, bounded.

Pure functions over :data:`Entry` tuples ``(touch_id, touch_time, touch
bytes, received_time)``; the state layer stores them as a ``TouchList``.

Retention (R1: decisions use event time only): a touch may be dropped only
when no install can still refer to it, i.e. when it is older than its key's
horizon both in event time (before the newest touch time seen on the
partition, the *watermark*) and since it was received (processing time). A
history import or a late S2S source sends touches that are old in event time
but new to us: they stay for a horizon after their reception, so the
installs imported with them decide as a replay in event-time order would.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrib.engine.index import HORIZON_MS, MAX_TOUCHES_PER_KEY, kind_of

Entry = tuple[str, int, bytes, int]


def keeps(entry: Entry, *, oldest_event_ms: int, oldest_received_ms: int | None) -> bool:
    """Whether retention keeps ``entry``: inside the horizon in event time, or since
    its reception (``oldest_received_ms`` None: event time alone decides)."""
    if entry[1] >= oldest_event_ms:
        return True
    return oldest_received_ms is not None and entry[3] >= oldest_received_ms


def _bounds(key: str, watermark_ms: int, now_ms: int | None) -> tuple[int, int | None]:
    horizon = HORIZON_MS[kind_of(key)]
    return watermark_ms - horizon, None if now_ms is None else now_ms - horizon


def merge(
    existing: Iterable[Entry],
    new: Iterable[Entry],
    *,
    key: str,
    watermark_ms: int,
    now_ms: int | None = None,
) -> list[Entry]:
    """Add ``new`` to ``existing``: one entry per touch id, none that retention drops
    (see :func:`keeps`), newest first, at most :data:`MAX_TOUCHES_PER_KEY`."""
    oldest, oldest_received = _bounds(key, watermark_ms, now_ms)
    by_id: dict[str, Entry] = {}
    for entry in existing:
        if keeps(entry, oldest_event_ms=oldest, oldest_received_ms=oldest_received):
            by_id[entry[0]] = entry
    for entry in new:
        if keeps(entry, oldest_event_ms=oldest, oldest_received_ms=oldest_received):
            by_id.setdefault(entry[0], entry)
    merged = sorted(by_id.values(), key=lambda e: (-e[1], e[0]))
    return merged[:MAX_TOUCHES_PER_KEY]


def unexpired(
    entries: Iterable[Entry], *, key: str, watermark_ms: int, now_ms: int | None = None
) -> list[Entry]:
    """The entries retention keeps (what a sweep keeps)."""
    oldest, oldest_received = _bounds(key, watermark_ms, now_ms)
    return [
        e for e in entries if keeps(e, oldest_event_ms=oldest, oldest_received_ms=oldest_received)
    ]


def candidates(
    entries: Iterable[Entry], *, install_time: int, key: str, newer_than: int = 0
) -> list[bytes]:
    """The touches a lookup returns: not after T0 (R2), inside the key's horizon before T0,
    and after ``newer_than`` when given (a session wants only clicks after the install, R23)."""
    oldest = install_time - HORIZON_MS[kind_of(key)]
    if newer_than:
        oldest = max(oldest, newer_than + 1)
    return [e[2] for e in entries if oldest <= e[1] <= install_time]
