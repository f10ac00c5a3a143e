"""Agent ``answer-lookups``: answer the lookups of installs and sessions from the touch index.

Consumes ``LookupBatch`` envelopes of ``touch-lookup`` (co-partitioned with
the ``touches`` table: a lookup is sent to its key's partition) and sends,
per install partition, one ``CandidateBatch`` to ``install-candidates``
(:meth:`attrib.engine.touch_store.TouchIndex.answer`).

A batch is answered once the index of each of its partitions holds every
touch written before its lookups were sent (:mod:`attrib.engine.index_progress`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from faust.types import TP

from attrib import channels
from attrib.agents.wiring import index_progress
from attrib.engine import wire
from attrib.engine.metrics import LOOKUPS_ANSWERED_INCOMPLETE, RECORDS_CONSUMED, observe_delay
from attrib.engine.outbox import Outbox
from attrib.faust_app import app
from attrib.tables.touch_index import touch_index

log = logging.getLogger(__name__)

BATCH = 500
WITHIN_S = 0.005
#: The longest a batch waits for the index (then it is answered as the index is).
INDEX_WAIT_S = 30.0
INDEX_POLL_S = 0.005


def _committed(partition: int) -> int | None:
    """The committed offset of ``touch-index`` (filed, by definition), if known."""
    committed = app.consumer._committed_offset.get(TP(channels.names.touch_index, partition))
    return committed if isinstance(committed, int) else None


async def wait_for_index(events: Sequence[Any]) -> None:
    """Until the index of each partition of ``events`` is complete through their send times.

    It waits inline, which can block Faust's one drain loop once this agent's
    buffer is full and starve ``store-touches`` (docs/reliability.md, finding
    10, open: pausing the partitions while waiting was tried and made the long
    one-worker run stall; the fix to make is to set waiting envelopes aside).
    """
    sent: dict[int, int] = {}
    for event in events:
        partition = event.message.partition
        sent[partition] = max(sent.get(partition, 0), int(event.message.timestamp * 1000))
    deadline = time.monotonic() + INDEX_WAIT_S
    for partition, sent_ms in sent.items():
        while True:
            through = index_progress.complete_through(partition, floor=_committed(partition))
            if through is not None and through >= sent_ms:
                break
            if time.monotonic() > deadline:
                LOOKUPS_ANSWERED_INCOMPLETE.inc()
                log.warning(
                    "lookups of touch-lookup[%s] sent at %s answered before the touch "
                    "index caught up with them (complete through %s; %s)",
                    partition,
                    sent_ms,
                    through,
                    index_progress.describe(partition),
                    extra={"fields": {"partition": partition, "complete_through": through}},
                )
                break
            await asyncio.sleep(INDEX_POLL_S)


@app.agent(channels.touch_lookup, name="answer-lookups", concurrency=1)
async def answer_lookups(stream) -> None:  # type: ignore[no-untyped-def]
    out = await channels.sender()
    async for events in stream.take_events(BATCH, within=WITHIN_S):
        await wait_for_index(events)
        outbox = Outbox()
        for event in events:
            observe_delay(event.message)
            batch = wire.decode(event.message.value, "LookupBatch")
            RECORDS_CONSUMED.labels(event.message.topic).inc(len(batch["lookups"]))
            touch_index.answer(event.message.partition, batch["lookups"], channels.names, outbox)
        await out.send_all(outbox.records)
