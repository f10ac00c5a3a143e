"""Agent ``answer-lookups``: answer the lookups of installs and sessions from the touch index.

Consumes ``LookupBatch`` envelopes of ``touch-lookup`` (co-partitioned with
the ``touches`` table: a lookup is sent to its key's partition) and sends,
per install partition, one ``CandidateBatch`` to ``install-candidates``
(:meth:`attrib.engine.touch_store.TouchIndex.answer`).
"""

from __future__ import annotations

from attrib import channels
from attrib.engine import wire
from attrib.engine.metrics import RECORDS_CONSUMED, observe_delay
from attrib.engine.outbox import Outbox
from attrib.faust_app import app
from attrib.tables.touch_index import touch_index

BATCH = 500
WITHIN_S = 0.005


@app.agent(channels.touch_lookup, name="answer-lookups", concurrency=1)
async def answer_lookups(stream) -> None:  # type: ignore[no-untyped-def]
    out = await channels.sender()
    async for events in stream.take_events(BATCH, within=WITHIN_S):
        outbox = Outbox()
        for event in events:
            observe_delay(event.message)
            batch = wire.decode(event.message.value, "LookupBatch")
            RECORDS_CONSUMED.labels(event.message.topic).inc(len(batch["lookups"]))
            touch_index.answer(event.message.partition, batch["lookups"], channels.names, outbox)
        await out.send_all(outbox.records)
