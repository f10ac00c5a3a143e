"""A sink worker killed mid-stream (SIGKILL, repeatedly) loses nothing and doubles nothing.

``attrib sink`` runs as a subprocess while attributions keep arriving; it is
killed three times, at a quarter, half and three quarters of the stream, and
restarted each time. Kafka then replays whatever was read but not committed,
some of which was already in ClickHouse: the table and the reports must
still count every install exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from analytics_helpers import (
    APP,
    attribution,
    client_for,
    committed_total,
    create_topics,
    final_count,
    produce,
    produce_together,
    raw_count,
    session,
    sink_env,
    wait_for_raw_rows,
    wait_for_rows,
    wait_for_schema,
)

from attrib import topics
from attrib.analytics import clickhouse
from attrib.analytics.migrations import Target, packaged_migrations, render
from attrib.analytics.report import ReportFilter, run_report
from attrib.settings import Settings

pytestmark = pytest.mark.integration

TOTAL = 40_000
CHUNK = 1_000


def start_sink(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "attrib.cli", "sink"],
            env=sink_env(settings),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def produce_slowly(settings: Settings) -> None:
    """TOTAL installs in chunks, about 10,000 a second: the sink works in many batches."""
    for start in range(0, TOTAL, CHUNK):
        chunk = [attribution(f"a-{i}", i, "2025-03-01 12:00") for i in range(start, start + CHUNK)]
        await produce(settings, topics.ATTRIBUTIONS, chunk, key=None)
        await asyncio.sleep(0.1)


async def test_sigkill_mid_stream_then_restart_counts_every_install_once(
    sink_settings: Settings, tmp_path: Path
) -> None:
    await create_topics(sink_settings)
    client = client_for(sink_settings)
    log = tmp_path / "sink.log"
    sink = start_sink(sink_settings, log)
    producing = asyncio.create_task(produce_slowly(sink_settings))
    kills = 0
    try:
        for share in (0.25, 0.5, 0.75):
            await wait_for_rows(client, sink_settings, "attributions", int(TOTAL * share), 120)
            sink.send_signal(signal.SIGKILL)
            sink.wait(10)
            kills += 1
            sink = start_sink(sink_settings, log)
        await producing
        await wait_for_rows(client, sink_settings, "attributions", TOTAL, 120)
        await asyncio.sleep(1.5)  # a late duplicate would have landed by now
    finally:
        producing.cancel()
        sink.terminate()
        sink.wait(30)

    assert kills == 3
    assert final_count(client, sink_settings, "attributions") == TOTAL
    assert raw_count(client, sink_settings, "attributions") >= TOTAL
    reader = clickhouse.connect(sink_settings)
    try:
        overview = run_report(reader, "overview", ReportFilter(APP, date(2025, 3, 1)))
    finally:
        reader.close()
    installs = overview.columns.index("installs")
    assert [row[installs] for row in overview.rows] == [TOTAL]
    assert "Traceback" not in log.read_text()


async def test_killed_after_writing_part_of_a_batch_the_replay_is_counted_once(
    sink_settings: Settings, tmp_path: Path
) -> None:
    """Deterministic: attributions are written, sessions cannot be, then SIGKILL.

    With the sessions table missing, the sink writes a batch's attributions,
    retries its sessions and never commits; killed then, its successor reads
    the whole batch again and writes the attributions a second time.
    """
    await create_topics(sink_settings)
    client = client_for(sink_settings)
    db = f"`{sink_settings.clickhouse_database}`"
    log = tmp_path / "sink.log"
    sink = start_sink(sink_settings, log)
    try:
        await wait_for_schema(client, sink_settings, 60)
        client.command(f"SYSTEM STOP MERGES {db}.attributions")
        target = Target(sink_settings.clickhouse_database)
        sessions_ddl = [  # the table as every migration left it
            statement
            for migration in packaged_migrations()
            for statement in render(migration, target)
            if ".sessions " in statement
        ]
        client.command(f"DROP TABLE {db}.sessions")

        installs = [attribution(f"a-{i}", i, "2025-03-01 12:00") for i in range(5_000)]
        launches = [session(f"s-{i}", i, "2025-03-02 12:00") for i in range(100)]
        await produce_together(
            sink_settings, {topics.ATTRIBUTIONS: installs, topics.SESSIONS: launches}
        )
        await wait_for_raw_rows(client, sink_settings, "attributions", 5_000)
        await asyncio.sleep(1.0)  # retrying the sessions, committing nothing
        assert (
            await committed_total(
                sink_settings, f"{sink_settings.faust_app_id}-sink", "attributions"
            )
            == 0
        )
        sink.send_signal(signal.SIGKILL)
        sink.wait(10)

        for statement in sessions_ddl:
            client.command(statement)
        sink = start_sink(sink_settings, log)
        await wait_for_rows(client, sink_settings, "sessions", 100, 60)
        await wait_for_raw_rows(client, sink_settings, "attributions", 10_000)
    finally:
        sink.terminate()
        sink.wait(30)

    assert raw_count(client, sink_settings, "attributions") == 10_000  # written twice
    assert final_count(client, sink_settings, "attributions") == 5_000  # counted once
    assert final_count(client, sink_settings, "sessions") == 100
    reader = clickhouse.connect(sink_settings)
    try:
        overview = run_report(reader, "overview", ReportFilter(APP))
    finally:
        reader.close()
    assert [row[overview.columns.index("installs")] for row in overview.rows] == [5_000]


async def test_sigterm_writes_the_batch_in_hand_and_exits_cleanly(
    sink_settings: Settings, tmp_path: Path
) -> None:
    await create_topics(sink_settings)
    client = client_for(sink_settings)
    log = tmp_path / "sink.log"
    sink = start_sink(sink_settings, log)
    try:
        installs = [attribution(f"a-{i}", i, "2025-03-01 12:00") for i in range(2_000)]
        await produce(sink_settings, topics.ATTRIBUTIONS, installs)
        await wait_for_rows(client, sink_settings, "attributions", 2_000, 60)
        sink.send_signal(signal.SIGTERM)
        assert sink.wait(30) == 0
    finally:
        if sink.poll() is None:
            sink.kill()
    group = f"{sink_settings.faust_app_id}-sink"
    assert await committed_total(sink_settings, group, topics.ATTRIBUTIONS) == 2_000
    assert "Traceback" not in log.read_text()


def test_migrate_only_creates_the_schema_and_exits(sink_settings: Settings) -> None:
    env = sink_env(sink_settings)
    done = subprocess.run(
        [sys.executable, "-m", "attrib.cli", "sink", "--migrate-only"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "applied [1, 2]" in done.stdout
    again = subprocess.run(
        [sys.executable, "-m", "attrib.cli", "sink", "--migrate-only"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "applied nothing" in again.stdout
    client = client_for(sink_settings)
    assert final_count(client, sink_settings, "attributions") == 0
