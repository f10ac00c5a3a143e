"""Agent ``decide-installs``: gather the answers of an install or a session, then decide it.

Consumes ``CandidateBatch`` envelopes of ``install-candidates``, keyed like
the device partition's tables (``app_id|device_key``). When the last answer
of an install arrives, :class:`attrib.engine.device_partition.DevicePartition`
decides it with the pure rules (R1–R31) and writes ``attributions``,
conversion data (R37) and the events that waited for it (R24, R25); a
session's answers may make a re-engagement (R23). A control batch
(``expire_events``) lets go of events whose hold is over (R25).
"""

from __future__ import annotations

from attrib import channels
from attrib.agents.wiring import device_partition, device_tables
from attrib.engine import wire
from attrib.engine.clock import wall_ms
from attrib.engine.metrics import RECORDS_CONSUMED, BatchTimer, observe_delay
from attrib.engine.outbox import Outbox
from attrib.engine.sender import commit_batch
from attrib.faust_app import app
from attrib.kafka.bulk_take import take_events
from attrib.tables.app_configs import app_configs
from attrib.tables.devices import registry_lock

BATCH = 500
WITHIN_S = 0.005


@app.agent(channels.install_candidates, name="decide-installs", concurrency=1)
async def decide_installs(stream) -> None:  # type: ignore[no-untyped-def]
    # R22 needs the configuration in force: a decision made before the app-config
    # cache is loaded would drop the install as "of an unknown app" (after a restart,
    # answers replayed from before the crash arrive within the first second).
    await app_configs.cache.wait_loaded()
    out = await channels.sender()
    timer = BatchTimer("decide-installs")
    async for events in take_events(stream, BATCH, WITHIN_S):
        async with registry_lock:
            timer.start()
            outbox = Outbox()
            now_ms = wall_ms()
            for event in events:
                observe_delay(event.message)
                batch = wire.decode(event.message.value, "CandidateBatch")
                RECORDS_CONSUMED.labels(event.message.topic).inc(len(batch["answers"]))
                device_partition.apply_answers(event.message.partition, batch, now_ms, outbox)
            timer.processed()
            await commit_batch(out, outbox, device_tables.all())
            timer.committed()
