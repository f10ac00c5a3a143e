"""``attrib export installs`` from ClickHouse's attributions table gives the archive's row."""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from attrib.analytics.clickhouse import connect
from attrib.analytics.migrations import Target, apply_migrations
from attrib.cli.export import export
from attrib.export.appsflyer import COLUMNS, row
from tests.export.test_appsflyer import ATTRIBUTION

pytestmark = pytest.mark.integration


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def test_a_clickhouse_row_exports_like_the_avro_record(clickhouse_up) -> None:
    database = f"export_test_{uuid.uuid4().hex[:8]}"
    settings = dataclasses.replace(clickhouse_up, clickhouse_database=database)
    client = connect(settings, database="")
    try:
        apply_migrations(client, Target(database))
        stored = {
            **ATTRIBUTION,
            "install_time": _at(ATTRIBUTION["install_time"]),
            "received_time": _at(ATTRIBUTION["install_time"]),
            "decided_time": _at(ATTRIBUTION["install_time"] + 1_000),
            "touch_time": _at(ATTRIBUTION["touch_time"]),
            "ctit_seconds": 600,
            "contributors": [
                (
                    c["touch_id"],
                    c["touch_type"],
                    _at(c["touch_time"]),
                    c["media_source"],
                    c["campaign"],
                    c["match_type"],
                )
                for c in ATTRIBUTION["contributors"]
            ],
            "rejected_touches": [],
        }
        columns = list(stored)
        client.insert(
            f"{database}.attributions", [[stored[c] for c in columns]], column_names=columns
        )
        result = CliRunner().invoke(
            export,
            [
                "installs",
                "--app",
                ATTRIBUTION["app_id"],
                "--from",
                "2026-09-21",
                "--to",
                "2026-09-21",
            ],
            env={
                "ATTRIB_CLICKHOUSE_URL": settings.clickhouse_url,
                "ATTRIB_CLICKHOUSE_DATABASE": database,
            },
        )
        assert result.exit_code == 0, result.output
        [exported] = list(csv.reader(io.StringIO(result.stdout)))[1:]
        assert dict(zip(COLUMNS, exported, strict=True)) == dict(
            zip(COLUMNS, row(ATTRIBUTION), strict=True)
        )
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database}")
        client.close()
