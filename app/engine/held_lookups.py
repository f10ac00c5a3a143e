"""Lookup envelopes set aside until the touch index of their partition can answer them.

``answer-lookups`` answers an envelope once its partition's index is complete
through the envelope's send time (:mod:`attrib.engine.index_progress`). It
must not wait for that inline: Faust feeds every agent from one drain loop,
and an agent that stops taking records blocks it once its buffer is full, so
``store-touches`` (the agent the wait is for) starves with the rest. After a
worker restart the replayed lookup backlog filled that buffer at once and the
long two-worker chaos run stalled (docs/reliability.md, finding 10).

So every envelope goes through a :class:`HeldLookups`: it is released as soon
as its partition's index is complete through its send time (usually at
once), or answered anyway after ``max_wait_ms`` (counted as incomplete, as
before). Held envelopes are not acknowledged, so a crash replays them; and a
rebalance, which replays everything unacknowledged from the committed offset,
clears them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Held(Generic[T]):
    partition: int
    sent_ms: int
    held_at_ms: int
    item: T


@dataclass
class Released(Generic[T]):
    #: Envelopes whose partition's index is complete through their send time, in the
    #: order they were held.
    ready: list[T] = field(default_factory=list)
    #: Envelopes held ``max_wait_ms`` without that, with their partition (answered
    #: from the index as it is).
    overdue: list[Held[T]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.ready or self.overdue)

    @property
    def items(self) -> list[T]:
        return self.ready + [held.item for held in self.overdue]


@dataclass
class _Partition(Generic[T]):
    #: In the order held, so the first one is the one held longest.
    held: list[Held[T]] = field(default_factory=list)
    #: The earliest send time held (the partition can release nothing before it).
    min_sent_ms: int | None = None


@dataclass
class HeldLookups(Generic[T]):
    """Envelopes per partition until their partition's index is complete through them.

    :meth:`release` runs every few milliseconds: a partition with nothing to
    release costs one comparison, however many envelopes it holds.
    """

    max_wait_ms: int
    _partitions: dict[int, _Partition[T]] = field(default_factory=dict)
    _count: int = 0

    def __len__(self) -> int:
        return self._count

    def hold(self, partition: int, sent_ms: int, now_ms: int, item: T) -> None:
        kept = self._partitions.setdefault(partition, _Partition())
        kept.held.append(Held(partition, sent_ms, now_ms, item))
        if kept.min_sent_ms is None or sent_ms < kept.min_sent_ms:
            kept.min_sent_ms = sent_ms
        self._count += 1

    def clear(self) -> None:
        """Forget every envelope (a rebalance: they are read again from the committed offset)."""
        self._partitions.clear()
        self._count = 0

    def release(self, complete_through: Callable[[int], int | None], now_ms: int) -> Released[T]:
        """Take out the envelopes that can be answered now.

        ``complete_through(partition)``: the time through which the partition's
        index holds every touch written (None: not known yet).
        """
        released: Released[T] = Released()
        for partition in list(self._partitions):
            kept = self._partitions[partition]
            through = complete_through(partition)
            some_ready = (
                through is not None and kept.min_sent_ms is not None and kept.min_sent_ms <= through
            )
            some_overdue = now_ms - kept.held[0].held_at_ms >= self.max_wait_ms
            if not (some_ready or some_overdue):
                continue
            still: list[Held[T]] = []
            for held in kept.held:
                if through is not None and held.sent_ms <= through:
                    released.ready.append(held.item)
                elif now_ms - held.held_at_ms >= self.max_wait_ms:
                    released.overdue.append(held)
                else:
                    still.append(held)
            if still:
                kept.held = still
                kept.min_sent_ms = min(held.sent_ms for held in still)
            else:
                del self._partitions[partition]
        self._count -= len(released.ready) + len(released.overdue)
        return released
