"""Lookups waiting for the touch index never starve the other agents (finding 10).

After a worker restart the replayed backlog of ``touch-lookup`` envelopes
can be sent before the restarted worker's first index snapshot, so they
wait for ``store-touches`` to catch up. When ``answer-lookups`` waited
inline, its full buffer blocked Faust's one drain loop and ``store-touches``
(and every other agent) with it: the long two-worker chaos run stalled
(docs/reliability.md, finding 10). Here a flood of lookup envelopes that
must wait ~25 s is produced first; a click and its install produced after
it must still be decided within a few seconds, and clicked.
"""

from __future__ import annotations

import time
import uuid

import pytest

from attrib.engine import wire
from attrib.engine.topics import EngineTopics
from attrib.kafka.client import make_producer
from tests.engine.harness import (
    ANDROID_APP,
    WorkerProcess,
    install_record,
    now_ms,
    produce_installs,
    produce_touches,
    read_records,
    setup_deployment,
    touch_record,
)

pytestmark = pytest.mark.integration

#: More envelopes than Faust's per-agent buffer (4,096) plus one take of 500.
FLOOD = 6_000
#: How far in the future the flood's envelopes are sent: they wait that long.
HELD_FOR_MS = 25_000


async def test_a_flood_of_waiting_lookups_does_not_stall_the_worker(isolated_settings) -> None:
    s = isolated_settings
    app_id = "com.example.game"
    await setup_deployment(s, app_id, dict(ANDROID_APP))
    worker = WorkerProcess(s, decision_delay="1s")
    worker.start()
    try:
        topic = EngineTopics.of(s).touch_lookup
        empty = wire.encode("LookupBatch", {"lookups": []})
        producer = make_producer(s)
        await producer.start()
        try:
            future = now_ms() + HELD_FOR_MS
            for _ in range(FLOOD):
                await producer.send(topic, empty, partition=0, timestamp_ms=future)
            await producer.flush()
        finally:
            await producer.stop()

        started = time.monotonic()
        t0 = now_ms()
        gaid = str(uuid.uuid4())
        click = touch_record(app_id, touch_time=t0 - 60_000, ids={"advertising_id": gaid})
        await produce_touches(s, [click])
        await produce_installs(
            s, [install_record(app_id, install_time=t0, ids={"advertising_id": gaid})]
        )
        decisions = await read_records(s, "attributions", expect=1, within=HELD_FOR_MS / 1000 - 5)
        took = time.monotonic() - started

        assert decisions, f"no decision in {took:.1f} s behind {FLOOD} waiting lookups"
        assert decisions[0]["conversion_type"] == "install"
        assert decisions[0]["media_source"] == click["media_source"], decisions[0]
        held = metric_value(worker, "attrib_lookup_envelopes_waiting_for_index")
        assert held >= FLOOD * 0.9, f"{held} of {FLOOD} envelopes reported waiting"
    finally:
        worker.stop()


def metric_value(worker: WorkerProcess, name: str) -> float:
    _, body = worker.get("/metrics")
    text = body.decode() if isinstance(body, bytes) else str(body)
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
