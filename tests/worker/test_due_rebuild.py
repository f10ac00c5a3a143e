"""The due queue's rebuild after a restart never forgets an install in flight.

Found by the chaos suite (tests/chaos, docs/reliability.md finding 3): at 300
requests/s, installs accepted in the seconds before a worker SIGKILL were
never decided. After the restart the ``device-inputs`` agent replays them:
its batch pushes them onto the due queue at once but writes them to the
``pending-installs`` table only at its commit, after awaiting Kafka. The
timer's first tick rebuilt the queue from the table in between, clearing the
queue and reading a table without them.
"""

from __future__ import annotations

import asyncio
import uuid

from attrib.agents.timers import rebuild_due_queues
from attrib.avro import codec
from attrib.config import validate_app_config
from attrib.engine.outbox import Outbox
from attrib.engine.partitioning import partition_for
from attrib.engine.simulation import EngineSimulation
from attrib.identifiers import device_key, normalise_identifiers
from attrib.keys import device_record_key
from attrib.tables.devices import registry_lock
from tests.engine.harness import install_record

T0 = 1_780_000_000_000
CONFIG = validate_app_config(
    "app", {"platform": "android", "store_url": "https://play.google.com/store/apps/details?id=x"}
)


def _install_input() -> tuple[dict, int]:
    ids = {"advertising_id": str(uuid.uuid4())}
    record = install_record("app", install_time=T0, ids=ids, received_time=T0)
    key = device_record_key("app", device_key(normalise_identifiers(ids)))
    item = {"kind": "install", "value": codec.encode("Install", record), "arrived_ms": T0}
    return item, partition_for(key, 4)


async def test_a_rebuild_waits_for_the_batch_whose_installs_are_not_written_yet() -> None:
    sim = EngineSimulation({"app": CONFIG}, start_ms=T0)
    item, partition = _install_input()
    commit_started = asyncio.Event()

    async def replayed_batch() -> None:  # what agents/device_inputs.py does, with its lock
        async with registry_lock:
            sim.device.accept(partition, [item], T0, Outbox())
            commit_started.set()
            await asyncio.sleep(0.05)  # the outbox and changelog on their way to Kafka
            sim._commit()

    batch = asyncio.create_task(replayed_batch())
    await commit_started.wait()
    await rebuild_due_queues(sim.device, [partition])
    await batch
    assert len(sim.device.due) == 1
    outbox = Outbox()
    assert sim.device.due_lookups(T0 + 1_000, outbox) == 1
    assert outbox.records  # its lookups are sent: it will be decided


async def test_a_rebuild_between_batches_keeps_what_the_tables_hold() -> None:
    sim = EngineSimulation({"app": CONFIG}, start_ms=T0)
    item, partition = _install_input()
    sim.device.accept(partition, [item], T0, Outbox())
    sim._commit()
    sim.device.due.clear()  # a restarted worker: the queue is memory only
    await rebuild_due_queues(sim.device, [partition])
    assert len(sim.device.due) == 1
