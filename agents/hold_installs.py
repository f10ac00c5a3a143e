"""Agent ``hold-installs``: park each install for ``decision_delay`` (R4), then look up.

Reads ``installs`` in batches. A valid install (decodable, known app, event
time inside R3's bounds, not decided before: R26) is written to the
``pending-installs`` table with its lookup keys and due time. A timer sends
the lookups of due installs to the internal ``touch-lookup`` topic, one
``LookupBatch`` per destination partition; an install with nothing to look
up gets its (empty) answer straight on ``install-candidates``.

Waiting in processing time, and asking only when due, is what makes touches
that arrive up to ``decision_delay`` after their install count (R4).
"""

from __future__ import annotations

import time

from attrib import channels
from attrib.agents import activity
from attrib.avro import codec
from attrib.engine import devices as device_state
from attrib.engine import pending, wire
from attrib.engine.batching import by_partition
from attrib.engine.convert import install_from_record
from attrib.engine.index import install_lookup_keys
from attrib.engine.metrics import LOOKUPS_HELD, PENDING_INSTALLS, RECORDS_CONSUMED
from attrib.engine.partitioning import partition_for
from attrib.engine.scheduler import DueQueue
from attrib.faust_app import app, settings
from attrib.keys import device_record_key
from attrib.tables.app_configs import app_configs
from attrib.tables.devices import devices
from attrib.tables.pending_installs import pending_installs

BATCH = 1_000
WITHIN_S = 0.02
TICK_S = 0.02

#: Lookups wait while this worker is more than this many records behind on the
#: touch topics (see :func:`touches_caught_up`).
TOUCH_LAG_LIMIT = 2_000

#: Installs (or sessions) whose lookups one timer tick sends: a catch-up makes
#: many due at once, and the event loop must stay responsive meanwhile.
MAX_DUE_PER_TICK = 2_000

due_queue = DueQueue()
_rebuild = {"needed": True}


def _now_ms() -> int:
    return int(time.time() * 1000)


def load_pending(value: bytes | None) -> list[pending.PendingInstall]:
    return [] if value is None else wire.decode(value, "PendingInstalls")["installs"]


def store_pending(key: bytes, entries: list[pending.PendingInstall]) -> None:
    if entries:
        pending_installs[key] = wire.encode("PendingInstalls", {"installs": entries})
    elif key in pending_installs:
        del pending_installs[key]


def park(key: bytes, entry: pending.PendingInstall) -> None:
    """File ``entry`` under the device ``key`` (once per event id) and queue its due time."""
    entries, added = pending.add(load_pending(pending_installs.get(key)), entry)
    if added:
        store_pending(key, entries)
        due_queue.push(entry["due_ms"], key, entry["event_id"])


@app.agent(channels.installs, name="hold-installs", concurrency=1)
async def hold_installs(stream) -> None:  # type: ignore[no-untyped-def]
    delay_ms = settings.decision_delay_ms
    # R22 needs the configuration in force: never judge an install before it is loaded.
    await app_configs.cache.wait_loaded()
    async for events in stream.take_events(BATCH, within=WITHIN_S):
        decoded = codec.try_decode_many([e.message.value for e in events], expect="Install")
        now_ms = _now_ms()
        for event, record in zip(events, decoded, strict=True):
            RECORDS_CONSUMED.labels(event.message.topic).inc()
            message = event.message
            if await activity.refused(message, record, now_ms):
                continue
            if await activity.unknown_app(message, record):
                continue
            key = device_record_key(record["app_id"], record["device_key"])
            # Table operations belong to this event's partition (co-partitioning).
            channels.bind_event(event)
            if device_state.decided_attribution_id(_device(devices.get(key)), record["event_id"]):
                continue  # R26: this install event was decided already
            install = install_from_record(record)
            entry = pending.new_entry(
                event_id=record["event_id"],
                install=message.value,
                arrived_ms=now_ms,
                delay_ms=delay_ms,
                keys=install_lookup_keys(install),
            )
            park(key, entry)
        PENDING_INSTALLS.set(len(due_queue))


