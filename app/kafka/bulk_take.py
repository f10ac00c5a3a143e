"""An agent's envelopes taken in batches straight from its channel's queue.

Why (bench/README.md, "The drain loop and the stream"): Faust's stream
iteration yields to the event loop (``await asyncio.sleep(0)``) before each
event it takes, and ``Stream.take_events`` fills its buffer through that
iteration. So an agent takes at most one envelope per turn of the loop, and
a loaded loop turns only a few hundred times a second (each turn runs every
ready task: the agents' batches, the producer's polls, the timers): at 1,000
installs/s + 10,000 touches/s, ``decide-installs`` and ``device-inputs``
envelopes waited 4 s in their queues while the agents were idle half of
each second.

:func:`take_events` takes every event already queued in one step (up to
``max_``), waits at most ``within`` after the first one for more, and does
for each what Faust's iteration does (``Stream._py_aiter``): events of an
older consumer generation or taken while the flow is stopped (a rebalance)
are acknowledged and dropped, acking topics' messages are tracked as
unacknowledged, and the sensors see each event in and out. With ``ack``
a batch's events are acknowledged once the agent's body is done with it
(unlike ``take_events``, not when the body raised); without (``noack_take``'s
behaviour) the agent acknowledges them itself with ``stream.ack``.

It is written against faust-streaming 0.15's ``Stream._py_aiter`` (the
version pyproject.toml pins): an upgrade re-checks it against Faust's source.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any


def _admitted(stream: Any, taken: list[Any]) -> tuple[list[Any], list[Any]]:
    """Split ``taken`` into the events to process and the stale ones to acknowledge and drop."""
    app = stream.app
    generation = app.consumer_generation_id
    flowing = app.flow_control.is_active()
    acking_topics = app.topics.acking_topics
    unacked = app.consumer.unacked
    on_message_in = stream._on_message_in
    on_event_in = stream._on_stream_event_in
    events: list[Any] = []
    stale: list[Any] = []
    for event in taken:
        message = event.message
        if not flowing or message.generation_id != generation:
            # Faust acknowledges these too (the lag would grow otherwise); the
            # partition's owner in the new generation reads them from the committed offset.
            stale.append(event)
            continue
        tp, offset = message.tp, message.offset
        if message.topic in acking_topics and not message.tracked:
            message.tracked = True
            unacked.add(message)
            on_message_in(tp, offset, message)
        on_event_in(tp, offset, stream, event)
        events.append(event)
    return events, stale


async def _take(queue: Any, max_: int, within: float, loop: asyncio.AbstractEventLoop) -> list[Any]:
    """Every event queued now, then what comes ``within`` seconds after the first, up to
    ``max_``. Raises what was thrown into the channel (``StopAsyncIteration`` at a stop)."""
    taken = [await queue.get()]
    deadline = loop.time() + within
    while len(taken) < max_:
        if not queue.empty():
            taken.append(queue.get_nowait())
            continue
        left = deadline - loop.time()
        if left <= 0:
            break
        try:
            taken.append(await asyncio.wait_for(queue.get(), left))
        except TimeoutError:
            break
    return taken


async def take_events(
    stream: Any, max_: int, within: float, *, ack: bool = True
) -> AsyncIterator[list[Any]]:
    """Batches of at most ``max_`` events of ``stream``'s channel, each closed ``within``
    seconds after its first event at the latest."""
    started = await stream.maybe_start()
    queue = stream.channel.queue
    loop = asyncio.get_running_loop()
    try:
        while not stream.should_stop:
            try:
                taken = await _take(queue, max_, within, loop)
            except StopAsyncIteration:
                # Faust's actor stops reading (the worker stops): what was taken and
                # not yielded is unacknowledged, so it is read again.
                return
            events, stale = _admitted(stream, taken)
            for event in stale:
                await stream.ack(event)
            if not events:
                continue
            yield events
            if ack:  # the body is done with them (not when it raised: they are read again)
                for event in events:
                    await stream.ack(event)
    finally:
        stream._channel_stop_iteration(stream.channel)
        if started:
            await stream.stop()
