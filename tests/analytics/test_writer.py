"""One table's write: good values stored, each bad one found and returned, none dropped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from analytics_helpers import client_for, touch
from clickhouse_connect.driver.client import Client

from attrib.analytics import clickhouse
from attrib.analytics.migrations import Target, apply_migrations
from attrib.analytics.targets import TARGETS, TOUCHES
from attrib.analytics.writer import MadeValue, TableWriter
from attrib.avro import records
from attrib.avro.codec import default_codec
from attrib.settings import Settings

pytestmark = pytest.mark.integration

CODEC = default_codec()


@pytest.fixture
def table_client(sink_settings: Settings) -> Iterator[Client]:
    admin = client_for(sink_settings)
    apply_migrations(admin, Target(sink_settings.clickhouse_database))
    admin.close()
    client = clickhouse.connect(sink_settings)
    yield client
    client.close()


def value_at(offset: int, data: bytes) -> MadeValue:
    return MadeValue("attrib.clicks", 0, offset, 1_740_000_000_000, None, data)


def touch_value(n: int) -> bytes:
    return CODEC.encode(records.TOUCH, touch(f"t{n}", "2025-03-01 10:00"))


def bad_boolean() -> bytes:
    """A touch whose is_retargeting byte is 2: Python's decoder reads True, ClickHouse refuses."""
    plain = touch_value(99)
    flipped = CODEC.encode(records.TOUCH, touch("t99", "2025-03-01 10:00", is_retargeting=True))
    [position] = [i for i, (a, b) in enumerate(zip(plain, flipped, strict=True)) if a != b]
    data = bytearray(plain)
    data[position] = 2
    return bytes(data)


def test_corrupt_and_refused_values_are_isolated_and_the_rest_written(
    table_client: Client,
) -> None:
    good = [value_at(n, touch_value(n)) for n in range(6)]
    truncated = value_at(100, touch_value(100)[:40])
    refused = value_at(101, bad_boolean())
    group = [*good[:3], truncated, *good[3:5], refused, good[5]]
    fingerprint = good[0].value[2:10]

    result = TableWriter(TARGETS[TOUCHES], CODEC).write(table_client, {fingerprint: group})

    assert result.rows == 6
    rejected = {r.source.offset: r.reason for r in result.rejected}
    assert rejected == {100: "corrupt_body", 101: "clickhouse_rejected"}
    stored = table_client.query("SELECT touch_id FROM touches FINAL ORDER BY touch_id")
    assert [row[0] for row in stored.result_rows] == [f"t{n}" for n in range(6)]


def test_a_clean_group_is_one_insert(table_client: Client) -> None:
    group = [value_at(n, touch_value(n)) for n in range(50)]
    writer = TableWriter(TARGETS[TOUCHES], CODEC)
    result = writer.write(table_client, {group[0].value[2:10]: group})
    assert (result.rows, result.rejected) == (50, [])
    parts = table_client.command(
        "SELECT count() FROM system.parts WHERE database = currentDatabase()"
        " AND table = 'touches' AND active"
    )
    assert parts == 1
