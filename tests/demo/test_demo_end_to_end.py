"""The demo against its own collector and worker: the reports equal the scenario's figures.

A real worker (with its ClickHouse sink, into a database of this test) and a
real collector, both as processes with the test's own topic prefix; the demo
flow registers its app through the admin API, sends every phase through the
collector and waits until ClickHouse holds every row, as ``attrib demo`` does.
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import uuid
from decimal import Decimal
from typing import Any

import pytest

from attrib.analytics.clickhouse import connect
from attrib.demo.receiver import DemoReceiver
from attrib.demo.run import run
from tests.engine.harness import WorkerProcess, free_port
from tests.engine.test_end_to_end import wait_ready

pytestmark = pytest.mark.integration


def normal(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: Decimal(v).normalize() for k, v in value.items()}
    return value


def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: normal(v) for k, v in row.items() if k != "revenue_per_install"} for row in rows]


def test_demo_reports_match_the_scenario(isolated_settings, clickhouse_up) -> None:
    database = f"demo_test_{uuid.uuid4().hex[:8]}"
    s = dataclasses.replace(isolated_settings, clickhouse_database=database)
    worker = WorkerProcess(s, ATTRIB_WORKER_SINK="true", ATTRIB_CLICKHOUSE_DATABASE=database)
    worker.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(worker.env, ATTRIB_ADMIN_TOKEN="demo-token", ATTRIB_WORKER_URL=worker.url)
    log = open(f"{s.data_dir}/collector.log", "wb")  # noqa: SIM115
    collector = subprocess.Popen(
        [sys.executable, "-m", "attrib.cli", "collector", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = None
    receiver = DemoReceiver()
    receiver.start()
    try:
        wait_ready(url)
        client = connect(s)
        scenario, results = run(
            collector_url=url,
            admin_token="demo-token",
            client=client,
            app_id="demo-test",
            progress=lambda _: None,
            done=lambda _: None,
            receiver=receiver,
        )
        postbacks = results.pop("postbacks").as_dicts()
        for name, result in results.items():
            assert comparable(result.as_dicts()) == comparable(scenario.expected[name]), name
        # real deliveries to the loopback receiver: every one delivered, pushes signed
        assert {(row["kind"], row["media_source"]) for row in postbacks} == {
            ("event", "facebook_ads"),
            ("event", "googleadwords_int"),
            ("install", "facebook_ads"),
            ("install", "googleadwords_int"),
            ("push", ""),
        }
        for row in postbacks:
            assert row["deliveries"] == row["delivered"] > 0, row
        assert receiver.bad_signatures == 0
        assert sum(row["deliveries"] for row in postbacks) == len(receiver.delivery_ids)
    finally:
        receiver.stop()
        if client is not None:
            client.command(f"DROP DATABASE IF EXISTS {database}")
            client.close()
        collector.send_signal(signal.SIGTERM)
        collector.wait(timeout=30)
        log.close()
        worker.stop()
