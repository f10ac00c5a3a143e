"""No secret reaches ClickHouse: no column for one, and none in a sample of stored rows.

The records never carry push endpoint secrets, signatures, SDK keys or full
postback URLs (their queries may hold partner tokens); this checks the
tables could not hold them by name and that a sample of every kind of row,
written the production way, holds nothing secret-looking.
"""

from __future__ import annotations

import re

import pytest
from analytics_helpers import (
    attribution,
    client_for,
    create_topics,
    delivery,
    event,
    produce,
    reengagement,
    running_sink,
    session,
    touch,
    wait_for_rows,
)

from attrib import topics
from attrib.analytics.targets import TABLES
from attrib.settings import Settings

pytestmark = pytest.mark.integration

SECRET_LOOKING = re.compile(r"secret|signature|sha256=|sdk_?key|password|token|hmac", re.I)


async def test_no_column_and_no_sample_row_looks_like_a_secret(sink_settings: Settings) -> None:
    await create_topics(sink_settings)
    push = {
        "kind": "push",
        "media_source": "",
        "endpoint": "https://push.advertiser.example/hook",
        "host": "push.advertiser.example",
        "status": "retry",
        "http_status": 401,
        "error": "HTTP 401",
    }
    sample = {
        topics.CLICKS: [touch("t1", "2025-03-01 10:00", network_click_id="nclk-1")],
        topics.IMPRESSIONS: [touch("t2", "2025-03-01 10:00", touch_type="impression")],
        topics.ATTRIBUTIONS: [attribution("a1", 1, "2025-03-01 10:01", customer_user_id="u-1")],
        topics.REENGAGEMENTS: [reengagement("r1", 1, "2025-03-05 10:00")],
        topics.SESSIONS: [session("s1", 1, "2025-03-02 10:00")],
        topics.ATTRIBUTED_EVENTS: [event("e1", 1, "2025-03-02 11:00", values={"sku": "gold"})],
        topics.POSTBACK_DELIVERIES: [
            delivery("d1", 1, "2025-03-01 10:02"),
            delivery("d2", 1, "2025-03-01 10:02", **push),
        ],
    }
    for topic, records in sample.items():
        await produce(sink_settings, topic, records)
    client = client_for(sink_settings)
    async with running_sink(sink_settings):
        for table in TABLES:
            if table != "dead_letters":
                await wait_for_rows(client, sink_settings, table, 1)

    database = sink_settings.clickhouse_database
    columns = client.query(
        "SELECT table, name FROM system.columns WHERE database = {db:String}",
        parameters={"db": database},
    ).result_rows
    assert len(columns) > 100
    assert [c for c in columns if SECRET_LOOKING.search(str(c[1]))] == []

    checked = 0
    for table in TABLES:
        result = client.query(f"SELECT * FROM `{database}`.{table} FINAL")
        for row in result.result_rows:
            for column, value in zip(result.column_names, row, strict=True):
                assert not SECRET_LOOKING.search(repr(value)), (table, column, value)
                checked += 1
    assert checked > 150
