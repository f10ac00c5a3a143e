"""The sink end to end: a row per record, bad values dead-lettered, bounded batches, fresh rows."""

from __future__ import annotations

import time

import pytest
from analytics_helpers import (
    attribution,
    client_for,
    create_topics,
    final_count,
    ms,
    produce,
    produce_raw,
    running_sink,
    session,
    touch,
    wait_for_rows,
)
from prometheus_client import REGISTRY

from attrib import topics
from attrib.avro import records
from attrib.avro.codec import encode
from attrib.settings import Settings

pytestmark = pytest.mark.integration


def batches_so_far() -> float:
    return REGISTRY.get_sample_value("attrib_sink_batch_seconds_count") or 0.0


def dead_letter_errors() -> float:
    labels = {"table": "dead_letters", "reason": "bad_marker"}
    return REGISTRY.get_sample_value("attrib_sink_errors_total", labels) or 0.0


async def test_records_become_rows_and_bad_values_become_dead_letters(
    sink_settings: Settings,
) -> None:
    await create_topics(sink_settings)
    good = [attribution(f"a-{i}", i, "2025-03-01 12:00") for i in range(1000)]
    await produce(sink_settings, topics.ATTRIBUTIONS, good)
    a_session_on_the_wrong_topic = encode(records.SESSION, session("s-1", 1, "2025-03-01 12:00"))
    bad = [b'{"not": "avro"}', b"\xc3\x01" + b"\x00" * 8, a_session_on_the_wrong_topic]
    await produce_raw(sink_settings, topics.ATTRIBUTIONS, bad)
    await produce_raw(sink_settings, topics.DEAD_LETTER, [b"a dead letter that is not one"])
    client = client_for(sink_settings)
    errors_before = dead_letter_errors()
    async with running_sink(sink_settings):
        await wait_for_rows(client, sink_settings, "attributions", 1000)
        await wait_for_rows(client, sink_settings, "dead_letters", 3)
    db = sink_settings.clickhouse_database
    stored = client.query(
        f"SELECT topic, offset, reason, length(raw) FROM `{db}`.dead_letters FINAL ORDER BY offset"
    )
    attributions = sink_settings.topic(topics.ATTRIBUTIONS)
    assert stored.result_rows == [
        (attributions, 1000, "bad_marker", len(bad[0])),
        (attributions, 1001, "unknown_schema", len(bad[1])),
        (attributions, 1002, "unexpected_record", len(bad[2])),
    ]  # the bad value on the dead-letter topic itself is only counted and logged
    assert final_count(client, sink_settings, "attributions") == 1000
    assert dead_letter_errors() - errors_before == 1.0


async def test_batches_hold_at_most_max_batch_rows(sink_settings: Settings) -> None:
    await create_topics(sink_settings)
    launches = [session(f"s-{i}", i, "2025-03-02 12:00") for i in range(5_000)]
    await produce(sink_settings, topics.SESSIONS, launches)
    before = batches_so_far()
    client = client_for(sink_settings)
    async with running_sink(sink_settings, max_batch_rows=1_000):
        await wait_for_rows(client, sink_settings, "sessions", 5_000)
    assert batches_so_far() - before >= 5
    rows = REGISTRY.get_sample_value("attrib_sink_rows_total", {"table": "sessions"})
    assert rows is not None
    assert rows >= 5_000


async def test_a_record_is_queryable_within_five_seconds(sink_settings: Settings) -> None:
    await create_topics(sink_settings)
    client = client_for(sink_settings)
    async with running_sink(sink_settings):
        await wait_for_rows(client, sink_settings, "attributions", 0)
        for n in range(3):
            produced = time.monotonic()
            await produce(
                sink_settings, topics.ATTRIBUTIONS, [attribution(f"a{n}", n, "2025-03-01 12:00")]
            )
            await wait_for_rows(client, sink_settings, "attributions", n + 1, 10)
            assert time.monotonic() - produced < 5.0


def skipped(table: str, reason: str) -> float:
    labels = {"table": table, "reason": reason}
    return REGISTRY.get_sample_value("attrib_sink_skipped_total", labels) or 0.0


async def test_touches_and_sessions_the_worker_refuses_are_not_stored(
    sink_settings: Settings,
) -> None:
    """Issue 18: reports count only accepted touches (attrib.admission, shared with the intake)."""
    await create_topics(sink_settings)
    at = "2025-03-03 12:00"
    far_future = {"received_time": ms(at) - 11 * 60_000}  # R3: more than 10 min ahead
    await produce(
        sink_settings,
        topics.CLICKS,
        [
            touch("t-ok", at),
            touch("t-future", at, **far_future),
            touch("t-unknown", at, app_id="com.example.unregistered"),
            touch("t-last", at),
        ],
    )
    await produce(
        sink_settings,
        topics.SESSIONS,
        [
            session("s-ok", 1, at),
            session("s-old", 2, at, received_time=ms(at) + 401 * 86_400_000),
            session("s-unknown", 3, at, app_id="com.example.unregistered"),
        ],
    )
    before = {
        reason: skipped("touches", reason) + skipped("sessions", reason)
        for reason in ("invalid_time", "unknown_app")
    }
    client = client_for(sink_settings)
    async with running_sink(sink_settings):
        await wait_for_rows(client, sink_settings, "touches", 2)
        await wait_for_rows(client, sink_settings, "sessions", 1)
    db = sink_settings.clickhouse_database
    touch_ids = client.query(f"SELECT touch_id FROM `{db}`.touches FINAL ORDER BY touch_id")
    assert [row[0] for row in touch_ids.result_rows] == ["t-last", "t-ok"]
    session_ids = client.query(f"SELECT event_id FROM `{db}`.sessions FINAL")
    assert [row[0] for row in session_ids.result_rows] == ["s-ok"]
    after = {
        reason: skipped("touches", reason) + skipped("sessions", reason)
        for reason in ("invalid_time", "unknown_app")
    }
    assert {reason: after[reason] - before[reason] for reason in after} == {
        "invalid_time": 2.0,
        "unknown_app": 2.0,
    }
