"""How far the touch index is complete, in wall time, per partition.

A lookup must be answered from an index that holds every touch written
before the lookup was sent (R1: a replay decides as the live run did; R4).
Touches and lookups travel on different topics, read by different agents of
the same partition, so the lookup can overtake the touch: after a restart,
or whenever ``store-touches`` is behind (found by the chaos suite: decisions
differing from the fault-free run, docs/reliability.md finding 4).

So the worker snapshots the end offset of each of its ``touch-index``
partitions at short intervals, listed from the broker with the time taken
before the request (a consumer's highwater is only as new as the last fetch
of the partition: finding 8), and ``store-touches`` reports
how far it has filed each partition. The index of a partition is complete
through the latest snapshot whose end offset it has reached:
:meth:`IndexProgress.complete_through` gives that snapshot's time, and
``answer-lookups`` answers a lookup envelope once the index of its
partition is complete through the envelope's timestamp.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class IndexProgress:
    #: Per partition, (taken at ms, end offset) of the snapshots not yet reached, oldest
    #: first, after the newest one reached (the partition's "complete through").
    snapshots: dict[int, deque[tuple[int, int]]] = field(default_factory=dict)
    #: Per partition, the next offset ``store-touches`` has not filed yet.
    filed: dict[int, int] = field(default_factory=dict)
    #: Snapshots kept per partition at most (a stalled partition stops growing).
    max_snapshots: int = 10_000

    def reset(self) -> None:
        """Forget everything (a rebalance: partitions move, offsets start again)."""
        self.snapshots.clear()
        self.filed.clear()

    def snapshot(self, now_ms: int, end_offsets: Mapping[int, int | None]) -> None:
        """The end offsets of the partitions now (None: not known yet, no snapshot)."""
        for partition, end in end_offsets.items():
            if end is None:
                continue
            kept = self.snapshots.setdefault(partition, deque())
            if kept and kept[-1][1] == end:
                # Nothing written since the last one: move it forward in time.
                kept[-1] = (now_ms, end)
            else:
                kept.append((now_ms, end))
            if len(kept) > self.max_snapshots:
                kept.popleft()

    def filed_through(self, partition: int, next_offset: int) -> None:
        """``store-touches`` filed every record of ``partition`` before ``next_offset``."""
        if next_offset > self.filed.get(partition, 0):
            self.filed[partition] = next_offset

    def describe(self, partition: int) -> str:
        """The partition's progress in a log line: filed, oldest and newest snapshot kept."""
        kept = self.snapshots.get(partition) or deque()
        first = kept[0] if kept else None
        last = kept[-1] if kept else None
        return (
            f"filed {self.filed.get(partition)}, {len(kept)} snapshots, "
            f"oldest (ms, end) {first}, newest {last}"
        )

    def complete_through(self, partition: int, floor: int | None = None) -> int | None:
        """The time of the newest snapshot of ``partition`` whose end offset is filed
        (None: none yet). ``floor``: an offset known filed (the committed one)."""
        # Nothing filed and nothing committed: the partition's log starts at 0.
        filed = max(self.filed.get(partition, 0), floor or 0)
        kept = self.snapshots.get(partition)
        if not kept:
            return None
        while len(kept) > 1 and kept[1][1] <= filed:
            kept.popleft()  # the newest reached one stays first
        taken_ms, end = kept[0]
        return taken_ms if end <= filed else None
