"""Table ``touches``: the touch index (docs/architecture.md, State).

One entry per touch and index key of :mod:`attrib.engine.index`, plus the
expiry index (the layout is :mod:`attrib.engine.touch_store`'s), bounded by
retention (:mod:`attrib.engine.touch_lists`). Written by ``store-touches``
and read by ``answer-lookups``, both consuming topics sent to the partition
Kafka's partitioner gives the index key.

Its changelog is not one record per key: a touch is filed under about three
keys, and a record per key and touch was most of what the engine produced.
The changelog holds the touch-index envelopes themselves, one record
per envelope, and recovery files them again with the same function
(:meth:`attrib.engine.touch_store.TouchIndex.file`), so a recovered index
equals the written one up to what retention has dropped meanwhile. Sweeps
are not logged: they only drop what retention drops anyway. The topic
deletes by time (:data:`CHANGELOG_RETENTION_MS`, longer than any touch is
kept after its reception) instead of compacting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from faust.types import TP

from attrib.engine import index_envelope
from attrib.engine.clock import wall_ms
from attrib.engine.index import HORIZON_MS
from attrib.engine.index_envelope import IndexEntry
from attrib.engine.touch_store import TouchIndex
from attrib.faust_app import LARGE_RECORDS, app, settings
from attrib.tables.rocks import CompactTable
from attrib.tables.state import BytesTableState, RocksBackend
from attrib.tables.values import TOUCHES

#: Retention of the changelog: every touch is kept at most the largest horizon
#: after its reception (or its event time), so twice that loses nothing.
CHANGELOG_RETENTION_MS = 2 * max(HORIZON_MS.values())


class TouchIndexTable(CompactTable):
    """A Faust table whose changelog records are touch-index envelopes."""

    def apply_changelog_batch(self, batch: Iterable[Any]) -> None:
        grouped: dict[int, list[IndexEntry]] = defaultdict(list)
        offsets: dict[TP, int] = {}
        for event in batch:
            message = event.message
            offsets[message.tp] = max(message.offset, offsets.get(message.tp, -1))
            if message.value:
                grouped[message.partition].extend(index_envelope.decode(message.value))
        now_ms = wall_ms()
        for partition, entries in grouped.items():
            recovering.file(partition, entries, now_ms)
        for partition, changes in recovering.touches.take_changes().items():
            backend.write(partition, changes)
        recovering.written()
        for tp, offset in offsets.items():
            self.data.set_persisted_offset(tp, offset)


changelog_topic = app.topic(
    f"{settings.faust_app_id}-touches-changelog",
    partitions=settings.topic_partitions,
    key_serializer="raw",
    value_serializer="raw",
    internal=True,
    compacting=False,
    deleting=True,
    retention=CHANGELOG_RETENTION_MS / 1000,
    config=LARGE_RECORDS,
)

touches_table = app.tables.add(
    TouchIndexTable(
        app,
        name="touches",
        key_type=bytes,
        value_type=bytes,
        partitions=settings.topic_partitions,
        changelog_topic=changelog_topic,
        beacon=app.tables.beacon,
        help="Touches filed under each index key (referrer, id, fingerprint).",
    )
)

backend = RocksBackend(touches_table)
touches: BytesTableState = TOUCHES.bind("touches", backend)
#: The live index (agents); recovery files into its own write cache, sharing the
#: event-time watermarks and the sweep cursors, so it never commits a batch an agent
#: is still processing.
touch_index = TouchIndex(touches)
recovering = TouchIndex(TOUCHES.bind("touches", backend))
recovering.watermarks = touch_index.watermarks
recovering.cursors = touch_index.cursors  # what it files lowers where the live sweeps start
recovering.next_due = touch_index.next_due  # and when they next have something to do
