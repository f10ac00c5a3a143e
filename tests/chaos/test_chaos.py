"""The platform under steady load while its processes are SIGKILLed: nothing lost, nothing doubled.

The short version (about two minutes) runs in ``make test``; ``make chaos``
runs the long one (``CHAOS_SECONDS``, ``CHAOS_RATE``,
``CHAOS_FAULT_INTERVAL``, ``CHAOS_SEPARATE_SINK``; docs/reliability.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from attrib.settings import Settings
from tests.chaos.stack import ChaosPlan, run_chaos

pytestmark = [pytest.mark.integration, pytest.mark.chaos]


async def test_worker_sigkilled_under_load_decides_and_counts_every_install_once(
    chaos_settings: Settings, tmp_path: Path
) -> None:
    plan = ChaosPlan.from_env(seconds=60.0, rate=100.0, fault_interval=15.0)
    report = await run_chaos(chaos_settings, plan, tmp_path / "logs")
    print(f"\nchaos run: {plan}\n{report.table()}")

    assert len(report.faults) >= max(2, int(plan.seconds // plan.fault_interval) - 1)
    assert report.installs_accepted > 0
    assert report.client_errors == 0, report.table()
    assert report.crashes == [], "\n".join(report.crashes[:20])
    assert report.decisions_lost == 0, report.table()
    assert report.decisions_duplicated == 0, report.table()
    assert report.rows_lost == 0, report.table()
    assert report.rows_duplicated == 0, report.table()
    assert report.rows_lost_optimized == 0, report.table()
    assert report.rows_duplicated_optimized == 0, report.table()
    assert len(report.recovery_s) == len(report.faults), report.table()
