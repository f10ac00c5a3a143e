"""Fixtures of the chaos suite: one test's topics and ClickHouse database, removed afterwards."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from attrib.analytics import clickhouse
from attrib.kafka.client import security_kwargs
from attrib.settings import Settings
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


@pytest.fixture
async def chaos_settings(
    isolated_settings: Settings, clickhouse_up: Settings
) -> AsyncIterator[Settings]:
    """Isolated settings with a ClickHouse database of the test's own; both removed after."""
    database = "test_" + isolated_settings.topic_prefix.strip(".")
    settings = dataclasses.replace(
        isolated_settings, clickhouse_database=database, topic_partitions=4
    )
    yield settings
    await delete_topics(settings, await _own_topics(settings))
    client = clickhouse.connect(settings, database="")
    try:
        client.command(f"DROP DATABASE IF EXISTS `{database}`")
        client.command(f"DROP DATABASE IF EXISTS `{database}_ref`")
    finally:
        client.close()
