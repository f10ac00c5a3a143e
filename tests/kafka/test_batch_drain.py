"""The batch drain: Faust's drain loop, one wait per fetched batch (app/kafka/batch_drain.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from faust.types import TP
from mode import Service

from attrib.kafka import batch_drain


@dataclass
class _Message:
    topic: str
    offset: int


class _Flag:
    def __init__(self) -> None:
        self.set_count = 0

    def set_flag(self, flag: str) -> None:
        self.set_count += 1

    def unset_flag(self, flag: str) -> None:
        pass


class _Consumer(Service):
    """The attributes of Faust's consumer that its drain loop uses, and nothing else."""

    consumer_stopped_errors = (ConnectionError,)

    def __init__(
        self,
        batches: list[list[tuple[TP, int]]],
        *,
        commit_every: int | None = None,
        acks_topics: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self.batches = list(batches)
        self.fetcher = SimpleNamespace(_stopped=asyncio.Event())
        self.delivered: list[tuple[str, int]] = []
        self.gaps: list[tuple[TP, int, int]] = []
        self.commits: list[int] = []
        self.waits = 0
        self.block_at: int | None = None  # offset whose delivery never ends
        self._read_offset: dict[TP, int] = {}
        self._commit_every = commit_every
        self._n_acked = 0
        self.suspend_flow = asyncio.Event()
        self.diag = _Flag()
        self.app = SimpleNamespace(
            topics=SimpleNamespace(acks_enabled_for=acks_topics.__contains__)
        )
        self.transport = SimpleNamespace(app=SimpleNamespace(should_stop=False))

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, _Message]]:  # noqa: ASYNC109
        if not self.batches:
            self.fetcher._stopped.set()
            return
        for tp, offset in self.batches.pop(0):
            if self.suspend_flow.is_set():
                break  # Faust's getmany stops handing on records once the flow stops
            yield tp, _Message(tp.topic, offset)

    async def callback(self, message: _Message) -> None:
        if message.offset == self.block_at:
            await asyncio.Event().wait()  # a full stream buffer
        self.delivered.append((message.topic, message.offset))
        self._n_acked += 1

    async def _add_gap(self, tp: TP, first: int, last: int) -> None:
        self.gaps.append((tp, first, last))

    async def commit(self) -> None:
        self.commits.append(len(self.delivered))

    async def wait_first(self, *coros: Any, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        self.waits += 1
        return await super().wait_first(*coros, timeout=timeout)


def _run(consumer: _Consumer, during: Any = None) -> None:
    async def main() -> None:
        drain = asyncio.ensure_future(batch_drain.drain_messages(consumer, consumer.fetcher))
        if during is not None:
            await during()
        await asyncio.wait_for(drain, timeout=5)

    asyncio.run(main())


def _batch(topic: str, offsets: range, partition: int = 0) -> list[tuple[TP, int]]:
    return [(TP(topic, partition), o) for o in offsets]


def test_every_record_is_delivered_in_order_with_one_wait_per_fetched_batch() -> None:
    batches = [_batch("index", range(0, 250)), _batch("index", range(250, 300))]
    consumer = _Consumer(batches)
    _run(consumer)
    assert consumer.delivered == [("index", o) for o in range(300)]
    assert consumer.waits == 3  # two batches and the last, empty fetch; Faust's loop: 300
    assert consumer._read_offset == {TP("index", 0): 299}


def test_records_read_already_are_not_delivered_again() -> None:
    tp = TP("index", 0)
    consumer = _Consumer([[(tp, 0), (tp, 1)], [(tp, 1), (tp, 0), (tp, 2)]])
    _run(consumer)
    assert consumer.delivered == [("index", 0), ("index", 1), ("index", 1), ("index", 2)]
    # Faust delivers the offset read last again (a seek back re-reads it), never an older one.


def test_a_gap_is_filed_for_topics_with_acks_only() -> None:
    acked, other = TP("acked", 0), TP("other", 0)
    consumer = _Consumer(
        [[(acked, 1), (acked, 5), (other, 1), (other, 5)]], acks_topics=frozenset({"acked"})
    )
    _run(consumer)
    assert consumer.gaps == [(acked, 2, 5)]
    assert [o for _, o in consumer.delivered] == [1, 5, 1, 5]


def test_a_commit_runs_every_commit_every_acknowledgements_and_delivery_goes_on() -> None:
    consumer = _Consumer([_batch("index", range(10))], commit_every=4)
    _run(consumer)
    assert consumer.commits == [4, 8]
    assert consumer._n_acked == 2
    assert len(consumer.delivered) == 10
    # the commits are awaited between deliveries, outside the cancellable part (+1: the empty fetch)
    assert consumer.waits == 4


def test_a_stopped_flow_cancels_a_blocked_delivery_and_drops_the_rest_of_the_batch() -> None:
    consumer = _Consumer([_batch("index", range(10)), _batch("index", range(10, 12))])
    consumer.block_at = 3

    async def rebalance() -> None:
        while len(consumer.delivered) < 3:  # noqa: ASYNC110 - the fake has no event for it
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.01)
        consumer.suspend_flow.set()  # Faust's stop_flow at a rebalance
        await asyncio.sleep(0.01)
        consumer.suspend_flow.clear()  # resume_flow

    _run(consumer, during=rebalance)
    offsets = [o for _, o in consumer.delivered]
    assert offsets[:3] == [0, 1, 2]
    assert 3 not in offsets  # the blocked delivery: cancelled
    assert 9 not in offsets  # the rest of its batch: dropped
    assert consumer._read_offset[TP("index", 0)] >= 2


def test_install_replaces_the_drain_once() -> None:
    class Consumer:
        async def _drain_messages(self, fetcher: Any) -> None: ...

    batch_drain.install(Consumer)
    batch_drain.install(Consumer)
    assert Consumer._drain_messages is batch_drain.drain_messages
    assert Consumer._attrib_batch_drain is True


def test_the_installed_faust_still_has_what_the_overrides_replace() -> None:
    """batch_drain and bulk_take follow faust-streaming 0.15 (pyproject.toml pins <0.16):
    a Faust whose drain loop or stream iteration changed must be read again before use."""
    import inspect
    from importlib.metadata import version

    from faust.streams import Stream
    from faust.transport.consumer import Consumer

    assert version("faust-streaming").startswith("0.15.")
    drain = inspect.getsource(Consumer._drain_messages)
    assert "callback(message), self.suspend_flow.wait()" in drain  # one wait per record
    assert "commit_every" in drain
    assert "_add_gap" in drain
    iteration = inspect.getsource(Stream._py_aiter)
    assert "await sleep(0)" in iteration  # one loop turn per event
    assert "message.generation_id != self.app.consumer_generation_id" in iteration
    assert "add_unacked(message)" in iteration
