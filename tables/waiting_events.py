"""Table ``waiting-events``: in-app events waiting for their install (R25).

Key: ``app_id|device_key`` (co-partitioned with the device registry). Value:
the list of ``WaitingEvent`` entries (:data:`attrib.tables.values.WAITING`),
oldest first, at most :data:`attrib.engine.waiting.MAX_PER_DEVICE` per
device and ``event_hold`` of processing time each. Changelogged, so events
waiting when a worker stops are held, released or expired by the next owner.
"""

from __future__ import annotations

from attrib.faust_app import LARGE_RECORDS, app, settings
from attrib.tables.state import RocksBackend, TableState
from attrib.tables.values import RECENT_BYTES, WAITING

waiting_table = app.Table(
    "waiting-events",
    key_type=bytes,
    value_type=bytes,
    partitions=settings.topic_partitions,
    extra_topic_configs=LARGE_RECORDS,
    help="In-app events waiting for their install or a decision about their device.",
)

waiting_events: TableState = WAITING.bind(
    "waiting-events", RocksBackend(waiting_table), recent_bytes=RECENT_BYTES
)
