"""Recovery of the join's state: after a crash, and through standby replicas.

faust-streaming has reports of ``ConsistencyError: persisted offset >
highwater`` after a crash without standbys (#596); these tests kill workers
for real and check that decisions still see the touches indexed before.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from tests.engine.harness import (
    ANDROID_APP,
    WorkerProcess,
    index_entries,
    install_record,
    now_ms,
    produce_installs,
    produce_touches,
    read_records,
    setup_deployment,
    touch_record,
    wait_indexed,
    wait_indexed_by_any,
)

pytestmark = pytest.mark.integration

APP = "com.example.recovery"
HOUR = 3_600_000


@pytest.fixture
async def deployment(isolated_settings):
    await setup_deployment(isolated_settings, APP, dict(ANDROID_APP))
    return isolated_settings


async def test_worker_killed_with_sigkill_recovers_its_state(deployment) -> None:
    s = deployment
    gaid = str(uuid.uuid4())
    t0 = now_ms()
    worker = WorkerProcess(s, decision_delay="0s")
    worker.start()
    touch = touch_record(APP, touch_time=t0 - HOUR, ids={"advertising_id": gaid})
    try:
        await produce_touches(s, [touch])
        wait_indexed(worker, index_entries([touch]))
        await asyncio.sleep(1)
    finally:
        worker.kill()  # no graceful shutdown: RocksDB and offsets as a crash leaves them

    again = WorkerProcess(s, decision_delay="0s")
    again.start()
    try:
        await produce_installs(
            s, [install_record(APP, install_time=t0, ids={"advertising_id": gaid})]
        )
        [decision] = await read_records(s, "attributions", expect=1)
        assert decision["match_type"] == "id", again.log_tail()
        assert "ConsistencyError" not in again.log_tail(100_000)
    finally:
        again.stop()


async def test_standby_replica_takes_over_when_a_worker_leaves(deployment, tmp_path) -> None:
    s = deployment
    gaid = str(uuid.uuid4())
    t0 = now_ms()
    first = WorkerProcess(s, decision_delay="0s", ATTRIB_TABLE_STANDBY_REPLICAS="1")
    second_settings = s.__class__(**{**s.__dict__, "data_dir": str(tmp_path / "second")})
    second = WorkerProcess(second_settings, decision_delay="0s", ATTRIB_TABLE_STANDBY_REPLICAS="1")
    first.start()
    second.start()
    try:
        touches = [
            touch_record(APP, touch_time=t0 - HOUR, ids={"advertising_id": gaid}),
            touch_record(APP, touch_time=t0 - 2 * HOUR, ids={"advertising_id": gaid}),
        ]
        await produce_touches(s, touches)
        # Indexed by whichever worker owns the touches' partition.
        wait_indexed_by_any([first, second], index_entries(touches))
        stopping = time.monotonic()
        first.stop()  # leaves the group; the second owns every partition now
        stopped = f"first worker stopped in {time.monotonic() - stopping:.1f}s"
        await asyncio.sleep(2)
        await produce_installs(
            s, [install_record(APP, install_time=t0, ids={"advertising_id": gaid})]
        )
        # A worker that does not leave cleanly is dropped from the group only after
        # the session timeout (60 s), so the takeover may take that long too.
        decisions = await read_records(s, "attributions", expect=1, within=120)
        assert len(decisions) == 1, f"{stopped}\n{first.log_tail()}\n{second.log_tail()}"
        [decision] = decisions
        assert decision["match_type"] == "id", second.log_tail()
        assert decision["touch_id"] == touches[0]["touch_id"]
        assert len(decision["contributors"]) == 1
    finally:
        first.stop()
        second.stop()
