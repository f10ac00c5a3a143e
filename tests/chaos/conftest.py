"""Fixtures of the chaos suite: one test's topics and ClickHouse database, removed afterwards."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from attrib.analytics import clickhouse
from attrib.kafka.client import security_kwargs
from attrib.settings import Settings
from tests.conftest import keep_prefixes
from tests.topics import delete_topics


async def _own_topics(settings: Settings) -> list[str]:
    admin = AIOKafkaAdminClient(**security_kwargs(settings))
    await admin.start()
    try:
        names = await admin.list_topics()
    finally:
        await admin.close()
    prefixes = (settings.topic_prefix, f"{settings.faust_app_id}-")
    return sorted(name for name in names if name.startswith(prefixes))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"chaos_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "chaos_call", None)
    return bool(report is not None and report.failed)


@pytest.fixture
async def chaos_settings(
    isolated_settings: Settings, clickhouse_up: Settings, request: pytest.FixtureRequest
) -> AsyncIterator[Settings]:
    """Isolated settings with a ClickHouse database of the test's own; both removed after."""
    database = "test_" + isolated_settings.topic_prefix.strip(".")
    settings = dataclasses.replace(
        isolated_settings, clickhouse_database=database, topic_partitions=4
    )
    yield settings
    if os.environ.get("CHAOS_KEEP_FAILED") == "1" and _failed(request):
        # The evidence of a failed run (finding 5 needs the topics' offsets): kept,
        # and spared by the session's cleanup of test topics (tests/conftest.py).
        keep_prefixes(settings.topic_prefix, f"{settings.faust_app_id}-")
        print(f"\nchaos: kept topics {settings.topic_prefix}* and database {database}")
        return
    await delete_topics(settings, await _own_topics(settings))
    client = clickhouse.connect(settings, database="")
    try:
        client.command(f"DROP DATABASE IF EXISTS `{database}`")
        client.command(f"DROP DATABASE IF EXISTS `{database}_ref`")
    finally:
        client.close()
