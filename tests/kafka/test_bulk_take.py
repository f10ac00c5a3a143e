"""Taking an agent's envelopes in batches from its channel's queue (app/kafka/bulk_take.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from mode.utils.queues import FlowControlEvent, ThrowableQueue

from attrib.kafka.bulk_take import take_events


@dataclass(eq=False)
class _Message:
    topic: str
    offset: int
    generation_id: int = 1
    tracked: bool = False

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, 0)


@dataclass(eq=False)
class _Event:
    message: _Message


@dataclass
class _Stream:
    """What take_events uses of a Faust stream: its channel's queue, the app, acks, sensors."""

    queue: ThrowableQueue = field(
        default_factory=lambda: ThrowableQueue(maxsize=10_000, flow_control=FlowControlEvent())
    )
    generation: int = 1
    flowing: bool = True
    acked: list[int] = field(default_factory=list)
    seen_in: list[int] = field(default_factory=list)
    messages_in: list[int] = field(default_factory=list)
    unacked: set[Any] = field(default_factory=set)
    should_stop: bool = False
    started: int = 0
    stopped: int = 0

    channel_stops: int = 0

    def __post_init__(self) -> None:
        self.channel = SimpleNamespace(queue=self.queue)
        self.app = SimpleNamespace(
            consumer_generation_id=self.generation,
            flow_control=SimpleNamespace(is_active=lambda: self.flowing),
            topics=SimpleNamespace(acking_topics={"index"}),
            consumer=SimpleNamespace(unacked=self.unacked),
        )

    async def maybe_start(self) -> bool:
        self.started += 1
        return True

    async def stop(self) -> None:
        self.stopped += 1

    def _channel_stop_iteration(self, channel: Any) -> None:
        self.channel_stops += 1

    async def ack(self, event: _Event) -> bool:
        self.acked.append(event.message.offset)
        return True

    def _on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        self.messages_in.append(offset)

    def _on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> None:
        self.seen_in.append(offset)

    def put(self, *offsets: int, topic: str = "index", generation: int = 1) -> None:
        for offset in offsets:
            self.queue.put_nowait(_Event(_Message(topic, offset, generation)))


def _offsets(events: list[_Event]) -> list[int]:
    return [e.message.offset for e in events]


def test_every_queued_event_is_taken_in_one_step_up_to_the_batch_size() -> None:
    async def main() -> tuple[list[list[int]], int]:
        stream = _Stream()
        stream.put(*range(1200))
        turns = 0

        async def count_turns() -> None:
            nonlocal turns
            while True:
                await asyncio.sleep(0)
                turns += 1

        counter = asyncio.ensure_future(count_turns())
        batches = []
        taker = take_events(stream, 500, 0.01)
        batches.append(_offsets(await anext(taker)))
        turns_for_first = turns
        batches.append(_offsets(await anext(taker)))
        batches.append(_offsets(await anext(taker)))
        counter.cancel()
        await taker.aclose()
        return batches, turns_for_first

    batches, turns = asyncio.run(main())
    assert batches == [list(range(500)), list(range(500, 1000)), list(range(1000, 1200))]
    assert turns <= 2  # Faust's stream iteration turns the loop once per event: 500


def test_a_batch_waits_within_after_its_first_event_and_no_longer() -> None:
    async def main() -> list[list[int]]:
        stream = _Stream()
        taker = take_events(stream, 500, 0.05)
        stream.put(1)

        async def later() -> None:
            await asyncio.sleep(0.01)
            stream.put(2)  # within the first batch's wait
            await asyncio.sleep(0.15)
            stream.put(3)  # after it: the next batch

        feeder = asyncio.ensure_future(later())
        first = _offsets(await anext(taker))
        second = _offsets(await anext(taker))
        await feeder
        await taker.aclose()
        return [first, second]

    assert asyncio.run(main()) == [[1, 2], [3]]


