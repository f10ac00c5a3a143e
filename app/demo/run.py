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
from attrib.demo.receiver import DemoReceiver
from attrib.demo.scenario import Scenario, build, demo_config
from attrib.loadgen.sender import Stats, send

REPORTS = ("overview", "retention", "ctit", "fraud")
#: How long the receiver must stay quiet before the demo counts its deliveries as done.
QUIET_SECONDS = 2.0

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


def register_app(
    collector_url: str, admin_token: str, app_id: str, receiver_url: str | None = None
) -> dict[str, Any]:
    """PUT the demo configuration through the admin API; the stored configuration."""
    request = urllib.request.Request(
        f"{collector_url}/v1/apps/{app_id}",
        data=json.dumps(demo_config(receiver_url)).encode(),
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


DELIVERED_SQL = (
    "SELECT count() FROM (SELECT delivery_id, argMax(status, attempt) AS outcome"
    " FROM postback_deliveries FINAL WHERE app_id = {app:String} GROUP BY delivery_id)"
    " WHERE outcome = 'delivered'"
)


def wait_for_deliveries(
    client: Client,
    app_id: str,
    receiver: DemoReceiver,
    *,
    timeout: float,
    progress: Callable[[str], None],
) -> None:
    """Until the receiver has been quiet a moment and ClickHouse records all it received."""
    started = time.monotonic()
    last, quiet_since = -1, time.monotonic()
    while True:
        received = len(receiver.delivery_ids)
        try:
            recorded = int(client.command(DELIVERED_SQL, parameters={"app": app_id}))
        except Exception:  # table not created yet
            recorded = 0
        if received != last:
            last, quiet_since = received, time.monotonic()
        progress(f"  waiting: deliveries received {received}, in ClickHouse {recorded}")
        if received and recorded >= received and time.monotonic() - quiet_since >= QUIET_SECONDS:
            return
        if time.monotonic() - started > timeout:
            raise DemoError(
                f"gave up after {timeout:.0f}s waiting for deliveries: the receiver got "
                f"{received}, ClickHouse records {recorded} delivered (is the delivery stage "
                "running? ATTRIB_WORKER_DELIVER or `attrib deliver`)"
            )
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
    receiver: DemoReceiver | None = None,
) -> tuple[Scenario, dict[str, ReportResult]]:
    """Register ``app_id``, send the scenario phase by phase, wait, and run the reports.

    With a started ``receiver``, the app's postbacks and push endpoint point
    at it; the demo then also waits for the deliveries and adds the
    ``postbacks`` report.
    """
    receiver_url = receiver.url if receiver is not None else None
    config = register_app(collector_url, admin_token, app_id, receiver_url)
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
    names = list(REPORTS)
    if receiver is not None:
        wait_for_deliveries(client, app_id, receiver, timeout=timeout, progress=progress)
        done(receiver.summary())
        names.append("postbacks")
    filters = ReportFilter(app_id)
    return scenario, {name: run_report(client, name, filters) for name in names}
