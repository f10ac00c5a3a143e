"""The processors this worker runs, bound to its tables, topics and settings.

Agents stay thin: each one decodes its envelopes, calls a processor of
``attrib.engine`` and ends the batch with
:func:`attrib.engine.sender.commit_batch`. The processors keep in-memory
indexes (due queues, event-time watermarks) that agents and timers share,
so they are created once, here.
"""

from __future__ import annotations

from attrib.channels import names
from attrib.engine.device_partition import DevicePartition, DeviceTables
from attrib.engine.device_retention import DeviceRetention
from attrib.engine.index_progress import IndexProgress
from attrib.faust_app import app, settings
from attrib.tables.app_configs import app_configs
from attrib.tables.conversion_data import conversion_data
from attrib.tables.devices import devices
from attrib.tables.pending_installs import pending_installs
from attrib.tables.waiting_events import waiting_events

device_tables = DeviceTables(devices=devices, pending=pending_installs, waiting=waiting_events)

device_partition = DevicePartition(
    device_tables,
    names,
    app_configs.get,
    decision_delay_ms=settings.decision_delay_ms,
    hold_ms=settings.event_hold_ms,
    dedupe_window_ms=settings.dedupe_window_ms,
)

retention = DeviceRetention(
    device_tables, conversion_data, retention_ms=settings.device_retention_ms
)


#: How far the touch index of each partition is complete (filed by ``store-touches``,
#: snapshotted by a timer, awaited by ``answer-lookups``).
index_progress = IndexProgress()


@app.on_partitions_assigned.connect
async def _forget_index_progress(*args: object, **kwargs: object) -> None:
    index_progress.reset()


@app.on_partitions_revoked.connect
@app.on_partitions_assigned.connect
async def _forget_recent_values(*args: object, **kwargs: object) -> None:
    """Values kept from before a rebalance may be stale: another worker may have owned
    the partition meanwhile (recovery writes RocksDB, not the tables' caches)."""
    device_tables.forget_recent()


def owned_partitions(topic: str) -> list[int]:
    """The partitions of ``topic`` this worker is the active owner of."""
    return sorted(tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic)
