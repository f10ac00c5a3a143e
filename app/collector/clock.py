"""The collector's receive time: wall-clock epoch milliseconds, UTC.

Kept apart from event time (what the sender says happened, R1): every record
carries both, and R3 bounds the one by the other.
"""

from __future__ import annotations

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000


__all__ = ["now_ms"]
