"""Fixtures of the web tests: an isolated registry on the real broker and a test client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from attrib.kafka.client import ensure_topics
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.topics import APP_CONFIG, topic_specs
from attrib.web.app import create_app
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


@pytest.fixture
async def registry(
    isolated_settings: Settings, app_config_topic: str
) -> AsyncIterator[tuple[AppConfigCache, AppRegistryWriter]]:
    """A loaded configuration cache and a started writer on the real broker."""
    cache = AppConfigCache(isolated_settings)
    writer = AppRegistryWriter(isolated_settings, cache)
    await cache.start()
    await writer.start()
    yield cache, writer
    await writer.stop()
    await cache.stop()


@pytest.fixture
async def client(
    isolated_settings: Settings, registry: tuple[AppConfigCache, AppRegistryWriter]
) -> AsyncIterator[TestClient]:
    """An HTTP client of the collector's web application (admin token: test-admin-token)."""
    cache, writer = registry
    app = create_app(isolated_settings, cache=cache, writer=writer)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
