"""Agent ``attribute-events``: attribute every in-app event (R24–R26, R31).

Reads ``events`` in batches. A valid event (decodable, known app, event time
inside R3's bounds, revenue and currency well formed) of a device whose
install is decided, with no install or session of the device in flight, is
attributed at once from the device registry (the latest install decision,
and the open re-engagement window) and written to ``attributed-events``.
Otherwise it waits in ``waiting-events``: ``decide-installs`` attributes it
when the decision in flight is made, and after 10 minutes (R25) a timer has
it emitted anyway, ``unattributed`` if its install never came. Repeated
event ids have one effect (R26).
"""

from __future__ import annotations

from collections import defaultdict

from attrib import channels
from attrib.agents import activity
from attrib.avro import codec
from attrib.engine import devices as device_state
from attrib.engine import wire
from attrib.engine.activity import event_problem
from attrib.engine.metrics import RECORDS_CONSUMED
from attrib.engine.partitioning import partition_for
from attrib.faust_app import app, settings
from attrib.keys import device_record_key
from attrib.tables.app_configs import app_configs
from attrib.tables.devices import registry_lock
from attrib.tables.pending_installs import pending_installs
from attrib.tables.waiting_events import waiting_events

BATCH = 1_000
WITHIN_S = 0.02
EXPIRY_TICK_S = 0.5

_rebuild = {"needed": True}


@app.agent(channels.events, name="attribute-events", concurrency=1)
async def attribute_events(stream) -> None:  # type: ignore[no-untyped-def]
    await app_configs.cache.wait_loaded()
    async for events in stream.take_events(BATCH, within=WITHIN_S):
        decoded = codec.try_decode_many([e.message.value for e in events], expect="InAppEvent")
        now_ms = activity.now_ms()
        async with registry_lock:
            for event, record in zip(events, decoded, strict=True):
                RECORDS_CONSUMED.labels(event.message.topic).inc()
                message = event.message
                if await activity.refused(message, record, now_ms):
                    continue
                problem = event_problem(record)
                if problem is not None:
                    await channels.send_dead_letter(message, "invalid_event", problem)
                    continue
                if await activity.unknown_app(message, record):
                    continue
                # Table operations belong to this event's partition (co-partitioning).
                channels.bind_event(event)
                await _accept(record, message.value, now_ms)


async def _accept(record: dict, raw: bytes, now_ms: int) -> None:
    key = device_record_key(record["app_id"], record["device_key"])
    state = activity.load_state(key)
    if device_state.event_seen(state, record["event_id"]):
        return  # R26
    if state is None or key in pending_installs:
        # The install has not been decided, or a decision about the device is
        # in flight (a reinstall, a re-engaging session): wait for it.
        evicted = activity.hold_event(key, record, raw, now_ms)
        if evicted:
            events = [codec.decode(e, expect="InAppEvent") for e in evicted]
            updated = await activity.emit_events(key, events, state)
            if updated is not None and updated is not state:
                activity.store_state(key, updated)
        return
    updated = await activity.emit_events(key, [record], state)
    if updated is not None and updated is not state:
        activity.store_state(key, updated)


@app.on_partitions_assigned.connect
async def _on_assigned(*args: object, **kwargs: object) -> None:
    _rebuild["needed"] = True


@app.timer(interval=EXPIRY_TICK_S)
async def expire_waiting_events() -> None:
    """Ask the partitions of waiting events whose 10 minutes are over to let them go (R25).

    A timer has no current event and must not write tables, so it sends a
    control batch to ``install-candidates``, whose agent owns the device's
    partition.
    """
    if _rebuild["needed"]:
        if app.rebalancing or not app.tables.recovery.completed.is_set():
            return
        _rebuild["needed"] = False
        activity.rebuild_waiting_due()
    due = activity.waiting_due.pop_due(activity.now_ms(), limit=2_000)
    if not due:
        return
    by_partition: dict[int, set[str]] = defaultdict(set)
    for key, event_id in due:
        value = waiting_events.get(key)
        if value is None:
            continue
        if any(e["event_id"] == event_id for e in wire.decode(value, "WaitingEvents")["events"]):
            by_partition[partition_for(key, settings.topic_partitions)].add(key.decode())
    for partition, keys in by_partition.items():
        await channels.install_candidates.send(
            value=wire.encode("CandidateBatch", {"answers": [], "expire_events": sorted(keys)}),
            partition=partition,
        )
