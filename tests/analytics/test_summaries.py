"""The day summaries: the reports that read them equal the same reports over the tables.

``raw_reports/`` holds those reports as they were before the summaries
(aggregating the tables with FINAL): the oracle. (Its retention groups a
cohort's installs by app and attribution id, as the summary does: the demo's
ids repeat across apps.) Both run on the demo
scenario of two apps, then again after re-made decisions (a media source
changed, a blocked install no longer blocked), a replay of every session and
late sessions that change retention.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from attrib.analytics import clickhouse
from attrib.analytics.migrations import Target, apply_migrations
from attrib.analytics.report import SUMMARY_REPORTS, ReportFilter, run_report
from attrib.analytics.summaries import refreshing as refresh_module
from attrib.analytics.summaries.refresher import SummaryRefresher
from attrib.dashboard.demo_rows import insert_demo
from attrib.settings import Settings

pytestmark = pytest.mark.integration

RAW = Path(__file__).parent / "raw_reports"
NOW_MS = int(datetime.now(UTC).timestamp() * 1000)
TODAY = datetime.now(UTC).date()


@pytest.fixture
def client(sink_settings: Settings) -> Iterator[Client]:
    admin = clickhouse.connect(sink_settings, database="")
    apply_migrations(admin, Target(sink_settings.clickhouse_database))
    admin.close()
    client = clickhouse.connect(sink_settings)
    yield client
    client.close()


def raw(client: Client, name: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
    sql = (RAW / f"{name}.sql").read_text()
    return [tuple(row) for row in client.query(sql, parameters=parameters).result_rows]


def assert_reports_equal_the_tables(client: Client) -> None:
    filters = [
        ReportFilter(),
        ReportFilter(app="app-a"),
        ReportFilter(app="app-b", date_from=TODAY - timedelta(days=10), date_to=TODAY),
    ]
    for name in sorted(SUMMARY_REPORTS):
        for f in filters:
            got = run_report(client, name, f).rows
            expected = raw(client, name, f.parameters())
            assert got == expected, (name, f)
            assert got or name == "fraud", (name, f)  # the demo has rows for each


def test_summary_reports_equal_the_tables_through_redecisions_replays_and_late_sessions(
    client: Client,
) -> None:
    insert_demo(client, "app-a", NOW_MS)
    insert_demo(client, "app-b", NOW_MS, seed=3)
    assert_reports_equal_the_tables(client)
    assert client.command("SELECT count() FROM fraud_summary WHERE kind != ''") > 0

    # re-made decisions: five installs won by another source, one blocked install released
    client.command(
        "INSERT INTO attributions SELECT * REPLACE ('moved_int' AS media_source,"
        " decided_time + toIntervalSecond(1) AS decided_time) FROM attributions FINAL"
        " WHERE app_id = 'app-a' AND conversion_type = 'install' ORDER BY attribution_id LIMIT 5"
    )
    client.command(
        "INSERT INTO attributions SELECT * REPLACE ('install' AS conversion_type,"
        " 'non_organic' AS status, CAST(NULL, 'Nullable(String)') AS blocked_reason,"
        " decided_time + toIntervalSecond(1) AS decided_time) FROM attributions FINAL"
        " WHERE app_id = 'app-a' AND conversion_type = 'blocked'"
    )
    assert_reports_equal_the_tables(client)

    # a replay of every session (duplicates), and late sessions: every app-a install's
    # device comes back on its install day + 3
    client.command("INSERT INTO sessions SELECT * FROM sessions")
    client.command(
        "INSERT INTO sessions SELECT * REPLACE ('late-' || event_id AS event_id,"
        " session_time + toIntervalDay(3) AS session_time) FROM sessions FINAL"
        " WHERE app_id = 'app-a'"
    )
    assert_reports_equal_the_tables(client)


def test_a_refresh_recomputes_the_keys_written_since_the_last(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresh_module, "VISIBILITY_LAG", timedelta(0))
    touch = (
        "INSERT INTO touches (touch_id, touch_type, app_id, media_source, touch_time,"
        " received_time) VALUES ({id:String}, 'click', 'app-a', 'net', {at:DateTime64(3)},"
        " {at:DateTime64(3)})"
    )
    day_1 = datetime(2026, 3, 1, 12, tzinfo=UTC)
    client.command(touch, parameters={"id": "t1", "at": day_1})
    first = refresh_module.refresh(client)
    assert first.keys == {"daily": 1}
    again = refresh_module.refresh(client)
    assert again.keys == {}
    client.command(touch, parameters={"id": "t2", "at": day_1 + timedelta(days=1)})
    client.command(
        "INSERT INTO sessions (event_id, app_id, device_key, session_time, received_time)"
        " VALUES ('s1', 'app-a', 'idfa:x', {at:DateTime64(3)}, {at:DateTime64(3)})",
        parameters={"at": day_1},
    )
    later = refresh_module.refresh(client)
    assert later.keys == {"daily": 1, "retention": 5}  # the cohorts 1, 3, 7, 14, 30 days before
    clicks = client.command(
        "SELECT sum(clicks) FROM daily_summary WHERE app_id = 'app-a' AND day = '2026-03-02'"
    )
    assert clicks == 1


def test_the_sinks_refresher_writes_the_summaries(client: Client, sink_settings: Settings) -> None:
    insert_demo(client, "app-a", NOW_MS)
    assert client.command("SELECT count() FROM daily_summary") == 0
    refresher = SummaryRefresher(lambda: clickhouse.connect(sink_settings), interval=0.05)
    stopping = asyncio.Event()

    async def run_briefly() -> None:
        task = asyncio.create_task(refresher.run(stopping))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if client.command("SELECT count() FROM daily_summary") > 0:
                break
        stopping.set()
        await task

    asyncio.run(run_briefly())
    assert client.command("SELECT count() FROM daily_summary") > 0
    assert client.command("SELECT count() FROM retention_summary WHERE installs > 0") > 0
