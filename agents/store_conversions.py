"""Agent ``store-conversions``: file conversion-data answers by device id (R37).

Consumes ``ConversionUpdateBatch`` envelopes (one partition each); a
``sweep`` control batch forgets answers older than the device retention.
"""

from __future__ import annotations

from attrib import channels
from attrib.agents.wiring import retention
from attrib.engine import wire
from attrib.engine.clock import wall_ms
from attrib.engine.metrics import RECORDS_CONSUMED, BatchTimer
from attrib.engine.outbox import Outbox
from attrib.engine.sender import commit_batch
from attrib.faust_app import app
from attrib.kafka.bulk_take import take_events
from attrib.tables.conversion_data import conversion_data

BATCH = 500
WITHIN_S = 0.005


@app.agent(channels.conversion_updates, name="store-conversions", concurrency=1)
async def store_conversions(stream) -> None:  # type: ignore[no-untyped-def]
    out = await channels.sender()
    timer = BatchTimer("store-conversions")
    async for events in take_events(stream, BATCH, WITHIN_S):
        timer.start()
        for event in events:
            partition = event.message.partition
            batch = wire.decode_or_none(event.message.value, "ConversionUpdateBatch")
            if batch is None:
                continue
            RECORDS_CONSUMED.labels(event.message.topic).inc(len(batch["updates"]))
            if batch["sweep"]:
                retention.sweep_conversions(partition, now_ms=wall_ms())
            for update in batch["updates"]:
                answer = (update["decided_time"], update["answer_json"].encode())
                conversion_data.put(partition, update["key"].encode(), answer)
        timer.processed()
        await commit_batch(out, Outbox(), (conversion_data,))
        timer.committed()
