"""Agent ``store-touches``: keep the touch index (table ``touches``).

Consumes the envelopes of ``touch-index`` (:mod:`attrib.engine.index_envelope`); each holds entries
of one partition, and every key is read and written once per envelope
(:meth:`attrib.engine.touch_store.TouchIndex.file`). The envelope itself is
the changelog record (tables/touch_index.py says why). Each envelope also
sweeps a few due entries of the expiry index, so retention keeps up with any
write rate; a timer sweeps partitions that receive nothing.
"""

from __future__ import annotations

from attrib import channels
from attrib.agents.wiring import index_progress
from attrib.engine import index_envelope
from attrib.engine.clock import wall_ms
from attrib.engine.metrics import (
    INDEX_KEYS_SWEPT,
    RECORDS_CONSUMED,
    BatchTimer,
    observe_delay,
)
from attrib.engine.outbox import OutRecord
from attrib.faust_app import app
from attrib.kafka.bulk_take import take_events
from attrib.tables.touch_index import backend, touch_index, touches

BATCH = 500
WITHIN_S = 0.005


def write_local() -> None:
    """Write the index's pending changes to RocksDB (not logged: see the module)."""
    for partition, changes in touches.take_changes().items():
        backend.write(partition, changes)
    touch_index.written()


@app.agent(channels.touch_index, name="store-touches", concurrency=1)
async def store_touches(stream) -> None:  # type: ignore[no-untyped-def]
    out = await channels.sender()
    timer = BatchTimer("store-touches")
    async for events in take_events(stream, BATCH, WITHIN_S):
        timer.start()
        changelog: list[OutRecord] = []
        now_ms = wall_ms()
        for event in events:
            observe_delay(event.message)
            partition = event.message.partition
            entries = index_envelope.decode(event.message.value)
            if not entries:
                continue  # a sweep request of an older version: the timer sweeps now
            RECORDS_CONSUMED.labels(event.message.topic).inc(len(entries))
            _, deleted = touch_index.file_and_sweep(partition, entries, now_ms)
            INDEX_KEYS_SWEPT.inc(deleted)
            changelog.append(
                OutRecord(backend.changelog, None, event.message.value, partition, backend)
            )
        write_local()
        timer.processed()
        await out.send_all(changelog)
        timer.committed()
        for event in events:  # filed: lookups sent after these touches may be answered
            index_progress.filed_through(event.message.partition, event.message.offset + 1)
