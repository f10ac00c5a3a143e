"""Through when every touch the broker received is in ``touch-index``: the lookup gate.

R1 and R4: an install's lookups, sent once its ``decision_delay`` is over,
must be answered from every touch the broker received before then, as a
replay in arrival order decides (tests/chaos/reference.py). Touches reach
the index through the intake, a consumer group of its own whose members each
read some of the ``clicks``/``impressions`` partitions, and which commits its
offsets only after the ``touch-index`` records it routed were acknowledged.

So a worker takes the time T, lists the end offsets of every touch
partition, and once the intake group's committed offsets have reached them
all, every touch received before T is in ``touch-index``: the lookups of
installs due at or before T may go. ``answer-lookups`` then waits until its
partition's index has *filed* ``touch-index`` through the lookup's send time
(:mod:`attrib.engine.index_progress`).

It replaced a check of the worker's own intake lag, which said nothing about
the touch partitions another worker reads: with two workers, installs were
looked up before the other worker's intake had routed their clicks
(docs/reliability.md, finding 7).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass


def touches_routed(
    ends: Mapping[Hashable, int],
    committed: Mapping[Hashable, int | None],
    starts: Mapping[Hashable, int],
) -> bool:
    """Has the intake group committed every touch partition through ``ends``?

    ``committed``: the group's committed offset per partition (None or
    negative: never committed). A partition never committed is caught up only
    when nothing of it is left in the log (its start offset, from ``starts``,
    has reached its end; unknown counts as 0).
    """
    for tp, end in ends.items():
        done = committed.get(tp)
        if done is None or done < 0:
            done = starts.get(tp, 0)
        if done < end:
            return False
    return True


@dataclass
class TouchWatermark:
    """The newest T through which every received touch is in ``touch-index``."""

    through_ms: int | None = None

    def reached(self, taken_ms: int) -> None:
        """Every touch received before ``taken_ms`` is routed (it never moves back)."""
        if self.through_ms is None or taken_ms > self.through_ms:
            self.through_ms = taken_ms

    def due_until(self, now_ms: int) -> int | None:
        """Installs due at or before this time may be looked up (None: none yet)."""
        if self.through_ms is None:
            return None
        return min(now_ms, self.through_ms)