def test_events_are_acknowledged_after_the_body_is_done_with_them() -> None:
    async def main() -> tuple[list[int], list[int]]:
        stream = _Stream()
        stream.put(1, 2)
        taker = take_events(stream, 500, 0.001)
        await anext(taker)
        before = list(stream.acked)  # the body is still working on them
        stream.put(3)
        await anext(taker)
        await taker.aclose()  # the body stopped (raised) during the second batch
        return before, stream.acked

    before, after = asyncio.run(main())
    assert before == []
    assert after == [1, 2]  # 3 was never done: Faust reads it again


def test_without_ack_the_agent_acknowledges_them_itself() -> None:
    async def main() -> list[int]:
        stream = _Stream()
        stream.put(1, 2)
        taker = take_events(stream, 500, 0.001, ack=False)
        await anext(taker)
        stream.put(3)
        await anext(taker)
        await taker.aclose()
        return stream.acked

    assert asyncio.run(main()) == []


def test_events_of_an_older_generation_or_a_stopped_flow_are_acknowledged_and_dropped() -> None:
    async def main() -> tuple[list[int], list[int], list[int]]:
        stream = _Stream(generation=2)
        stream.put(1, 2, generation=1)  # fetched before the rebalance
        stream.put(3, generation=2)
        taker = take_events(stream, 500, 0.001)
        first = _offsets(await anext(taker))
        acked_stale = list(stream.acked)
        stream.flowing = False  # a rebalance under way
        stream.put(4, generation=2)
        await asyncio.sleep(0)
        stream.put(5, generation=2)
        pending = asyncio.ensure_future(anext(taker))
        await asyncio.sleep(0.02)
        stream.flowing = True
        stream.put(6, generation=2)
        second = _offsets(await pending)
        await taker.aclose()
        return first, acked_stale, second

    first, acked_stale, second = asyncio.run(main())
    assert first == [3]
    assert acked_stale == [1, 2]
    assert second == [6]  # 4 and 5 came while the flow was stopped


def test_acking_topics_are_tracked_once_and_every_event_reaches_the_sensors() -> None:
    async def main() -> _Stream:
        stream = _Stream()
        stream.put(1, 2, topic="index")
        stream.put(7, topic="other")
        taker = take_events(stream, 500, 0.001, ack=False)
        events = await anext(taker)
        for event in events:  # taken again after a seek back: tracked already
            stream.queue.put_nowait(event)
        await anext(taker)
        await taker.aclose()
        return stream

    stream = asyncio.run(main())
    assert stream.messages_in == [1, 2]
    assert {m.offset for m in stream.unacked} == {1, 2}
    assert stream.seen_in == [1, 2, 7, 1, 2, 7]
    assert stream.started == stream.stopped == 1


def test_an_error_thrown_into_the_channel_reaches_the_agent() -> None:
    async def main() -> None:
        stream = _Stream()
        stream.put(1)
        stream.queue._throw(ValueError("undecodable"))
        taker = take_events(stream, 500, 0.001)
        await anext(taker)

    with pytest.raises(ValueError, match="undecodable"):
        asyncio.run(main())


def test_a_stop_thrown_into_the_channel_ends_the_batches_without_acknowledging() -> None:
    async def main() -> tuple[list[list[int]], _Stream]:
        stream = _Stream()
        stream.put(1)
        batches = []
        taker = take_events(stream, 500, 0.05)
        batches.append(_offsets(await anext(taker)))

        async def stop_soon() -> None:
            stream.put(2)
            await asyncio.sleep(0.01)
            stream.queue._throw(StopAsyncIteration())  # Faust's actor.cancel() at a stop

        stopper = asyncio.ensure_future(stop_soon())
        async for batch in taker:
            batches.append(_offsets(batch))
        await stopper
        return batches, stream

    batches, stream = asyncio.run(main())
    assert batches == [[1]]  # 2 was being collected when the stop came: read again later
    assert stream.acked == [1]
    assert stream.channel_stops == 1
