"""Two workers sharing the partitions both decide: lookups fan out across workers.

An install's lookups go to the ``touch-index`` partitions of its keys, so with
two workers many of them are answered by the other worker, from touches the
other worker's intake routed. The chaos suite's two-worker runs found the
gates of that path wrong (docs/reliability.md findings 7 and 8).
"""

from __future__ import annotations

import uuid

import pytest

from tests.engine.harness import (
    ANDROID_APP,
    WorkerProcess,
    index_entries,
    install_record,
    metric_value,
    now_ms,
    produce_installs,
    produce_touches,
    read_records,
    setup_deployment,
    touch_record,
    wait_indexed_by_any,
)

pytestmark = pytest.mark.integration

APP = "com.example.twoworkers"
HOUR = 3_600_000


async def test_two_active_workers_decide_installs_of_every_partition(
    isolated_settings, tmp_path
) -> None:
    s = isolated_settings
    await setup_deployment(s, APP, dict(ANDROID_APP))
    second_settings = s.__class__(**{**s.__dict__, "data_dir": str(tmp_path / "second")})
    env = {"decision_delay": "0s", "ATTRIB_TABLE_STANDBY_REPLICAS": "1"}
    workers = [
        WorkerProcess(s, ATTRIB_WORKER_ID="w-0", **env),
        WorkerProcess(second_settings, ATTRIB_WORKER_ID="w-1", **env),
    ]
    for worker in workers:
        worker.start()
    try:
        t0 = now_ms()
        gaids = [str(uuid.uuid4()) for _ in range(12)]  # devices of every partition
        touches = [
            touch_record(APP, touch_time=t0 - HOUR, ids={"advertising_id": gaid}) for gaid in gaids
        ]
        await produce_touches(s, touches)
        wait_indexed_by_any(workers, index_entries(touches))
        await produce_installs(
            s,
            [install_record(APP, install_time=t0, ids={"advertising_id": g}) for g in gaids],
        )
        decisions = await read_records(s, "attributions", expect=len(gaids), within=60)
        logs = "\n".join(w.log_tail() for w in workers)
        assert len(decisions) == len(gaids), logs
        assert {d["match_type"] for d in decisions} == {"id"}, logs
        assert {d["touch_id"] for d in decisions} == {t["touch_id"] for t in touches}
        # Answered from a complete index, not after the wait for it timed out.
        for worker in workers:
            incomplete = metric_value(worker, "attrib_worker_lookups_answered_incomplete_total")
            assert incomplete == 0, worker.log_tail()
    finally:
        for worker in workers:
            worker.stop()