def _device(value: bytes | None) -> device_state.DeviceState | None:
    return wire.decode_or_none(value, "DeviceState")


def _rebuild_queue() -> None:
    due_queue.clear()
    for key, value in list(pending_installs.items()):
        for entry in load_pending(value):
            due_queue.push(entry["due_ms"], key, entry["event_id"])


@app.on_partitions_assigned.connect
async def _on_assigned(*args: object, **kwargs: object) -> None:
    _rebuild["needed"] = True


def touches_caught_up() -> bool:
    """Is this worker close to the end of the touch topics it reads?

    Touches and installs travel on different topics and are consumed
    independently. Live, both are read within milliseconds of their arrival;
    after an outage, though, the installs of the backlog would be decided
    long before the touches received before them are indexed, and R1 (a
    replay decides as the live run did) and R4 would not hold. So lookups
    wait while ``clicks``, ``impressions`` or ``touch-index`` lag by more
    than :data:`TOUCH_LAG_LIMIT` records. The check covers the partitions
    this worker owns; with several workers it is an approximation, since a
    backlog is caught up by all of them at once.
    """
    names = {
        channels.clicks.get_topic_name(),
        channels.impressions.get_topic_name(),
        channels.touch_index.get_topic_name(),
    }
    consumer = app.consumer
    for tp in app.assignor.assigned_actives():
        if tp.topic not in names:
            continue
        try:
            highwater = consumer.highwater(tp)
        except Exception:  # no fetch answer for this partition yet
            continue
        read = consumer._read_offset.get(tp)
        if highwater is None or read is None:
            continue
        if highwater - (read + 1) > TOUCH_LAG_LIMIT:
            return False
    return True


@app.timer(interval=TICK_S)
async def send_due_lookups() -> None:
    """Send the lookups of every install or session whose ``decision_delay`` has passed."""
    if _rebuild["needed"]:
        if app.rebalancing or not app.tables.recovery.completed.is_set():
            return
        _rebuild["needed"] = False
        _rebuild_queue()
    if len(due_queue) == 0:
        return
    if not touches_caught_up():
        LOOKUPS_HELD.set(1)
        return
    LOOKUPS_HELD.set(0)
    due = due_queue.pop_due(_now_ms(), limit=MAX_DUE_PER_TICK)
    if not due:
        return
    lookups: list[tuple[str, dict]] = []
    direct: list[tuple[str, dict]] = []
    for key, event_id in due:
        for entry in load_pending(pending_installs.get(key)):
            if entry["event_id"] != event_id:
                continue
            install_key = key.decode()
            # An Install, or a Session parked by hold-sessions: both have event_time.
            record = codec.decode(entry["install"])
            for lookup_key in entry["keys"]:
                if lookup_key == pending.NO_LOOKUP:
                    direct.append(
                        (
                            install_key,
                            {
                                "install_key": install_key,
                                "event_id": event_id,
                                "key": lookup_key,
                                "touches": [],
                            },
                        )
                    )
                else:
                    lookups.append(
                        (
                            lookup_key,
                            {
                                "key": lookup_key,
                                "install_key": install_key,
                                "event_id": event_id,
                                "install_time": record["event_time"],
                                "newer_than": entry["newer_than"],
                            },
                        )
                    )
    await channels.send_envelopes(
        channels.touch_lookup,
        "LookupBatch",
        "lookups",
        by_partition(lookups, settings.topic_partitions),
    )
    await channels.send_envelopes(
        channels.install_candidates,
        "CandidateBatch",
        "answers",
        by_partition(direct, settings.topic_partitions),
    )
    PENDING_INSTALLS.set(len(due_queue))


__all__ = ["hold_installs", "partition_for", "send_due_lookups"]
