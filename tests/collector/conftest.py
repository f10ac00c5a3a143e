"""Fixtures of the collector tests: registered apps on the real broker, a client, a topic reader.

Each test has its own topic prefix (``isolated_settings``); its input and
app-config topics are created here and deleted afterwards.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import TopicPartition

from attrib.avro.codec import decode
from attrib.collector.context import PRODUCER
from attrib.config import AppConfig, validate_app_config
from attrib.kafka.client import ensure_topics, make_consumer
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.topics import APP_CONFIG, INPUTS, topic_specs
from attrib.web.app import create_app
from tests.topics import delete_topics

ANDROID_APP = "com.example.game"
IOS_APP = "com.example.ios"
ANDROID_STORE = "https://play.google.com/store/apps/details?id=com.example.game"
IOS_STORE = "https://apps.apple.com/app/id1234567890"
SDK_KEY = "sdk-key-android-0123456789"
IOS_SDK_KEY = "sdk-key-ios-0123456789"


@dataclasses.dataclass(frozen=True)
class Landed:
    """One record read back from a topic: where it landed and what it says."""

    topic: str
    partition: int
    key: bytes | None
    value: dict[str, Any]


class TopicReader:
    """Reads the records of this test's topics from the beginning (no consumer group)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def read(self, short: str, count: int, within_s: float = 10.0) -> list[Landed]:
        """The first ``count`` records of topic ``short``; fails if fewer arrive in time."""
        topic = self.settings.topic(short)
        consumer = make_consumer(self.settings, group_id=None)
        await consumer.start()
        try:
            deadline = time.monotonic() + within_s
            tps = [TopicPartition(topic, p) for p in range(self.settings.topic_partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            found: list[Landed] = []
            while len(found) < count and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=200)
                for tp, records in batch.items():
                    found.extend(
                        Landed(tp.topic, tp.partition, r.key, decode(r.value)) for r in records
                    )
            assert len(found) >= count, f"{len(found)} of {count} records on {topic}"
            return found
        finally:
            await consumer.stop()

    async def one(self, short: str) -> Landed:
        (landed,) = await self.read(short, 1)
        return landed


@pytest.fixture
async def collector_topics(isolated_settings: Settings) -> AsyncIterator[list[str]]:
    """This test's app-config and input topics; deleted afterwards."""
    names = {isolated_settings.topic(short) for short in (APP_CONFIG, *INPUTS)}
    specs = [spec for spec in topic_specs(isolated_settings) if spec.name in names]
    await ensure_topics(isolated_settings, specs)
    yield sorted(names)
    await delete_topics(isolated_settings, sorted(names))


async def register_apps(writer: AppRegistryWriter) -> dict[str, AppConfig]:
    """The Android and iOS test apps, stored through the real registry writer."""
    configs = {
        ANDROID_APP: validate_app_config(
            ANDROID_APP, {"platform": "android", "store_url": ANDROID_STORE, "sdk_key": SDK_KEY}
        ),
        IOS_APP: validate_app_config(
            IOS_APP, {"platform": "ios", "store_url": IOS_STORE, "sdk_key": IOS_SDK_KEY}
        ),
    }
    for config in configs.values():
        await writer.put(config)
    return configs


ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def make_client(
    isolated_settings: Settings, collector_topics: list[str]
) -> AsyncIterator[ClientFactory]:
    """Build a connected collector client, optionally with other settings (trust rules)."""
    opened: list[tuple[TestClient, AppConfigCache, AppRegistryWriter]] = []

    async def factory(**overrides: Any) -> TestClient:
        settings = dataclasses.replace(isolated_settings, **overrides)
        cache = AppConfigCache(settings)
        writer = AppRegistryWriter(settings, cache)
        await cache.start()
        await writer.start()
        if not cache.get(ANDROID_APP):
            await register_apps(writer)
        client = TestClient(TestServer(create_app(settings, cache=cache, writer=writer)))
        await client.start_server()
        opened.append((client, cache, writer))
        await asyncio.wait_for(client.app[PRODUCER].wait_connected(), 20)
        return client

    yield factory
    for client, cache, writer in opened:
        await client.close()
        await writer.stop()
        await cache.stop()


@pytest.fixture
async def client(make_client: ClientFactory) -> TestClient:
    """A collector client with the default trust rules (loopback is a trusted S2S peer)."""
    return await make_client()


@pytest.fixture
def reader(isolated_settings: Settings) -> TopicReader:
    return TopicReader(isolated_settings)
