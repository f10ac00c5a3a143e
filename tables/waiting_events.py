"""Table ``waiting-events``: in-app events waiting for their install (R25).

Key: ``app_id|device_key`` (co-partitioned with ``events`` and the device
registry). Value: a ``WaitingEvents`` record, oldest first, at most
:data:`attrib.engine.waiting.MAX_PER_DEVICE` per device and 10 minutes of
processing time each. Changelogged, so events waiting when a worker stops
are held, released or expired by the next owner of the partition.
"""

from __future__ import annotations

from attrib.faust_app import LARGE_RECORDS, app, settings

waiting_events = app.Table(
    "waiting-events",
    key_type=bytes,
    value_type=bytes,
    partitions=settings.topic_partitions,
    extra_topic_configs=LARGE_RECORDS,
    help="In-app events waiting for their install or a decision about their device.",
)
