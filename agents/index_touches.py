"""Agent ``index-touches``: file every click and impression under its index keys.

Reads ``clicks`` and ``impressions`` in batches, validates each touch (an
undecodable or invalid one goes to ``dead-letter``), and sends, per
destination partition, one ``TouchIndexBatch`` to the internal
``touch-index`` topic: the first repartition hop of the join. The touch's
bytes travel as read; nothing is re-encoded.
"""

from __future__ import annotations

import time

from attrib import channels
from attrib.avro import codec
from attrib.engine.batching import by_partition
from attrib.engine.convert import touch_from_record
from attrib.engine.index import touch_index_keys
from attrib.engine.metrics import RECORDS_CONSUMED, RECORDS_PRODUCED
from attrib.faust_app import app, settings
from attrib.rules.eventtime import event_time_problem

BATCH = 1_000
WITHIN_S = 0.05


@app.agent(channels.touches_in, name="index-touches", concurrency=1)
async def index_touches(stream) -> None:  # type: ignore[no-untyped-def]
    async for events in stream.take_events(BATCH, within=WITHIN_S):
        entries: list[tuple[str, dict]] = []
        values = [e.message.value for e in events]
        decoded = codec.try_decode_many(values, expect="Touch")
        now_ms = int(time.time() * 1000)
        for event, record in zip(events, decoded, strict=True):
            RECORDS_CONSUMED.labels(event.message.topic).inc()
            if isinstance(record, Exception):
                await channels.send_dead_letter(event.message, record.reason, str(record))
                continue
            problem = event_time_problem(record["touch_time"], record["received_time"] or now_ms)
            if problem is not None:
                await channels.send_dead_letter(event.message, "invalid_time", problem)
                continue
            touch = touch_from_record(record)
            for key in touch_index_keys(touch):
                entries.append(
                    (
                        key,
                        {
                            "key": key,
                            "touch_id": touch.touch_id,
                            "touch_time": touch.touch_time,
                            "touch": event.message.value,
                        },
                    )
                )
        sent = await channels.send_envelopes(
            channels.touch_index,
            "TouchIndexBatch",
            "entries",
            by_partition(entries, settings.topic_partitions),
            sweep=False,
        )
        RECORDS_PRODUCED.labels(channels.touch_index.get_topic_name()).inc(sent)
