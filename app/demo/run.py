"""Run the demo scenario against a collector and a ClickHouse database, and read its reports.

Used by ``attrib demo`` and by the demo's integration test; everything it
talks to is passed in, so a test can point it at its own processes.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from clickhouse_connect.driver.client import Client

from attrib.analytics.report import ReportFilter, ReportResult, run_report
from attrib.demo.scenario import Scenario, build, demo_config
from attrib.loadgen.sender import Stats, send

REPORTS = ("overview", "retention", "ctit", "fraud")

# table -> the count the demo waits for (FINAL: each record once)
COUNT_SQL = {
    "touches": "SELECT count() FROM touches FINAL WHERE app_id = {app:String}",
    "attributions": "SELECT count() FROM attributions FINAL WHERE app_id = {app:String}",
    "sessions": "SELECT count() FROM sessions FINAL WHERE app_id = {app:String}",
    "reengagements": "SELECT count() FROM reengagements FINAL WHERE app_id = {app:String}",
    "attributed_events": "SELECT count() FROM attributed_events FINAL WHERE app_id = {app:String}",
}


class DemoError(RuntimeError):
    pass


def register_app(collector_url: str, admin_token: str, app_id: str) -> dict[str, Any]:
    """PUT the demo configuration through the admin API; the stored configuration."""
    request = urllib.request.Request(
        f"{collector_url}/v1/apps/{app_id}",
        data=json.dumps(demo_config()).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def counts(client: Client, app_id: str, tables: list[str]) -> dict[str, int]:
    out = {}
    for table in tables:
        try:
            out[table] = int(client.command(COUNT_SQL[table], parameters={"app": app_id}))
        except Exception:  # table not created yet: nothing there
            out[table] = 0
    return out


def wait_for(
    client: Client,
    app_id: str,
    expected: dict[str, int],
    *,
    timeout: float,
    progress: Callable[[str], None],
) -> None:
    started = time.monotonic()
    while True:
        got = counts(client, app_id, list(expected))
        line = ", ".join(f"{t} {got[t]}/{n}" for t, n in expected.items())
        progress(f"  waiting: {line} ({time.monotonic() - started:.0f}s)")
        if all(got[t] >= n for t, n in expected.items()):
            return
        if time.monotonic() - started > timeout:
            raise DemoError(f"gave up after {timeout:.0f}s waiting for ClickHouse: {line}")
        time.sleep(0.5)


def run(
    *,
    collector_url: str,
    admin_token: str,
    client: Client,
    app_id: str,
    now_ms: int | None = None,
    rate: float = 400.0,
    timeout: float = 120.0,
    progress: Callable[[str], None] = print,
    done: Callable[[str], None] = print,
) -> tuple[Scenario, dict[str, ReportResult]]:
    """Register ``app_id``, send the scenario phase by phase, wait, and run the four reports."""
    config = register_app(collector_url, admin_token, app_id)
    scenario = build(app_id, now_ms or int(time.time() * 1000), sdk_key=config["sdk_key"])
    time.sleep(1.0)  # every process sees a new app's configuration within a second
    for phase in scenario.phases:
        stats: Stats = asyncio.run(
            send(
                collector_url,
                phase.requests,
                rate=rate,
                concurrency=32,
                progress=lambda s, name=phase.name: progress(f"  {name}: {s.summary()}"),
            )
        )
        done(f"{phase.name:<10} {stats.summary()}")
        refused = {s: n for s, n in stats.by_status.items() if s >= 300}
        if stats.errors or refused:
            raise DemoError(f"the collector refused {phase.name}: {refused}, errors {stats.errors}")
        wait_for(client, app_id, phase.wait_for, timeout=timeout, progress=progress)
    filters = ReportFilter(app_id)
    return scenario, {name: run_report(client, name, filters) for name in REPORTS}
