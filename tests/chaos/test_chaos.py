"""The platform under steady load while its processes, broker, ClickHouse and receivers fail.

Every accepted install decided once and as a fault-free run decides it,
counted once in ClickHouse, its postbacks and pushes delivered once, the
reports equal to the fault-free run's. Short versions run in ``make test``;
``make chaos`` runs the long ones (``CHAOS_SECONDS``, ``CHAOS_RATE``,
``CHAOS_FAULT_INTERVAL``, ``CHAOS_SEPARATE_SINK``; docs/reliability.md).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from attrib.settings import Settings
from tests.chaos.plan import ChaosPlan
from tests.chaos.report import Report, percentile
from tests.chaos.stack import run_chaos

pytestmark = [pytest.mark.integration, pytest.mark.chaos, pytest.mark.timeout(3600)]


def assert_nothing_lost_or_doubled(report: Report, plan: ChaosPlan) -> None:
    assert len(report.faults) >= max(2, int(plan.seconds // plan.fault_interval) - 1)
    assert report.installs_accepted > 0
    assert report.client_errors == 0, report.table()
    assert report.crashes == [], "\n".join(report.crashes[:20])
    assert report.decisions_lost == 0, report.table()
    assert report.decisions_duplicated == 0, report.table()
    assert report.decisions_differing == 0, report.table()
    assert report.rows_lost == 0, report.table()
    assert report.rows_duplicated == 0, report.table()
    assert report.rows_lost_optimized == 0, report.table()
    assert report.rows_duplicated_optimized == 0, report.table()
    assert report.deliveries_owed > report.installs_accepted, report.table()
    assert report.deliveries_lost == 0, report.table()
    assert report.deliveries_duplicated == 0, report.table()
    assert report.deliveries_unowed == 0, report.table()
    assert report.reports_differing == {}, report.reports_differing
    assert all(f.recovery_s is not None for f in report.faults if "receiver" not in f.kind)


async def test_one_worker_killed_under_load_decides_counts_and_delivers_everything_once(
    chaos_settings: Settings, tmp_path: Path
) -> None:
    plan = ChaosPlan.from_env(
        seconds=60.0, rate=100.0, fault_interval=15.0, faults=("worker", "receiver")
    )
    if plan.separate_sink:  # make chaos: the sink is killed in turn too
        plan = dataclasses.replace(plan, faults=("worker", "sink", "receiver"))
    if plan.separate_delivery and "CHAOS_FAULTS" not in os.environ:  # and attrib deliver
        plan = dataclasses.replace(plan, faults=(*plan.faults, "deliver"))
    report = await run_chaos(chaos_settings, plan, tmp_path / "logs")
    print(f"\nchaos run: {plan}\n{report.table()}")
    assert_nothing_lost_or_doubled(report, plan)


@pytest.mark.skipif(
    "CHAOS_SECONDS" not in os.environ,
    reason="make chaos only: ~3.5 min each (docs/reliability.md, Running it)",
)
async def test_two_workers_with_a_standby_through_kills_and_a_clickhouse_outage(
    chaos_settings: Settings, tmp_path: Path
) -> None:
    plan = ChaosPlan.from_env(
        seconds=90.0,
        rate=100.0,
        fault_interval=15.0,
        faults=("worker", "clickhouse", "worker", "receiver"),
        workers=2,
    )
    report = await run_chaos(chaos_settings, plan, tmp_path / "logs")
    print(f"\nchaos run: {plan}\n{report.table()}")
    assert_nothing_lost_or_doubled(report, plan)
    worker_recovery = report.recovery().get("SIGKILL worker", [])
    assert worker_recovery, report.table()
    assert percentile(worker_recovery, 99) <= 30.0, report.table()


@pytest.mark.skipif(
    "CHAOS_SECONDS" not in os.environ,
    reason="make chaos only: ~3.5 min each (docs/reliability.md, Running it)",
)
async def test_two_workers_through_broker_restarts(
    chaos_settings: Settings, tmp_path: Path
) -> None:
    plan = ChaosPlan.from_env(
        seconds=90.0, rate=100.0, fault_interval=15.0, faults=("worker", "broker"), workers=2
    )
    report = await run_chaos(chaos_settings, plan, tmp_path / "logs")
    print(f"\nchaos run: {plan}\n{report.table()}")
    assert_nothing_lost_or_doubled(report, plan)
