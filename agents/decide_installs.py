"""Agent ``decide-installs``: gather the answers of an install or a session, then decide it.

Consumes ``CandidateBatch`` envelopes of ``install-candidates``, keyed like
the ``pending-installs``, ``devices`` and ``waiting-events`` tables
(``app_id|device_key``): this agent owns the device partition. When the last
answer of an install arrives, the pure function
:func:`attrib.rules.decide.decide` decides it over the candidate touches,
the app configuration in force (R22) and the device's history; the decision
goes to ``attributions``, the device registry is updated, and the
conversion-data answer is filed under each of the device's ids. A session's
answers go to :func:`attrib.agents.activity.decide_session` (R21, R23).
Once nothing is in flight for a device any more, its waiting in-app events
are attributed (R24, R25); a control batch (``expire_events``) lets go of
events whose 10-minute hold is over.
"""

from __future__ import annotations

import logging
import time

from attrib import channels
from attrib.agents import activity
from attrib.avro import codec
from attrib.engine import devices as device_state
from attrib.engine import pending, wire
from attrib.engine.conversion import install_answer
from attrib.engine.convert import (
    attribution_id_for,
    attribution_record,
    install_from_record,
    rule_settings,
    touch_from_record,
)
from attrib.engine.metrics import DECISION_LATENCY, DECISIONS, RECORDS_PRODUCED
from attrib.faust_app import app
from attrib.keys import device_record_key
from attrib.rules.decide import decide
from attrib.tables.app_configs import app_configs
from attrib.tables.devices import devices, registry_lock
from attrib.tables.pending_installs import pending_installs

log = logging.getLogger(__name__)


def _touches(raw: list[bytes]) -> list:
    out = []
    for record in codec.try_decode_many(raw, expect="Touch"):
        if not isinstance(record, Exception):
            out.append(touch_from_record(record))
    return out


@app.agent(channels.install_candidates, name="decide-installs", concurrency=1)
async def decide_installs(stream) -> None:  # type: ignore[no-untyped-def]
    async for event in stream.events():
        batch = wire.decode(event.message.value, "CandidateBatch")
        async with registry_lock:
            await _apply(batch)


async def _apply(batch: dict) -> None:
    # Read each pending key once per envelope, write it back once.
    cache: dict[bytes, list[pending.PendingInstall]] = {}
    completed: list[tuple[bytes, pending.PendingInstall]] = []
    for answer in batch["answers"]:
        key = answer["install_key"].encode()
        if key not in cache:
            value = pending_installs.get(key)
            cache[key] = [] if value is None else wire.decode(value, "PendingInstalls")["installs"]
        cache[key], done = pending.record_answer(
            cache[key], answer["event_id"], answer["key"], answer["touches"]
        )
        if done is not None:
            completed.append((key, done))
    for key, entries in cache.items():
        if entries:
            pending_installs[key] = wire.encode("PendingInstalls", {"installs": entries})
        elif key in pending_installs:
            del pending_installs[key]
    for _, done in completed:
        if done["kind"] == pending.SESSION:
            await activity.decide_session(done["install"], done["touches"])
        else:
            await _decide(done)
    # Events that waited for these decisions (R24, R25): attributed once
    # nothing more is in flight for their device.
    for key in dict.fromkeys(key for key, _ in completed):
        if key not in pending_installs:
            await activity.release_waiting(key)
    for key in batch["expire_events"]:
        await activity.release_waiting(key.encode(), due_only=True)


async def _decide(entry: pending.PendingInstall) -> None:
    record = codec.decode(entry["install"], expect="Install")
    app_id = record["app_id"]
    config = app_configs.get(app_id)
    if config is None:
        log.warning("install of an unknown app dropped", extra={"fields": {"app_id": app_id}})
        return
    key = device_record_key(app_id, record["device_key"])
    state_value = devices.get(key)
    state = wire.decode_or_none(state_value, "DeviceState")
    if device_state.decided_attribution_id(state, record["event_id"]):
        return  # R26: decided already (a replayed answer)
    install = install_from_record(record)
    decision = decide(
        install, _touches(entry["touches"]), rule_settings(config), device_state.history_of(state)
    )
    decided_ms = int(time.time() * 1000)
    attribution = attribution_record(record, decision, decided_time=decided_ms)
    encoded = codec.encode("Attribution", attribution)
    await channels.attributions.send(key=key, value=encoded)
    RECORDS_PRODUCED.labels(channels.attributions.get_topic_name()).inc()
    DECISIONS.labels(decision.conversion_type, decision.match_type or "none").inc()
    DECISION_LATENCY.observe(max(0, decided_ms - record["received_time"]) / 1000)
    devices[key] = wire.encode(
        "DeviceState",
        device_state.apply_decision(
            state,
            install_time=record["event_time"],
            decision=decision,
            event_id=record["event_id"],
            attribution_id=attribution_id_for(app_id, record["event_id"]),
            attribution=encoded,
        ),
    )
    answer = install_answer(attribution, is_first_launch=True)
    await activity.send_conversion_updates(app_id, [record], answer, decided_ms)
