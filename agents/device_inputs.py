"""Agent ``device-inputs``: installs, sessions and in-app events of this worker's devices.

Consumes ``DeviceInputBatch`` envelopes (the intake's, one partition each)
and hands them to :class:`attrib.engine.device_partition.DevicePartition`:
installs and sessions are parked for ``decision_delay`` (R4), events are
attributed or wait (R24, R25). A ``sweep`` control batch forgets inactive
devices (:mod:`attrib.engine.device_retention`).
"""

from __future__ import annotations

from attrib import channels
from attrib.agents.wiring import device_partition, device_tables, retention
from attrib.engine import wire
from attrib.engine.clock import wall_ms
from attrib.engine.metrics import PENDING_INSTALLS, RECORDS_CONSUMED, BatchTimer, observe_delay
from attrib.engine.outbox import Outbox
from attrib.engine.sender import commit_batch
from attrib.faust_app import app
from attrib.kafka.bulk_take import take_events
from attrib.tables.devices import registry_lock

#: Envelopes per commit, and how long a batch waits to fill (the hop's latency).
BATCH = 500
WITHIN_S = 0.005


@app.agent(channels.device_inputs, name="device-inputs", concurrency=1)
async def device_inputs(stream) -> None:  # type: ignore[no-untyped-def]
    out = await channels.sender()
    timer = BatchTimer("device-inputs")
    async for events in take_events(stream, BATCH, WITHIN_S):
        async with registry_lock:
            timer.start()
            outbox = Outbox()
            now_ms = wall_ms()
            for event in events:
                observe_delay(event.message)
                partition = event.message.partition
                batch = wire.decode(event.message.value, "DeviceInputBatch")
                RECORDS_CONSUMED.labels(event.message.topic).inc(len(batch["inputs"]))
                if batch["sweep"]:
                    retention.sweep_devices(
                        partition,
                        now_ms=now_ms,
                        watermark_ms=device_partition.watermarks[partition],
                    )
                else:
                    device_partition.accept(partition, batch["inputs"], now_ms, outbox)
            timer.processed()
            await commit_batch(out, outbox, device_tables.all())
            timer.committed()
        PENDING_INSTALLS.set(len(device_partition.due))
