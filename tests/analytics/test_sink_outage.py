"""ClickHouse away: the sink retries, commits nothing it has not written, and catches up.

A private ClickHouse endpoint (its own process and data directory) is killed
while records keep arriving, then restarted on the same directory and port.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from analytics_helpers import (
    attribution,
    client_for,
    committed_total,
    create_topics,
    final_count,
    produce,
    running_sink,
    session,
    wait_for_rows,
)
from prometheus_client import REGISTRY

from attrib import topics
from attrib.analytics.sink import Backoff, SinkService
from attrib.chserver.child import EndpointProcess
from attrib.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[EndpointProcess]:
    server = EndpointProcess(tmp_path / "clickhouse")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def unreachable_errors(table: str) -> float:
    labels = {"table": table, "reason": "unreachable"}
    return REGISTRY.get_sample_value("attrib_sink_errors_total", labels) or 0.0


async def longest_stall(seconds: float) -> float:
    """The longest the event loop kept a 10 ms sleeper waiting, over ``seconds``."""
    worst = 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        await asyncio.sleep(0.01)
        worst = max(worst, time.monotonic() - started - 0.01)
    return worst


async def test_clickhouse_down_then_back_loses_and_doubles_nothing(
    sink_settings: Settings, endpoint: EndpointProcess
) -> None:
    settings = dataclasses.replace(sink_settings, clickhouse_url=endpoint.url)
    await create_topics(settings)
    client = client_for(settings)
    before = [attribution(f"a-{i}", i, "2025-03-01 12:00") for i in range(500)]
    during = [attribution(f"a-{i}", i, "2025-03-01 12:00") for i in range(500, 1_200)]
    launches = [session(f"s-{i}", i, "2025-03-02 12:00") for i in range(50)]
    async with running_sink(settings) as service:
        await produce(settings, topics.ATTRIBUTIONS, before)
        await wait_for_rows(client, settings, "attributions", 500)
        await asyncio.sleep(0.5)  # that batch's commit

        errors = unreachable_errors("attributions")
        endpoint.kill()
        await produce(settings, topics.ATTRIBUTIONS, during)
        await produce(settings, topics.SESSIONS, launches)
        stall = await longest_stall(3.0)
        assert unreachable_errors("attributions") > errors  # it kept trying
        assert not service.check()[1].startswith("consuming")
        assert stall < 0.25  # the event loop stayed free for other work
        # Nothing past the rows ClickHouse acknowledged was committed.
        assert await committed_total(settings, service.group_id, topics.ATTRIBUTIONS) == 500
        assert await committed_total(settings, service.group_id, topics.SESSIONS) == 0

        endpoint.start()
        client = client_for(settings)
        await wait_for_rows(client, settings, "attributions", 1_200, 60)
        await wait_for_rows(client, settings, "sessions", 50, 60)
        await asyncio.sleep(1.0)
        assert service.check() == (True, "consuming")
    assert final_count(client, settings, "attributions") == 1_200
    assert final_count(client, settings, "sessions") == 50
    assert await committed_total(settings, service.group_id, topics.ATTRIBUTIONS) == 1_200


async def test_a_sink_started_while_clickhouse_is_down_waits_for_it(
    sink_settings: Settings, endpoint: EndpointProcess
) -> None:
    settings = dataclasses.replace(sink_settings, clickhouse_url=endpoint.url)
    await create_topics(settings)
    await produce(settings, topics.ATTRIBUTIONS, [attribution("a-1", 1, "2025-03-01 12:00")])
    endpoint.kill()
    service = SinkService(settings, backoff=Backoff(first=0.1, cap=0.5))
    await service.start()
    try:
        await asyncio.sleep(2.0)
        ready, state = service.check()
        assert not ready
        assert "schema" in state
        endpoint.start()
        await service.wait_ready(30)
        await wait_for_rows(client_for(settings), settings, "attributions", 1, 30)
    finally:
        await service.stop()
