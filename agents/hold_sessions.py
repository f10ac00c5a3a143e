"""Agent ``hold-sessions``: park each session for ``decision_delay``, then look up its clicks.

Reads ``sessions`` in batches. A valid session (decodable, known app, event
time inside R3's bounds, not processed before: R26) joins the installs in
``pending-installs`` as a ``session`` entry, and ``hold-installs``' timer
sends its lookups when due: the touch index's id keys of the session
(referrer and id matches only: probabilistic matches never re-engage, R23),
asking only for clicks after the device's latest install. A session of a
device not installed yet, or blocked, cannot re-engage and asks nothing. The
answers come back to ``decide-installs``, which applies the session to the
device (:func:`attrib.agents.activity.decide_session`).

Sessions wait ``decision_delay`` like installs (R4): the retargeting click
that brings a user back is recorded on another topic just before the
session, and may be consumed after it.
"""

from __future__ import annotations

import time

from attrib import channels
from attrib.agents import activity
from attrib.agents.hold_installs import due_queue, park
from attrib.avro import codec
from attrib.engine import devices as device_state
from attrib.engine import pending, wire
from attrib.engine.convert import session_from_record
from attrib.engine.index import session_lookup_keys
from attrib.engine.metrics import PENDING_INSTALLS, RECORDS_CONSUMED
from attrib.faust_app import app, settings
from attrib.keys import device_record_key
from attrib.tables.app_configs import app_configs
from attrib.tables.devices import devices

BATCH = 1_000
WITHIN_S = 0.02


@app.agent(channels.sessions, name="hold-sessions", concurrency=1)
async def hold_sessions(stream) -> None:  # type: ignore[no-untyped-def]
    delay_ms = settings.decision_delay_ms
    await app_configs.cache.wait_loaded()
    async for events in stream.take_events(BATCH, within=WITHIN_S):
        decoded = codec.try_decode_many([e.message.value for e in events], expect="Session")
        now_ms = int(time.time() * 1000)
        for event, record in zip(events, decoded, strict=True):
            RECORDS_CONSUMED.labels(event.message.topic).inc()
            message = event.message
            if await activity.refused(message, record, now_ms):
                continue
            if await activity.unknown_app(message, record):
                continue
            key = device_record_key(record["app_id"], record["device_key"])
            channels.bind_event(event)
            value = devices.get(key)
            state = wire.decode_or_none(value, "DeviceState")
            if state is not None and device_state.session_seen(state, record["event_id"]):
                continue  # R26
            can_reengage = state is not None and not state["blocked"]
            entry = pending.new_entry(
                event_id=record["event_id"],
                install=message.value,
                arrived_ms=now_ms,
                delay_ms=delay_ms,
                keys=session_lookup_keys(session_from_record(record)) if can_reengage else [],
                kind=pending.SESSION,
                newer_than=state["last_install_time"] if state is not None else 0,
            )
            park(key, entry)
        PENDING_INSTALLS.set(len(due_queue))
