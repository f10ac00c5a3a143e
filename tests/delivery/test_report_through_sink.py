"""Every attempt reaches ClickHouse through the sink; `postbacks` counts outcomes per network."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from attrib.analytics import clickhouse
from attrib.analytics.report import ReportFilter, run_report
from attrib.analytics.sink import SinkService
from attrib.settings import Settings
from attrib.topics import ATTRIBUTIONS, POSTBACK_DELIVERIES
from tests.delivery.broker import delivery_settings, produce, register, wait_deliveries
from tests.delivery.records import organic

pytestmark = pytest.mark.integration

APP = "com.example.deliver"


@pytest.fixture
def ch_settings(isolated_settings: Settings, clickhouse_up: Settings) -> Iterator[Settings]:
    database = "test_" + isolated_settings.topic_prefix.strip(".")
    settings = dataclasses.replace(isolated_settings, clickhouse_database=database)
    yield settings
    client = clickhouse.connect(settings, database="")
    try:
        client.command(f"DROP DATABASE IF EXISTS `{database}`")
    finally:
        client.close()


async def test_postbacks_report_per_network_and_kind(ch_settings, receivers, stage) -> None:
    settings = delivery_settings(ch_settings, delivery_retry_schedule="300ms,20s")
    net = await receivers({"/retry": [503, 503], "/gone": [404]})
    down = await receivers()
    down_url = down.url("/x")
    await down.stop()
    pb = [
        ("ok", net.url("/ok")),
        ("gone", net.url("/gone")),
        ("retrying", net.url("/retry")),
        ("down", down_url),
    ]
    await register(
        settings,
        APP,
        {
            "postbacks": [
                {"media_source": name, "install_url": url, "send_all_installs": True}
                for name, url in pb
            ],
            "push_endpoints": [{"url": net.url("/push"), "secret": "k"}],
        },
    )
    sink = SinkService(settings, topic_names=[POSTBACK_DELIVERIES])
    await sink.start()
    try:
        await sink.wait_ready(60)
        await stage(settings)
        await produce(settings, ATTRIBUTIONS, [organic()])
        # ok, gone, push: 1 attempt each; retrying and down: 2 attempts so far, then 20 s
        await wait_deliveries(settings, 7)
        client = clickhouse.connect(settings)
        try:
            today = datetime.now(UTC).date()
            rows: list = []
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                result = run_report(client, "postbacks", ReportFilter(APP, today, today))
                rows = result.rows
                if sum(row[result.columns.index("retries")] for row in rows) >= 2:
                    break
                await asyncio.sleep(0.3)
        finally:
            client.close()
    finally:
        await sink.stop()
    cols = result.columns
    table = {
        (row[cols.index("kind")], row[cols.index("media_source")]): {
            name: row[cols.index(name)]
            for name in ("deliveries", "delivered", "failed", "dead", "pending", "retries")
        }
        for row in rows
    }
    one = {"deliveries": 1, "delivered": 0, "failed": 0, "dead": 0, "pending": 0, "retries": 0}
    assert table == {
        ("install", "ok"): {**one, "delivered": 1},
        ("install", "gone"): {**one, "failed": 1},
        ("install", "retrying"): {**one, "pending": 1, "retries": 1},
        ("install", "down"): {**one, "pending": 1, "retries": 1},
        ("push", ""): {**one, "delivered": 1},
    }
