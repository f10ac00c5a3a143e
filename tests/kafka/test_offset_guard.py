"""The offset guard: records of a contiguous topic reach Faust in order, each once,
however many the consumer skips (docs/reliability.md, finding 5)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from attrib.kafka import offset_guard
from attrib.kafka.offset_guard import MAX_REWINDS, OffsetGuard, Verdict

TP = ("device-inputs", 0)


def test_the_expected_offset_passes_and_moves_on() -> None:
    guard = OffsetGuard()
    guard.sought(TP, 10)
    assert guard.judge(TP, 10) is Verdict.PASS
    assert guard.judge(TP, 11) is Verdict.PASS
    assert guard.expected[TP] == 12


def test_whatever_comes_first_passes_when_nothing_was_committed() -> None:
    guard = OffsetGuard()
    guard.sought(TP, None)
    assert guard.judge(TP, 7) is Verdict.PASS
    assert guard.judge(TP, 9) is Verdict.REWIND  # from then on, contiguous


def test_a_jump_rewinds_once_per_batch_and_later_records_wait() -> None:
    guard = OffsetGuard()
    guard.sought(TP, 100)
    assert guard.judge(TP, 126) is Verdict.REWIND
    assert guard.judge(TP, 127) is Verdict.WAIT
    guard.new_batch()
    assert guard.judge(TP, 100) is Verdict.PASS  # read again after the seek
    assert guard.judge(TP, 127) is Verdict.REWIND  # 101..126 not seen yet


def test_an_older_record_is_dropped() -> None:
    guard = OffsetGuard()
    guard.sought(TP, 5)
    assert guard.judge(TP, 5) is Verdict.PASS
    assert guard.judge(TP, 5) is Verdict.OLD
    assert guard.judge(TP, 3) is Verdict.OLD


def test_records_gone_from_the_log_are_given_up_after_the_rewinds() -> None:
    guard = OffsetGuard()
    guard.sought(TP, 0)
    verdicts = []
    for _ in range(MAX_REWINDS + 1):
        guard.new_batch()
        verdicts.append(guard.judge(TP, 40))  # retention: the log starts at 40 now
    assert verdicts == [Verdict.REWIND] * MAX_REWINDS + [Verdict.GIVE_UP]
    assert guard.expected[TP] == 41


def test_a_seek_resets_the_rewinds() -> None:
    guard = OffsetGuard()
    guard.sought(TP, 0)
    assert guard.judge(TP, 9) is Verdict.REWIND
    guard.sought(TP, 9)
    assert guard.judge(TP, 9) is Verdict.PASS
    assert TP not in guard.rewinds


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 120),
    start=st.integers(0, 30),
    batch=st.integers(1, 30),
    faults=st.lists(st.integers(0, 30), max_size=MAX_REWINDS - 1),
)
def test_every_record_passes_once_in_order_however_the_consumer_skips(
    size: int, start: int, batch: int, faults: list[int]
) -> None:
    """A consumer that drops the first ``faults[i]`` records of its i-th batch (and
    moves its position past them) still hands on start..size-1, in order, once each.
    (A skip shows when a later record comes: the log keeps growing, as it does.)"""
    guard = OffsetGuard()
    guard.sought(TP, start)
    position, handed, batches = start, [], 0
    while (not handed or handed[-1] < size - 1) and batches < 1000:
        drop = faults[batches] if batches < len(faults) else 0
        fetched = list(range(position, position + batch))
        position = fetched[-1] + 1
        guard.new_batch()
        for offset in fetched[drop:]:
            verdict = guard.judge(TP, offset)
            if verdict is Verdict.PASS:
                handed.append(offset)
            elif verdict is Verdict.REWIND:
                position = guard.expected[TP]  # the seek
        batches += 1
    assert handed == list(range(start, start + len(handed)))
    assert len(handed) >= size - start


# -- install(): the guard between a consumer class and its drain loop ---------------------


@dataclass(frozen=True)
class _TP:
    topic: str
    partition: int


@dataclass
class _Message:
    offset: int


class _Consumer:
    """The three methods the guard wraps, over a log of offsets 0..n-1 per partition,
    whose first fetch after a seek skips ``skip`` records (Faust's fault)."""

    def __init__(self, size: int, skip: int) -> None:
        self.size, self.skip = size, skip
        self.position: dict[_TP, int] = {}
        self.seeks: list[tuple[_TP, int]] = []
        self.committed: dict[_TP, int] = {}

    async def getmany(self, timeout: float):  # noqa: ASYNC109 - Faust's signature
        for tp, position in list(self.position.items()):
            first = position + self.skip
            self.skip = 0
            fetched = range(first, min(self.size, first + 10))
            if fetched:
                self.position[tp] = fetched[-1] + 1  # a seek meanwhile wins
            for offset in fetched:
                yield tp, _Message(offset)

    async def seek(self, partition: _TP, offset: int) -> None:
        self.seeks.append((partition, offset))
        self.position[partition] = offset

    async def seek_to_committed(self) -> dict[_TP, int]:
        self.position.update(self.committed)
        return dict(self.committed)


def _drain(consumer: _Consumer, rounds: int) -> list[tuple[str, int]]:
    async def run() -> list[tuple[str, int]]:
        out = []
        for _ in range(rounds):
            async for tp, message in consumer.getmany(timeout=1.0):
                out.append((tp.topic, message.offset))
        return out

    return asyncio.run(run())


def test_install_reads_skipped_records_of_a_contiguous_topic_again() -> None:
    class Consumer(_Consumer):
        pass

    offset_guard.install(Consumer, {"inputs"}.__contains__)
    consumer = Consumer(size=40, skip=25)
    tp = _TP("inputs", 0)
    consumer.committed = {tp: 5}
    asyncio.run(consumer.seek_to_committed())
    handed = _drain(consumer, rounds=6)
    assert [offset for _, offset in handed] == list(range(5, 40))
    assert consumer.seeks == [(tp, 5)]  # one seek back, to the committed offset


def test_install_leaves_other_topics_alone() -> None:
    class Consumer(_Consumer):
        pass

    offset_guard.install(Consumer, {"inputs"}.__contains__)
    offset_guard.install(Consumer, {"inputs"}.__contains__)  # idempotent
    consumer = Consumer(size=40, skip=25)
    tp = _TP("changelog", 0)
    consumer.committed = {tp: 5}
    asyncio.run(consumer.seek_to_committed())
    handed = _drain(consumer, rounds=2)
    assert [offset for _, offset in handed] == list(range(30, 40))  # gaps are Faust's to judge
    assert consumer.seeks == []


def test_install_drops_records_handed_on_already_and_counts_them() -> None:
    class Consumer(_Consumer):
        pass

    offset_guard.install(Consumer, {"inputs"}.__contains__)
    consumer = Consumer(size=20, skip=0)
    tp = _TP("inputs", 0)
    consumer.committed = {tp: 0}
    asyncio.run(consumer.seek_to_committed())
    first = _drain(consumer, rounds=1)  # 0..9 handed on
    consumer.position[tp] = 4  # a stale fetch position: 4..9 come again
    before = offset_guard.OLD_DROPPED.labels("inputs")._value.get()
    again = _drain(consumer, rounds=2)
    assert [o for _, o in first + again] == list(range(20))  # each offset once, in order
    assert offset_guard.OLD_DROPPED.labels("inputs")._value.get() - before == 6
