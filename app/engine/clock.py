"""The worker's one processing-time clock (epoch milliseconds).

Decisions use event time (R1); processing time only times the waits
(``decision_delay``, R4; the R25 hold) and retention since reception. Every
module asks here, so the test driver can move time by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]


def wall_ms() -> int:
    return int(time.time() * 1000)


class ManualClock:
    """A clock the test driver sets and advances."""

    def __init__(self, start_ms: int) -> None:
        self.now = start_ms

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms
