"""Agent ``answer-lookups``: answer the lookups of installs and sessions from the touch index.

Consumes ``LookupBatch`` envelopes of ``touch-lookup`` (co-partitioned with
the ``touches`` table: a lookup is sent to its key's partition) and sends,
per install partition, one ``CandidateBatch`` to ``install-candidates``
(:meth:`attrib.engine.touch_store.TouchIndex.answer`).

An envelope is answered once the index of its partition holds every touch
written before it was sent (:mod:`attrib.engine.index_progress`). Until then
it is set aside, unacknowledged, and the agent keeps taking records
(:mod:`attrib.engine.held_lookups`: waiting inline starved ``store-touches``,
finding 10); a task releases set-aside envelopes as the index catches up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from faust.types import TP

from attrib import channels
from attrib.agents.wiring import index_progress
from attrib.engine import wire
from attrib.engine.clock import wall_ms
from attrib.engine.held_lookups import HeldLookups, Released
from attrib.engine.metrics import (
    LOOKUP_ENVELOPES_WAITING,
    LOOKUPS_ANSWERED_INCOMPLETE,
    RECORDS_CONSUMED,
    BatchTimer,
    observe_delay,
)
from attrib.engine.outbox import Outbox
from attrib.faust_app import app
from attrib.kafka.bulk_take import take_events
from attrib.tables.touch_index import touch_index

log = logging.getLogger(__name__)

BATCH = 500
WITHIN_S = 0.005
#: The longest an envelope waits for the index (then it is answered as the index is).
INDEX_WAIT_S = 30.0
#: How often set-aside envelopes are checked against the index's progress.
RELEASE_TICK_S = 0.005


def _complete_through(partition: int) -> int | None:
    """Through when the index of ``partition`` is complete (the committed offset of
    ``touch-index`` counts as filed)."""
    committed = app.consumer._committed_offset.get(TP(channels.names.touch_index, partition))
    floor = committed if isinstance(committed, int) else None
    return index_progress.complete_through(partition, floor=floor)


class LookupAnswerer:
    """The envelopes set aside by the agent, and the one way they are answered.

    The agent and the release task both answer; a lock keeps their sends and
    acknowledgements from interleaving.
    """

    def __init__(self) -> None:
        self.held: HeldLookups[Any] = HeldLookups(max_wait_ms=int(INDEX_WAIT_S * 1000))
        self.lock = asyncio.Lock()
        self.stream: Any = None
        self.timer = BatchTimer("answer-lookups")

    def hold(self, events: list[Any]) -> None:
        now = wall_ms()
        for event in events:
            message = event.message
            sent_ms = int(message.timestamp * 1000)
            self.held.hold(message.partition, sent_ms, now, event)
        LOOKUP_ENVELOPES_WAITING.set(len(self.held))

    def forget(self) -> None:
        """A rebalance: Faust reads every unacknowledged envelope again (committed offset)."""
        self.held.clear()
        LOOKUP_ENVELOPES_WAITING.set(0)

    async def answer_ready(self) -> None:
        if self.stream is None or not self.held:
            return
        async with self.lock:
            released = self.held.release(_complete_through, wall_ms())
            LOOKUP_ENVELOPES_WAITING.set(len(self.held))
            if released:
                await self._answer(released)

    async def _answer(self, released: Released[Any]) -> None:
        _warn_overdue(released)
        generation = app.consumer_generation_id
        # Envelopes fetched before a rebalance are read again by their owner now.
        events = [e for e in released.items if e.message.generation_id == generation]
        self.timer.start()
        outbox = Outbox()
        for event in events:
            observe_delay(event.message)
            batch = wire.decode(event.message.value, "LookupBatch")
            RECORDS_CONSUMED.labels(event.message.topic).inc(len(batch["lookups"]))
            touch_index.answer(event.message.partition, batch["lookups"], channels.names, outbox)
        out = await channels.sender()
        self.timer.processed()
        await out.send_all(outbox.records)
        self.timer.committed()
        for event in events:
            await self.stream.ack(event)


def _warn_overdue(released: Released[Any]) -> None:
    if not released.overdue:
        return
    LOOKUPS_ANSWERED_INCOMPLETE.inc(len(released.overdue))
    for partition in sorted({held.partition for held in released.overdue}):
        oldest = min(h.sent_ms for h in released.overdue if h.partition == partition)
        log.warning(
            "lookups of touch-lookup[%s] sent from %s answered before the touch index "
            "caught up with them (complete through %s; %s)",
            partition,
            oldest,
            _complete_through(partition),
            index_progress.describe(partition),
            extra={"fields": {"partition": partition}},
        )


answerer = LookupAnswerer()


@app.on_partitions_revoked.connect
async def _forget_held_lookups(*args: object, **kwargs: object) -> None:
    answerer.forget()


@app.agent(channels.touch_lookup, name="answer-lookups", concurrency=1)
async def answer_lookups(stream) -> None:  # type: ignore[no-untyped-def]
    answerer.stream = stream
    async for events in take_events(stream, BATCH, WITHIN_S, ack=False):
        answerer.hold(events)
        await answerer.answer_ready()


@app.task
async def release_held_lookups() -> None:
    """Answer set-aside envelopes as the index catches up, whether new ones arrive or not."""
    while True:
        await asyncio.sleep(RELEASE_TICK_S)
        try:
            await answerer.answer_ready()
        except Exception as exc:  # as the agent would: the worker stops, a restart replays
            log.exception("answering set-aside lookups failed")
            await app.crash(exc)
            raise
