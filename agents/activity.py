"""User activity on the device partition: session decisions and in-app event attribution.

Not an agent: the helpers that ``decide-installs`` (session decisions,
releasing and expiring waiting events) and ``attribute-events`` (events as
they arrive) share. Every function here reads and writes tables of the
current event's partition, which is the device's (``app_id|device_key``),
and is called with :data:`attrib.tables.devices.registry_lock` held.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from attrib import channels
from attrib.avro import codec
from attrib.engine import activity, waiting, wire
from attrib.engine import devices as device_state
from attrib.engine.conversion import (
    answer_json,
    conversion_key,
    install_answer,
    reengagement_answer,
)
from attrib.engine.convert import (
    INSTALL_ID_FIELDS,
    rule_settings,
    session_from_record,
    touch_from_record,
)
from attrib.engine.metrics import (
    EVENT_ATTRIBUTIONS,
    RECORDS_PRODUCED,
    REENGAGEMENTS,
    SESSIONS_DECIDED,
    WAITING_EVENTS,
)
from attrib.engine.partitioning import partition_for
from attrib.engine.scheduler import DueQueue
from attrib.faust_app import settings
from attrib.keys import device_record_key
from attrib.rules.eventtime import event_time_problem
from attrib.rules.reengagement import is_reengagement, open_reengagement
from attrib.tables.app_configs import app_configs
from attrib.tables.devices import devices
from attrib.tables.waiting_events import waiting_events

log = logging.getLogger(__name__)

#: Due times of waiting events (R25), in processing time; rebuilt from the
#: ``waiting-events`` table after every partition assignment.
waiting_due = DueQueue()


def now_ms() -> int:
    return int(time.time() * 1000)


# ---- table values -------------------------------------------------------------
def load_state(key: bytes) -> device_state.DeviceState | None:
    value = devices.get(key)
    return wire.decode_or_none(value, "DeviceState")


def store_state(key: bytes, state: device_state.DeviceState) -> None:
    devices[key] = wire.encode("DeviceState", state)


def load_waiting(key: bytes) -> list[waiting.WaitingEvent]:
    value = waiting_events.get(key)
    return [] if value is None else wire.decode(value, "WaitingEvents")["events"]


def store_waiting(key: bytes, entries: list[waiting.WaitingEvent]) -> None:
    if entries:
        waiting_events[key] = wire.encode("WaitingEvents", {"events": entries})
    elif key in waiting_events:
        del waiting_events[key]


# ---- conversion data ------------------------------------------------------------
async def send_conversion_updates(
    app_id: str, records: list[dict[str, Any]], answer: dict[str, Any], decided_ms: int
) -> None:
    """File ``answer`` under every id the ``records`` name (R37)."""
    encoded = answer_json(answer)
    keys = {
        conversion_key(app_id, value)
        for record in records
        for field in INSTALL_ID_FIELDS
        if (value := record.get(field))
    }
    for ckey in sorted(keys):
        await channels.conversion_updates.send(
            key=ckey.encode(),
            value=wire.encode(
                "ConversionUpdate",
                {"key": ckey, "answer_json": encoded, "decided_time": decided_ms},
            ),
            partition=partition_for(ckey.encode(), settings.topic_partitions),
        )


# ---- sessions -----------------------------------------------------------------
def _touches(raw: list[bytes]) -> dict[str, tuple[Any, bytes]]:
    """Candidate touches by id, with the bytes they came as (kept for the device's events)."""
    out: dict[str, tuple[Any, bytes]] = {}
    for value, record in zip(raw, codec.try_decode_many(raw, expect="Touch"), strict=True):
        if not isinstance(record, Exception):
            out.setdefault(record["touch_id"], (touch_from_record(record), value))
    return out


async def decide_session(session_bytes: bytes, touches: list[bytes]) -> None:
    """Apply one session to its device (R21, R23, R26, R37) once its lookups are answered.

    A session of a device never installed is not recorded (nothing is known
    to re-engage); a known device's last activity moves to the session, a
    retargeting click eligible under R23 makes it a re-engagement, and the
    conversion-data answer becomes the re-engagement, or at least stops being
    a first launch.
    """
    record = codec.decode(session_bytes, expect="Session")
    app_id = record["app_id"]
    key = device_record_key(app_id, record["device_key"])
    state = load_state(key)
    if state is None:
        SESSIONS_DECIDED.labels("unknown_device").inc()
        return
    if device_state.session_seen(state, record["event_id"]):
        return  # R26
    config = app_configs.get(app_id)
    if config is None:
        log.warning("session of an unknown app dropped", extra={"fields": {"app_id": app_id}})
        return
    session = session_from_record(record)
    candidates = _touches(touches)
    settings_ = rule_settings(config)
    matched = is_reengagement(
        session,
        [t for t, _ in candidates.values()],
        settings_,
        device_state.history_of(state),
        device_state.used_touch_ids(state),
    )
    decided_ms = now_ms()
    attribution = codec.decode(state["attribution"], expect="Attribution")
    if matched is None:
        updated = device_state.apply_session(
            state, session_time=session.session_time, event_id=session.event_id
        )
        if not state["launched"]:
            # R37: is_first_launch is true only until a session arrives.
            answer = install_answer(attribution, is_first_launch=False)
            await send_conversion_updates(app_id, [attribution, record], answer, decided_ms)
        SESSIONS_DECIDED.labels("session").inc()
        store_state(key, updated)
        return
    reengagement = open_reengagement(session, matched, settings_)
    out = activity.reengagement_record(record, matched, reengagement, decided_time=decided_ms)
    await channels.reengagements.send(key=key, value=codec.encode("Reengagement", out))
    RECORDS_PRODUCED.labels(channels.reengagements.get_topic_name()).inc()
    REENGAGEMENTS.inc()
    SESSIONS_DECIDED.labels("reengagement").inc()
    answer = reengagement_answer(out, matched.touch.touch_type, attribution["install_time"])
    await send_conversion_updates(app_id, [attribution, record], answer, decided_ms)
    touch = matched.touch
    store_state(
        key,
        device_state.apply_session(
            state,
            session_time=session.session_time,
            event_id=session.event_id,
            reengagement=activity.open_reengagement(
                app_id, session.event_id, candidates[touch.touch_id][1], reengagement
            ),
            used_touch=(touch.touch_id, touch.touch_time),
        ),
    )


# ---- in-app events ------------------------------------------------------------
def event_records(
    event: dict[str, Any], state: device_state.DeviceState | None
) -> list[dict[str, Any]]:
    """The ``attributed-events`` records of ``event`` for the device's ``state`` (R24, R25)."""
    if state is None:
        return [activity.unattributed_event_record(event)]
    attribution = codec.decode(state["attribution"], expect="Attribution")
    return activity.attributed_event_records(event, attribution, state["reengagement"])


async def emit_events(
    key: bytes, events: list[dict[str, Any]], state: device_state.DeviceState | None
) -> device_state.DeviceState | None:
    """Send the records of ``events`` (not yet attributed ones only, R26); returns the
    state remembering them, for the caller to write back after the sends."""
    emitted: list[str] = []
    topic = channels.attributed_events.get_topic_name()
    for event in events:
        event_id = event["event_id"]
        if device_state.event_seen(state, event_id) or event_id in emitted:
            continue
        for out in event_records(event, state):
            await channels.attributed_events.send(
                key=key, value=codec.encode("AttributedEvent", out)
            )
            RECORDS_PRODUCED.labels(topic).inc()
            EVENT_ATTRIBUTIONS.labels(out["conversion_type"]).inc()
        emitted.append(event_id)
    if state is None or not emitted:
        return state
    return device_state.remember_events(state, emitted)


async def release_waiting(key: bytes, *, due_only: bool = False) -> None:
    """Attribute the device's waiting events.

    After a decision (``due_only`` false): all of them, once the device is
    known. On expiry (``due_only``): those whose hold has ended, attributed if
    the install has been decided meanwhile, else ``unattributed`` (R25).
    """
    entries = load_waiting(key)
    if not entries:
        return
    state = load_state(key)
    if due_only:
        remaining, ready = waiting.take_due(entries, now_ms())
    elif state is None:
        return
    else:
        remaining, ready = [], entries
    if not ready:
        return
    events = [codec.decode(e["event"], expect="InAppEvent") for e in ready]
    updated = await emit_events(key, events, state)
    if updated is not None and updated is not state:
        store_state(key, updated)
    store_waiting(key, remaining)
    WAITING_EVENTS.dec(len(ready))


def hold_event(key: bytes, event: dict[str, Any], raw: bytes, arrived_ms: int) -> list[bytes]:
    """Park ``event`` in ``waiting-events``; returns the raw events pushed out by the bound."""
    entries = load_waiting(key)
    entry = waiting.new_entry(event_id=event["event_id"], event=raw, arrived_ms=arrived_ms)
    updated, evicted = waiting.add(entries, entry)
    if updated is entries:
        return []  # already waiting (R26)
    store_waiting(key, updated)
    waiting_due.push(entry["due_ms"], key, entry["event_id"])
    WAITING_EVENTS.inc(1 - len(evicted))
    return [e["event"] for e in evicted]


def rebuild_waiting_due() -> None:
    """Refill :data:`waiting_due` from the table (after a restart or a rebalance)."""
    waiting_due.clear()
    count = 0
    for key, value in list(waiting_events.items()):
        for entry in wire.decode(value, "WaitingEvents")["events"]:
            waiting_due.push(entry["due_ms"], key, entry["event_id"])
            count += 1
    WAITING_EVENTS.set(count)


async def refused(message: Any, record: Any, now_ms: int) -> bool:
    """Dead-letter an input record that cannot be judged: undecodable, or its event
    time outside R3's bounds. True when it was refused (the agent goes on)."""
    if isinstance(record, Exception):
        await channels.send_dead_letter(message, record.reason, str(record))
        return True
    problem = event_time_problem(record["event_time"], record["received_time"] or now_ms)
    if problem is not None:
        await channels.send_dead_letter(message, "invalid_time", problem)
        return True
    return False


async def unknown_app(message: Any, record: dict[str, Any]) -> bool:
    """Dead-letter a record of an app no configuration names (R22 needs one)."""
    if app_configs.get(record["app_id"]) is None:
        await channels.send_dead_letter(message, "unknown_app", record["app_id"])
        return True
    return False
