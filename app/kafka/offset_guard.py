"""Contiguous offsets for the engine's topics: Faust must never skip a record silently.

Why (docs/reliability.md, finding 5): Faust's consumer can drop records it
has already fetched without seeking back (the rest of a fetched batch when a
rebalance or a generation change interrupts it; seen at a worker's restart,
the first ~25 records of every partition). The next record it hands on is
then further on, and its drain loop files the missed offsets as a "gap"
that it counts as acknowledged (gaps are meant for compacted topics and
transaction markers), so its next commit goes past records no agent ever
saw. The chaos suite lost hundreds of installs a run that way.

The engine's internal topics are written by one idempotent, non-transactional
producer and never compacted: their offsets are contiguous, so a jump is
always a skipped record. :class:`OffsetGuard` knows the next offset each such
partition must deliver (the committed offset after a seek, then one past each
record handed on) and judges every record before Faust sees it:

- the expected one passes;
- an older one (handed on already, a stale fetch) is dropped;
- a newer one means records were skipped: the consumer seeks back to the
  expected offset and the record is dropped (it comes again after the seek).

A partition whose expected offset keeps being skipped after
:data:`MAX_REWINDS` seeks (retention deleted the records before they were
read) gives up: the jump is accepted, logged and counted.

:func:`install` puts the guard between Faust's consumer and its drain loop
(``getmany``) and learns the seeks (``seek``, ``seek_to_committed``).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter

log = logging.getLogger(__name__)

#: Seeks back to one expected offset before a jump is accepted as records gone.
MAX_REWINDS = 5

REWINDS = Counter(
    "attrib_worker_offset_rewinds_total",
    "Seeks back to the next offset of an engine topic partition after Faust's "
    "consumer skipped records (each skipped record is read again)",
    ["topic"],
)
OLD_DROPPED = Counter(
    "attrib_worker_offset_old_records_dropped_total",
    "Records of an engine topic partition dropped because an earlier read had "
    "handed them on already (a stale fetch after a seek)",
    ["topic"],
)
JUMPS_ACCEPTED = Counter(
    "attrib_worker_offset_jumps_accepted_total",
    "Offsets of an engine topic partition given up after repeated seeks back "
    "(the records were no longer in the log)",
    ["topic"],
)


class Verdict(enum.Enum):
    PASS = "pass"  # the expected record: hand it on
    OLD = "old"  # handed on already: drop
    REWIND = "rewind"  # records skipped: seek back to the expected offset, drop this one
    WAIT = "wait"  # a seek back is under way in this batch: drop
    GIVE_UP = "give-up"  # seeks back did not bring the expected offset: accept the jump


@dataclass
class OffsetGuard:
    #: The next offset each partition must deliver (absent: whatever comes first).
    expected: dict[Hashable, int] = field(default_factory=dict)
    #: Seeks back made to the current expected offset, per partition.
    rewinds: dict[Hashable, int] = field(default_factory=dict)
    #: Partitions sought back during the current batch (their later records wait).
    rewinding: set[Hashable] = field(default_factory=set)

    def sought(self, tp: Hashable, offset: int | None) -> None:
        """The consumer now reads ``tp`` from ``offset`` (None: from wherever it starts)."""
        if offset is None or offset < 0:
            self.expected.pop(tp, None)
        else:
            self.expected[tp] = offset
        self.rewinds.pop(tp, None)
        self.rewinding.discard(tp)

    def new_batch(self) -> None:
        """A new fetch: a partition sought back may be sought again if still skipped."""
        self.rewinding.clear()

    def judge(self, tp: Hashable, offset: int) -> Verdict:
        expected = self.expected.get(tp)
        if expected is None or offset == expected:
            self._passed(tp, offset)
            return Verdict.PASS
        if offset < expected:
            return Verdict.OLD
        if tp in self.rewinding:
            return Verdict.WAIT
        if self.rewinds.get(tp, 0) >= MAX_REWINDS:
            self._passed(tp, offset)
            return Verdict.GIVE_UP
        self.rewinds[tp] = self.rewinds.get(tp, 0) + 1
        self.rewinding.add(tp)
        return Verdict.REWIND

    def _passed(self, tp: Hashable, offset: int) -> None:
        self.expected[tp] = offset + 1
        self.rewinds.pop(tp, None)
        self.rewinding.discard(tp)


def install(consumer_class: type, contiguous: Callable[[str], bool]) -> None:
    """Guard every consumer of ``consumer_class`` (Faust's driver class) on the topics
    for which ``contiguous(topic)`` is true. Idempotent."""
    if getattr(consumer_class, "_attrib_offset_guard", False):
        return
    original_getmany = consumer_class.getmany
    original_seek = consumer_class.seek
    original_seek_to_committed = consumer_class.seek_to_committed

    def guard_of(consumer: Any) -> OffsetGuard:
        guard = consumer.__dict__.get("_attrib_guard")
        if guard is None:
            guard = consumer.__dict__["_attrib_guard"] = OffsetGuard()
        return guard

    async def getmany(self: Any, timeout: float) -> AsyncIterator[tuple[Any, Any]]:  # noqa: ASYNC109 - Faust's signature
        guard = guard_of(self)
        guard.new_batch()
        async for tp, message in original_getmany(self, timeout):
            if not contiguous(tp.topic):
                yield tp, message
                continue
            expected = guard.expected.get(tp)
            verdict = guard.judge(tp, message.offset)
            if verdict is Verdict.PASS:
                yield tp, message
            elif verdict is Verdict.OLD:
                OLD_DROPPED.labels(tp.topic).inc()
            elif verdict is Verdict.REWIND:
                REWINDS.labels(tp.topic).inc()
                log.warning(
                    "consumer skipped records of %s[%s] (expected offset %s, got %s); "
                    "reading them again",
                    tp.topic,
                    tp.partition,
                    expected,
                    message.offset,
                    extra={
                        "fields": {
                            "topic": tp.topic,
                            "partition": tp.partition,
                            "expected": expected,
                            "got": message.offset,
                        }
                    },
                )
                await original_seek(self, tp, expected)
            elif verdict is Verdict.GIVE_UP:
                JUMPS_ACCEPTED.labels(tp.topic).inc(message.offset - (expected or 0))
                log.error(
                    "records %s..%s of %s[%s] are gone from the log; going on after them",
                    expected,
                    message.offset - 1,
                    tp.topic,
                    tp.partition,
                    extra={
                        "fields": {
                            "topic": tp.topic,
                            "partition": tp.partition,
                            "first": expected,
                            "last": message.offset - 1,
                        }
                    },
                )
                yield tp, message

    async def seek(self: Any, partition: Any, offset: int) -> None:
        await original_seek(self, partition, offset)
        if contiguous(partition.topic):
            guard_of(self).sought(partition, offset)

    async def seek_to_committed(self: Any) -> Mapping[Any, int]:
        committed: Mapping[Any, int] = await original_seek_to_committed(self)
        guard = guard_of(self)
        for tp, offset in committed.items():
            if contiguous(tp.topic):
                guard.sought(tp, offset)
        return committed

    consumer_class.getmany = getmany
    consumer_class.seek = seek
    consumer_class.seek_to_committed = seek_to_committed
    consumer_class._attrib_offset_guard = True
