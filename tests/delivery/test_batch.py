"""The outcome batcher: flushes on size and on time, deliveries records acknowledged first."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from attrib.delivery.batch import Outcome, OutcomeBatcher


class FakeProducer:
    """Records every send; acknowledges them when :meth:`ack` is called (or at once)."""

    def __init__(self, *, auto_ack: bool = True, fail: Exception | None = None) -> None:
        self.auto_ack = auto_ack
        self.fail = fail
        self.sent: list[tuple[str, bytes | None, bytes | None, int | None]] = []
        self.acked: list[tuple[str, bytes | None]] = []
        self._open: list[tuple[asyncio.Future[None], str, bytes | None]] = []

    def send(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None
    ) -> asyncio.Future[None]:
        self.sent.append((topic, key, value, partition))
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._open.append((ack, topic, key))
        if self.auto_ack:
            self.ack()
        return ack

    def send_many(
        self, records: list[tuple[str, bytes | None, bytes | None, int | None]]
    ) -> asyncio.Future[Any]:
        """As the librdkafka producer's: one acknowledgement for all of ``records``."""
        return asyncio.gather(*[self.send(*record) for record in records])

    def ack(self) -> None:
        opened, self._open = self._open, []
        for future, topic, key in opened:
            if self.fail is not None:
                future.set_exception(self.fail)
            else:
                self.acked.append((topic, key))
                future.set_result(None)


def outcome(i: int, *, tombstone: bool = True) -> Outcome:
    return Outcome(
        delivery_key=b"app",
        delivery_value=f"record-{i}".encode(),
        retry_key=f"id-{i}".encode(),
        retry_value=None if tombstone else f"next-{i}".encode(),
        partition=i % 3,
    )


_MANY: list[bool] = [False]


@pytest.fixture(autouse=True, params=[False, True], ids=["send", "send_many"])
def _many(request: pytest.FixtureRequest) -> None:
    """Every test with a record's acknowledgement each, and with one per step."""
    _MANY[0] = request.param


def batcher(producer: FakeProducer, **kwargs: Any) -> OutcomeBatcher:
    many = producer.send_many if _MANY[0] else None
    return OutcomeBatcher(
        producer.send, deliveries_topic="d", retry_topic="r", send_many=many, **kwargs
    )


async def test_a_full_batch_is_written_at_once() -> None:
    producer = FakeProducer()
    writer = batcher(producer, window_s=30.0, max_size=3)
    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(writer.write(outcome(i)) for i in range(3))), 5)
    assert time.monotonic() - started < 1.0  # not the 30 s window
    assert [s[0] for s in producer.sent] == ["d", "d", "d", "r", "r", "r"]
    assert [s[1] for s in producer.sent[3:]] == [b"id-0", b"id-1", b"id-2"]
    assert [s[3] for s in producer.sent[3:]] == [0, 1, 2]  # each in its input's partition


async def test_a_partial_batch_is_written_when_its_window_ends() -> None:
    producer = FakeProducer()
    writer = batcher(producer, window_s=0.05, max_size=100)
    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(writer.write(outcome(1)), writer.write(outcome(2))), 5)
    waited = time.monotonic() - started
    assert 0.04 <= waited < 1.0
    assert len(producer.sent) == 4
    await asyncio.wait_for(writer.write(outcome(3, tombstone=False)), 5)  # a new batch
    assert producer.sent[-1] == ("r", b"id-3", b"next-3", 0)


async def test_retry_values_wait_for_every_deliveries_acknowledgement() -> None:
    producer = FakeProducer(auto_ack=False)
    writer = batcher(producer, window_s=0.001, max_size=100)
    writes = asyncio.gather(*(writer.write(outcome(i)) for i in range(4)))
    await asyncio.sleep(0.05)
    assert [s[0] for s in producer.sent] == ["d"] * 4  # nothing to the retry topic yet
    producer.ack()
    await asyncio.sleep(0.01)
    assert [s[0] for s in producer.sent] == ["d"] * 4 + ["r"] * 4
    assert not writes.done()  # the callers wait for the retry topic's acknowledgements too
    producer.ack()
    await asyncio.wait_for(writes, 5)


async def test_a_failed_batch_fails_every_write_of_it() -> None:
    producer = FakeProducer(fail=RuntimeError("broker away"))
    writer = batcher(producer, window_s=0.001, max_size=100)
    results = await asyncio.gather(
        *(writer.write(outcome(i)) for i in range(3)), return_exceptions=True
    )
    assert [type(r) for r in results] == [RuntimeError] * 3
    assert {s[0] for s in producer.sent} == {"d"}  # no retry value after a lost record


async def test_a_cancelled_caller_leaves_its_batch_to_the_others() -> None:
    producer = FakeProducer()
    writer = batcher(producer, window_s=0.05, max_size=100)
    first = asyncio.create_task(writer.write(outcome(1)))
    second = asyncio.create_task(writer.write(outcome(2)))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.wait_for(second, 5)
    with pytest.raises(asyncio.CancelledError):
        await first
    assert len(producer.sent) == 4  # both outcomes written all the same
