"""Versioned DDL: created on the first start, unchanged on the second, migrated by a new version."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from analytics_helpers import client_for
from clickhouse_connect.driver.client import Client

from attrib.analytics.migrations import (
    Migration,
    MigrationError,
    Target,
    apply_migrations,
    bootstrap_statements,
    packaged_migrations,
    render,
)
from attrib.analytics.targets import TABLES
from attrib.avro import records
from attrib.avro.codec import default_codec
from attrib.settings import Settings

# The columns analytics.md names for the tables that do not take a whole record.
NAMED_COLUMNS = {
    "touches": [
        "touch_id",
        "touch_type",
        "app_id",
        "media_source",
        "campaign",
        "campaign_id",
        "adset",
        "adset_id",
        "ad",
        "ad_id",
        "site_id",
        "sub_site_id",
        "network_click_id",
        "is_retargeting",
        "touch_time",
        "received_time",
        "ip",
        "user_agent",
        "advertising_id",
        "idfa",
        "android_id",
        "oaid",
    ],
    "reengagements": [
        "reengagement_id",
        "app_id",
        "device_key",
        "session_event_id",
        "touch_id",
        "media_source",
        "campaign",
        "adset",
        "ad",
        "touch_time",
        "reengagement_time",
        "window_end",
    ],
    "sessions": [
        "event_id",
        "app_id",
        "device_key",
        "session_time",
        "received_time",
        "app_version",
    ],
    "postback_deliveries": [
        "delivery_id",
        "attempt",
        "app_id",
        "kind",
        "media_source",
        "endpoint",
        "host",
        "status",
        "http_status",
        "latency_ms",
        "attempted_at",
        "next_attempt_at",
        "error",
    ],
    "dead_letters": ["topic", "partition", "offset", "reason", "received_time", "raw"],
}
SUMMARY_TABLES = (
    "daily_summary",
    "retention_summary",
    "ctit_summary",
    "fraud_summary",
    "summary_watermarks",
)
#: The tables whose rows carry ``_inserted_at`` (the summaries' change tracking).
TRACKED = ("touches", "attributions", "reengagements", "sessions", "attributed_events")
WHOLE_RECORDS = {"attributions": records.ATTRIBUTION, "attributed_events": records.ATTRIBUTED_EVENT}


@pytest.fixture
def admin(sink_settings: Settings) -> Iterator[Client]:
    client = client_for(sink_settings)
    yield client
    client.close()


def schema_snapshot(client: Client, database: str) -> list[tuple[str, str]]:
    return [
        (str(name), str(query))
        for name, query in client.query(
            "SELECT name, create_table_query FROM system.tables WHERE database = {db:String}"
            " ORDER BY name",
            parameters={"db": database},
        ).result_rows
    ]


def columns_of(client: Client, database: str, table: str) -> list[str]:
    """The columns a table stores from its records (bookkeeping columns left out)."""
    rows = client.query(
        "SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String}"
        " AND default_kind != 'MATERIALIZED' ORDER BY position",
        parameters={"db": database, "t": table},
    ).result_rows
    return [str(row[0]) for row in rows]


@pytest.mark.integration
def test_first_start_creates_everything_and_a_second_changes_nothing(
    admin: Client, sink_settings: Settings
) -> None:
    target = Target(sink_settings.clickhouse_database)
    assert apply_migrations(admin, target) == [1, 2]
    created = schema_snapshot(admin, target.database)
    assert [name for name, _ in created] == sorted([*TABLES, *SUMMARY_TABLES, "schema_migrations"])
    ledger = admin.query(
        f"SELECT version, name FROM `{target.database}`.schema_migrations ORDER BY version"
    )
    assert ledger.result_rows == [(1, "tables"), (2, "summaries")]

    assert apply_migrations(admin, target) == []
    assert schema_snapshot(admin, target.database) == created
    assert admin.command(f"SELECT count() FROM `{target.database}`.schema_migrations") == 2


@pytest.mark.integration
def test_tables_have_exactly_the_columns_of_analytics_md(
    admin: Client, sink_settings: Settings
) -> None:
    database = sink_settings.clickhouse_database
    apply_migrations(admin, Target(database))
    for table, names in NAMED_COLUMNS.items():
        assert columns_of(admin, database, table) == names, table
    for table, record in WHOLE_RECORDS.items():
        fields = [f["name"] for f in default_codec().schema(record)["fields"]]
        assert columns_of(admin, database, table) == fields, table


@pytest.mark.integration
def test_a_new_version_is_applied_once(admin: Client, sink_settings: Settings) -> None:
    target = Target(sink_settings.clickhouse_database)
    apply_migrations(admin, target)
    note = Migration(
        3,
        "touch_note",
        "ALTER TABLE ${database}.touches ${on_cluster}"
        " ADD COLUMN IF NOT EXISTS note String DEFAULT '';",
    )
    assert apply_migrations(admin, target, [*packaged_migrations(), note]) == [3]
    assert columns_of(admin, target.database, "touches")[-1] == "note"
    assert apply_migrations(admin, target, [*packaged_migrations(), note]) == []


@pytest.mark.integration
def test_an_edited_or_unknown_version_is_refused(admin: Client, sink_settings: Settings) -> None:
    target = Target(sink_settings.clickhouse_database)
    apply_migrations(admin, target)
    first, *later = packaged_migrations()
    edited = Migration(1, first.name, first.template + "\n-- edited\n")
    with pytest.raises(MigrationError, match="never edited"):
        apply_migrations(admin, target, [edited, *later])
    with pytest.raises(MigrationError, match="does not know"):
        apply_migrations(admin, target, [])


def test_cluster_ddl_runs_on_every_node_with_replicated_tables() -> None:
    target = Target("attrib", "analytics")
    statements = bootstrap_statements(target) + render(packaged_migrations()[0], target)
    assert len(statements) == 2 + len(TABLES)
    for statement in statements:
        assert "ON CLUSTER `analytics`" in statement, statement[:80]
    tables = [s for s in statements if s.startswith("CREATE TABLE")]
    assert len(tables) == 1 + len(TABLES)
    for statement in tables:
        assert "ENGINE = ReplicatedReplacingMergeTree" in statement, statement[:80]


def test_single_server_ddl_has_neither_cluster_nor_replication() -> None:
    statements = render(packaged_migrations()[0], Target("attrib"))
    assert statements
    assert not any("ON CLUSTER" in s or "Replicated" in s for s in statements)


@pytest.mark.parametrize("name", ["attrib; DROP TABLE x", "a-b", "", "1abc"])
def test_names_that_would_need_quoting_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="must match"):
        Target(name)
    with pytest.raises(ValueError, match="must match"):
        Target("attrib", name or "x y")


@pytest.mark.integration
def test_version_2_gives_existing_rows_a_fixed_insert_time(
    admin: Client, sink_settings: Settings
) -> None:
    """Rows stored before the summaries existed get the migration's time, once."""
    target = Target(sink_settings.clickhouse_database)
    first, *_ = packaged_migrations()
    apply_migrations(admin, target, [first])
    db = f"`{target.database}`"
    admin.command(
        f"INSERT INTO {db}.touches (touch_id, touch_type, app_id, media_source, touch_time,"
        " received_time) VALUES ('t1', 'click', 'a', 'n', now64(3), now64(3))"
    )
    assert apply_migrations(admin, target) == [2]
    for table in TRACKED:
        kind = admin.command(
            "SELECT default_kind FROM system.columns WHERE database = {db:String}"
            " AND table = {t:String} AND name = '_inserted_at'",
            parameters={"db": target.database, "t": table},
        )
        assert kind == "MATERIALIZED", table
    first_read = admin.command(f"SELECT toString(_inserted_at) FROM {db}.touches")
    time.sleep(0.05)
    assert admin.command(f"SELECT toString(_inserted_at) FROM {db}.touches") == first_read
