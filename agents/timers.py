"""The worker's timers: due lookups, expiring waiting events, sweeps.

Timers have no current event and write no logged table: they send
envelopes (lookups, control batches) through the engine's producer, and the
agents that own the partitions do the writing. The touch index's sweep is
the exception: it is not logged (tables/touch_index.py), so it writes its
local store directly.
"""

from __future__ import annotations

from aiokafka import TopicPartition

from attrib import channels
from attrib.agents.store_touches import write_local
from attrib.agents.touch_watermark import touch_watermark
from attrib.agents.wiring import device_partition, index_progress, owned_partitions
from attrib.engine import wire
from attrib.engine.clock import wall_ms
from attrib.engine.device_partition import DevicePartition
from attrib.engine.metrics import (
    INDEX_KEYS_SWEPT,
    LOOKUPS_HELD,
    PENDING_INSTALLS,
    TABLE_RECOVERY,
    TOUCH_WATERMARK_AGE,
)
from attrib.engine.outbox import Outbox
from attrib.faust_app import app, settings
from attrib.tables.devices import registry_lock
from attrib.tables.touch_index import touch_index

LOOKUP_TICK_S = 0.02
EXPIRY_TICK_S = 0.5
RETENTION_SWEEP_S = 60.0

#: Installs (or sessions) whose lookups one tick sends: a catch-up makes many
#: due at once, and the event loop must stay responsive meanwhile.
MAX_DUE_PER_TICK = 2_000

_rebuild = {"needed": True}


@app.on_partitions_assigned.connect
async def _on_assigned(*args: object, **kwargs: object) -> None:
    _rebuild["needed"] = True


def recovered() -> bool:
    done = not app.rebalancing and app.tables.recovery.completed.is_set()
    TABLE_RECOVERY.set(0 if done else 1)
    return done


@app.timer(interval=LOOKUP_TICK_S)
async def snapshot_touch_index() -> None:
    """Note the end offsets of this worker's ``touch-index`` partitions (index_progress.py).

    Listed from the broker, the time taken before the request: the consumer's
    highwater is only as new as the partition's last fetch, and a stale one
    let lookups be answered before touches written earlier were filed (finding 8).
    """
    tps = [
        TopicPartition(tp.topic, tp.partition)
        for tp in app.assignor.assigned_actives()
        if tp.topic == channels.names.touch_index
    ]
    if not tps:
        return
    taken_ms = wall_ms()
    try:
        ends = await touch_watermark.end_offsets(tps)
    except Exception:  # broker away: no snapshot, lookups wait
        return
    index_progress.snapshot(taken_ms, {tp.partition: end for tp, end in ends.items()})


async def rebuild_due_queues(processor: DevicePartition, partitions: list[int]) -> None:
    """Refill the due queues from the tables, between two batches of the agents.

    An agent's batch pushes its installs onto the due queue at once but writes
    them to the table only at its commit, after awaiting Kafka. A rebuild in
    between (the first tick after a restart, while the agent replays what it
    had not committed) would clear the queue and read a table without them:
    those installs would never be decided. Found by the chaos suite (installs
    accepted in the seconds before a worker SIGKILL lost); the registry lock
    the agents hold from batch to commit keeps the rebuild out of that window.
    """
    async with registry_lock:
        processor.rebuild(partitions)


@app.timer(interval=LOOKUP_TICK_S)
async def send_due_lookups() -> None:
    """Send the lookups of every install or session whose ``decision_delay`` has passed."""
    if _rebuild["needed"]:
        if not recovered():
            return
        _rebuild["needed"] = False
        await rebuild_due_queues(device_partition, owned_partitions(channels.names.device_inputs))
    # Only installs due before every touch received so far is routed: R1, R4
    # (attrib.engine.touch_watermark).
    now_ms = wall_ms()
    until_ms = touch_watermark.watermark.due_until(now_ms)
    TOUCH_WATERMARK_AGE.set(-1 if until_ms is None else (now_ms - until_ms) / 1000)
    if len(device_partition.due) == 0:
        LOOKUPS_HELD.set(0)
        return
    next_due = device_partition.due.next_due_ms()
    held = next_due is not None and next_due <= now_ms and (until_ms is None or next_due > until_ms)
    LOOKUPS_HELD.set(1 if held else 0)
    if until_ms is None:
        return
    outbox = Outbox()
    if device_partition.due_lookups(until_ms, outbox, limit=MAX_DUE_PER_TICK):
        out = await channels.sender()
        await out.send_all(outbox.records)
    PENDING_INSTALLS.set(len(device_partition.due))


@app.timer(interval=EXPIRY_TICK_S)
async def expire_waiting_events() -> None:
    """Let go of waiting events whose hold is over (R25), through their partition's agent."""
    if _rebuild["needed"]:
        return
    outbox = Outbox()
    if device_partition.due_expiries(wall_ms(), outbox, limit=MAX_DUE_PER_TICK):
        out = await channels.sender()
        await out.send_all(outbox.records)


@app.timer(interval=settings.index_sweep_interval_s)
async def sweep_touch_index() -> None:
    """Sweep the next keys of each touch-index partition this worker owns."""
    if not recovered():
        return
    now_ms = wall_ms()
    for partition in owned_partitions(channels.names.touch_index):
        deleted, _ = touch_index.sweep(partition, now_ms)
        INDEX_KEYS_SWEPT.inc(deleted)
    write_local()


@app.timer(interval=RETENTION_SWEEP_S)
async def request_retention_sweeps() -> None:
    """Ask each device and conversion-data partition this worker owns to forget
    what the device retention has passed."""
    if not recovered():
        return
    outbox = Outbox()
    devices = wire.encode("DeviceInputBatch", {"inputs": [], "sweep": True})
    for partition in owned_partitions(channels.names.device_inputs):
        outbox.add(channels.names.device_inputs, None, devices, partition)
    conversions = wire.encode("ConversionUpdateBatch", {"updates": [], "sweep": True})
    for partition in owned_partitions(channels.names.conversion_updates):
        outbox.add(channels.names.conversion_updates, None, conversions, partition)
    if outbox.records:
        out = await channels.sender()
        await out.send_all(outbox.records)
