"""Fixtures of the registry tests: the app-config topic of an isolated deployment."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from attrib.kafka.client import ensure_topics
from attrib.settings import Settings
from attrib.topics import APP_CONFIG, topic_specs
from tests.topics import delete_topics


@pytest.fixture
async def app_config_topic(isolated_settings: Settings) -> AsyncIterator[str]:
    """Create this test's app-config topic; delete it afterwards."""
    name = isolated_settings.topic(APP_CONFIG)
    await ensure_topics(
        isolated_settings, [s for s in topic_specs(isolated_settings) if s.name == name]
    )
    yield name
    await delete_topics(isolated_settings, [name])
