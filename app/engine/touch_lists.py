"""The value of one touch-index key: its touches, newest first, bounded.

Pure functions over :data:`Entry` tuples ``(touch_id, touch_time, touch
bytes)``; the agent encodes them as a ``TouchList`` record.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrib.engine.index import HORIZON_MS, MAX_TOUCHES_PER_KEY, kind_of

Entry = tuple[str, int, bytes]


def merge(
    existing: Iterable[Entry], new: Iterable[Entry], *, key: str, watermark_ms: int
) -> list[Entry]:
    """Add ``new`` to ``existing``: one entry per touch id, none older than the
    key's horizon before ``watermark_ms`` (the newest event time seen), newest
    first, at most :data:`MAX_TOUCHES_PER_KEY`."""
    oldest = watermark_ms - HORIZON_MS[kind_of(key)]
    by_id: dict[str, Entry] = {}
    for entry in existing:
        if entry[1] >= oldest:
            by_id[entry[0]] = entry
    for entry in new:
        if entry[1] >= oldest:
            by_id.setdefault(entry[0], entry)
    merged = sorted(by_id.values(), key=lambda e: (-e[1], e[0]))
    return merged[:MAX_TOUCHES_PER_KEY]


def unexpired(entries: Iterable[Entry], *, key: str, watermark_ms: int) -> list[Entry]:
    """The entries still inside the key's horizon (what a sweep keeps)."""
    oldest = watermark_ms - HORIZON_MS[kind_of(key)]
    return [e for e in entries if e[1] >= oldest]


def candidates(
    entries: Iterable[Entry], *, install_time: int, key: str, newer_than: int = 0
) -> list[bytes]:
    """The touches a lookup returns: not after T0 (R2), inside the key's horizon before T0,
    and after ``newer_than`` when given (a session wants only clicks after the install, R23)."""
    oldest = install_time - HORIZON_MS[kind_of(key)]
    if newer_than:
        oldest = max(oldest, newer_than + 1)
    return [e[2] for e in entries if oldest <= e[1] <= install_time]
