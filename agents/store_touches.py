"""Agent ``store-touches``: keep the touch index (table ``touches``).

Consumes ``TouchIndexBatch`` envelopes of ``touch-index``; each holds entries
of one partition, and every key is read and written once per envelope
(:meth:`attrib.engine.touch_store.TouchIndex.file`). The envelope itself is
the changelog record (tables/touch_index.py says why). Each envelope also
sweeps a few keys per key written, so retention keeps up with any write
rate; a timer sweeps partitions that receive nothing.
"""

from __future__ import annotations

from attrib import channels
from attrib.engine import wire
from attrib.engine.clock import wall_ms
from attrib.engine.metrics import INDEX_KEYS_SWEPT, RECORDS_CONSUMED
from attrib.engine.outbox import OutRecord
from attrib.engine.touch_store import SWEEP_PER_WRITE
from attrib.faust_app import app
from attrib.tables.touch_index import backend, touch_index, touches


def write_local() -> None:
    """Write the index's pending changes to RocksDB (not logged: see the module)."""
    for partition, changes in touches.take_changes().items():
        backend.write(partition, changes)


@app.agent(channels.touch_index, name="store-touches", concurrency=1)
async def store_touches(stream) -> None:  # type: ignore[no-untyped-def]
    out = await channels.sender()
    async for event in stream.events():
        partition = event.message.partition
        batch = wire.decode(event.message.value, "TouchIndexBatch")
        entries = batch["entries"]
        if not entries:
            continue
        RECORDS_CONSUMED.labels(event.message.topic).inc(len(entries))
        now_ms = wall_ms()
        written = touch_index.file(partition, entries, now_ms)
        deleted, _ = touch_index.sweep(partition, now_ms, limit=SWEEP_PER_WRITE * written)
        INDEX_KEYS_SWEPT.inc(deleted)
        write_local()
        await out.send_all(
            [OutRecord(backend.changelog, None, event.message.value, partition, backend)]
        )
