"""Which touches of one index key are kept, and which a lookup returns.

The touch index stores one RocksDB entry per touch and key
(:mod:`attrib.engine.touch_store`); these pure functions decide over an
entry's event time and reception time.

Retention (R1: decisions use event time only): a touch may be dropped only
when no install can still refer to it, i.e. when it is older than its key's
horizon both in event time (before the newest touch time seen on the
partition, the *watermark*) and since it was received (processing time). A
history import or a late S2S source sends touches that are old in event time
but new to us: they stay for a horizon after their reception, so the
installs imported with them decide as a replay in event-time order would.
"""

from __future__ import annotations

from attrib.engine.index import HORIZON_MS, kind_of


def keeps(key: str, touch_time: int, received_ms: int, *, watermark_ms: int, now_ms: int) -> bool:
    """Whether retention keeps a touch filed under ``key``."""
    horizon = HORIZON_MS[kind_of(key)]
    return touch_time >= watermark_ms - horizon or received_ms >= now_ms - horizon


def lookup_window(key: str, *, install_time: int, newer_than: int = 0) -> tuple[int, int]:
    """``(oldest, newest)`` touch times a lookup returns: not after T0 (R2), inside the
    key's horizon before T0, and after ``newer_than`` when given (a session wants only
    clicks after the install, R23)."""
    oldest = install_time - HORIZON_MS[kind_of(key)]
    if newer_than:
        oldest = max(oldest, newer_than + 1)
    return oldest, install_time
