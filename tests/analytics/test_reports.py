"""Every report against the scripted month of report_dataset.py, worked out by hand.

The data goes the production way: Avro records produced to the topics, the
sink writes them. Then the whole month is sunk a second time by a second
consumer group, a replay of every record, and every report must give the
same figures (merges are stopped, so the duplicates really are in the
tables while the reports run).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import TopicPartition
from analytics_helpers import (
    client_for,
    create_topics,
    final_count,
    produce,
    raw_count,
    running_sink,
    wait_for_rows,
)
from click.testing import CliRunner
from clickhouse_connect.driver.client import Client
from report_dataset import APP, DISTINCT_ROWS, OTHER, by_topic

from attrib.analytics import clickhouse
from attrib.analytics.migrations import Target, apply_migrations
from attrib.analytics.report import REPORTS, ReportFilter, ReportResult, run_report
from attrib.cli import cli
from attrib.kafka.client import make_consumer
from attrib.settings import Settings, load_settings

pytestmark = pytest.mark.integration

MARCH = ReportFilter(APP, date(2025, 3, 1), date(2025, 3, 31))
D = Decimal


@dataclasses.dataclass
class Month:
    settings: Settings
    client: Client
    first: dict[str, ReportResult]  # the reports before the replay
    raw_rows: dict[str, int]  # rows physically in each table after the replay


async def _sink_everything(settings: Settings, client: Client) -> None:
    async with running_sink(settings) as service:
        for table, rows in DISTINCT_ROWS.items():
            await wait_for_rows(client, settings, table, rows)
        await _wait_committed(settings, service.group_id)


async def _wait_committed(settings: Settings, group_id: str) -> None:
    """Until ``group_id`` committed the end of every partition of the sunk topics."""
    consumer = make_consumer(settings, group_id=group_id, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(settings.topic(name), n)
            for name in by_topic()
            for n in range(settings.topic_partitions)
        ]
        ends = await consumer.end_offsets(partitions)
        for _ in range(300):
            committed = {tp: await consumer.committed(tp) or 0 for tp in partitions}
            if all(committed[tp] >= ends[tp] for tp in partitions):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{group_id} did not commit the end of {partitions}")
    finally:
        await consumer.stop()


@pytest.fixture(scope="module")
def month(kafka_up: Settings, clickhouse_up: Settings) -> Iterator[Month]:
    tag = uuid.uuid4().hex[:10]
    settings = load_settings(
        env={},
        kafka_bootstrap=kafka_up.kafka_bootstrap,
        clickhouse_url=clickhouse_up.clickhouse_url,
        topic_prefix=f"r{tag}.",
        faust_app_id=f"attrib-reports-{tag}",
        clickhouse_database=f"test_reports_{tag}",
        topic_partitions=2,
    )
    client = client_for(settings)
    apply_migrations(client, Target(settings.clickhouse_database))
    for table in DISTINCT_ROWS:  # keep replayed duplicates as separate rows
        client.command(f"SYSTEM STOP MERGES `{settings.clickhouse_database}`.{table}")
    reader = clickhouse.connect(settings)

    async def load() -> None:
        await create_topics(settings)
        for topic, records in by_topic().items():
            await produce(settings, topic, records)
        await _sink_everything(settings, client)

    async def replay() -> None:
        # A new consumer group reads every topic from the start again.
        again = dataclasses.replace(settings, faust_app_id=f"attrib-replay-{tag}")
        await _sink_everything(again, client)

    try:
        asyncio.run(load())
        first = {name: run_report(reader, name, MARCH) for name in REPORTS}
        asyncio.run(replay())
        raw = {table: raw_count(client, settings, table) for table in DISTINCT_ROWS}
        yield Month(settings, reader, first, raw)
    finally:
        client.command(f"DROP DATABASE IF EXISTS `{settings.clickhouse_database}`")
        client.close()
        reader.close()


def rows(result: ReportResult, *columns: str) -> list[tuple[Any, ...]]:
    index = [result.columns.index(c) for c in columns]
    return [tuple(row[i] for i in index) for row in result.rows]


def test_every_record_is_stored_once_though_written_twice(month: Month) -> None:
    for table, distinct in DISTINCT_ROWS.items():
        assert final_count(month.client, month.settings, table) == distinct, table
        assert month.raw_rows[table] >= 2 * distinct, table  # the replay really wrote them


@pytest.mark.parametrize("name", list(REPORTS))
def test_a_replay_of_every_record_changes_no_report(month: Month, name: str) -> None:
    after = run_report(month.client, name, MARCH)
    assert after.rows == month.first[name].rows
    assert after.rows  # each report has something to say about the month


def test_overview(month: Month) -> None:
    result = run_report(month.client, "overview", MARCH)
    counts = (
        "media_source",
        "campaign",
        "impressions",
        "clicks",
        "installs",
        "organic_installs",
        "reattributions",
        "reengagements",
        "blocked_installs",
        "conversion_rate",
        "events",
    )
    assert rows(result, *counts) == [
        ("netA", "spring", 2, 8, 6, 0, 0, 0, 0, 0.75, 3),
        ("netB", "winback", 0, 2, 0, 0, 1, 2, 1, 0.0, 1),
        ("organic", "", 0, 0, 0, 2, 0, 0, 1, None, 2),
    ]
    assert rows(result, "revenue", "revenue_per_install") == [
        ({"USD": D("9.99"), "EUR": D("5")}, {"USD": D("1.665"), "EUR": D("0.833333")}),
        ({"USD": D("2.5")}, {"USD": D("2.5")}),
        ({"USD": D("2")}, {"USD": D("1")}),
    ]
    assert {row[0] for row in result.rows} == {APP}


def test_overview_without_filters_has_every_app_and_day(month: Month) -> None:
    result = run_report(month.client, "overview", ReportFilter())
    assert rows(result, "app_id", "media_source", "clicks", "installs", "events", "revenue") == [
        (APP, "netA", 9, 7, 4, {"USD": D("59.99"), "EUR": D("5")}),
        (APP, "netB", 2, 0, 1, {"USD": D("2.5")}),
        (APP, "organic", 0, 0, 2, {"USD": D("2")}),
        (OTHER, "netA", 1, 1, 0, {}),
    ]


def test_daily(month: Month) -> None:
    result = run_report(month.client, "daily", MARCH)
    columns = (
        "day",
        "media_source",
        "impressions",
        "clicks",
        "installs",
        "organic_installs",
        "reattributions",
        "reengagements",
        "blocked_installs",
        "events",
    )
    day = date.fromisoformat
    assert rows(result, *columns) == [
        (day("2025-03-01"), "netA", 1, 3, 2, 0, 0, 0, 0, 1),
        (day("2025-03-01"), "organic", 0, 0, 0, 1, 0, 0, 0, 0),
        (day("2025-03-02"), "netA", 1, 3, 2, 0, 0, 0, 0, 2),
        (day("2025-03-02"), "netB", 0, 1, 0, 0, 0, 0, 0, 0),
        (day("2025-03-02"), "organic", 0, 0, 0, 1, 0, 0, 0, 0),
        (day("2025-03-03"), "netB", 0, 1, 0, 0, 1, 0, 1, 0),
        (day("2025-03-03"), "organic", 0, 0, 0, 0, 0, 0, 1, 2),
        (day("2025-03-04"), "netA", 0, 2, 2, 0, 0, 0, 0, 0),
        (day("2025-03-04"), "organic", 0, 0, 0, 0, 0, 0, 0, 0),  # a reinstall counts nowhere
        (day("2025-03-05"), "netB", 0, 0, 0, 0, 0, 1, 0, 1),
        (day("2025-03-06"), "netB", 0, 0, 0, 0, 0, 1, 0, 0),
    ]
    first_day = result.rows[0]
    assert first_day[result.columns.index("conversion_rate")] == 0.6667
    assert first_day[result.columns.index("revenue_per_install")] == {"USD": D("4.995")}
    # The days add up to the overview of the month.
    overview = run_report(month.client, "overview", MARCH)
    for column in columns[2:]:
        index = result.columns.index(column)
        assert sum(row[index] for row in result.rows) == sum(
            row[overview.columns.index(column)] for row in overview.rows
        ), column


def test_retention(month: Month) -> None:
    result = run_report(month.client, "retention", MARCH)
    columns = ("install_day", "media_source", "installs", "day_1", "day_3", "day_7", "day_14")
    day = date.fromisoformat
    assert rows(result, *columns, "day_30") == [
        (day("2025-03-01"), "netA", 2, 1.0, 0.5, 0.5, 0.0, 0.0),
        (day("2025-03-01"), "organic", 1, 0.0, 0.0, 0.0, 0.0, 1.0),
        (day("2025-03-02"), "netA", 2, 0.5, 0.0, 0.5, 0.0, 0.0),
        (day("2025-03-02"), "organic", 1, 0.0, 0.0, 0.0, 0.0, 0.0),
        (day("2025-03-04"), "netA", 2, 0.0, 0.0, 0.0, 0.5, 0.0),
    ]


def test_ctit(month: Month) -> None:
    result = run_report(month.client, "ctit", MARCH)
    assert result.columns[3:11] == [
        "installs",
        "<10s",
        "10s-1m",
        "1m-10m",
        "10m-1h",
        "1h-24h",
        "1-7d",
        ">7d",
    ]
    assert [row[1:] for row in result.rows] == [
        ("netA", "site-1", 3, 1, 1, 1, 0, 0, 0, 0, 0.3333, 0.0),
        ("netA", "site-2", 2, 0, 0, 0, 0, 0, 1, 1, 0.0, 0.5),
        ("netB", "site-9", 1, 0, 0, 0, 0, 1, 0, 0, 0.0, 0.0),
    ]


def test_fraud(month: Month) -> None:
    result = run_report(month.client, "fraud", MARCH)
    assert result.rows == [
        (APP, "blocked_install", "device_blocklist", "organic", 1),
        (APP, "blocked_install", "ip_blocklist", "netB", 1),
        (APP, "rejected_touch", "click_injection", "netC", 1),
        (APP, "rejected_touch", "ctit_too_short", "netC", 2),
    ]


def test_postbacks(month: Month) -> None:
    result = run_report(month.client, "postbacks", MARCH)
    assert result.columns == [
        "app_id",
        "kind",
        "media_source",
        "host",
        "deliveries",
        "delivered",
        "failed",
        "dead",
        "pending",
        "success_rate",
        "retries",
        "p50_latency_ms",
        "p99_latency_ms",
    ]
    assert result.rows == [
        (APP, "install", "netA", "postbacks.neta.example", 5, 2, 1, 1, 1, 0.4, 7, 200, 400),
        (APP, "push", "", "push.advertiser.example", 1, 1, 0, 0, 0, 1.0, 0, 80, 80),
    ]


def _cli(month: Month, *args: str) -> str:
    settings = month.settings
    env = {
        "ATTRIB_CLICKHOUSE_URL": settings.clickhouse_url,
        "ATTRIB_CLICKHOUSE_DATABASE": settings.clickhouse_database,
    }
    outcome = CliRunner().invoke(cli, ["report", *args], env=env, catch_exceptions=False)
    assert outcome.exit_code == 0, outcome.output
    return outcome.output


def test_cli_prints_the_same_figures_as_table_csv_and_json(month: Month) -> None:
    march = ["--app", APP, "--from", "2025-03-01", "--to", "2025-03-31"]
    table = _cli(month, "fraud", *march).splitlines()
    assert table[0].split() == ["app_id", "kind", "reason", "media_source", "count"]
    assert table[-1].split() == [APP, "rejected_touch", "ctit_too_short", "netC", "2"]

    csv_lines = _cli(month, "overview", *march, "--format", "csv").splitlines()
    assert csv_lines[0].startswith("app_id,media_source,campaign,impressions,clicks,installs")
    assert csv_lines[1].startswith(f"{APP},netA,spring,2,8,6,0,0,0,0,0.75,3,")
    assert '"EUR 5.00, USD 9.99"' in csv_lines[1]

    document = json.loads(_cli(month, "overview", *march, "--format", "json"))
    first = document["rows"][0]
    assert document["report"] == "overview"
    assert (first["clicks"], first["installs"], first["conversion_rate"]) == (8, 6, 0.75)
    assert first["revenue"] == {"EUR": "5.00", "USD": "9.99"}
    assert first["revenue_per_install"] == {"EUR": "0.833333", "USD": "1.665"}
    assert document["rows"][2]["conversion_rate"] is None


def test_cli_refuses_a_range_that_ends_before_it_starts(month: Month) -> None:
    outcome = CliRunner().invoke(
        cli, ["report", "daily", "--from", "2025-03-02", "--to", "2025-03-01"]
    )
    assert outcome.exit_code == 2
    assert "is after" in outcome.output
