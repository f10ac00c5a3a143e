"""The app registry on the real broker: writer versions, cache replay, tailing, bad records."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any

import pytest

from attrib.avro import codec
from attrib.config import AppConfig, validate_app_config
from attrib.kafka.client import make_producer
from attrib.local.processes import port_open
from attrib.registry import AppConfigCache, AppRegistryWriter, RegistryUnavailable
from attrib.registry.records import AppConfigVersion, encode_version
from attrib.settings import Settings

pytestmark = pytest.mark.integration

BASE: dict[str, Any] = {"platform": "android", "store_url": "https://play.example/app"}


def config(app_id: str, **fields: Any) -> AppConfig:
    return validate_app_config(app_id, {**BASE, "sdk_key": f"key-{app_id}", **fields})


async def wait_for(predicate: Any, within_s: float) -> float:
    """Seconds until ``predicate()`` held; fails after ``within_s``."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > within_s:
            pytest.fail(f"condition not met within {within_s}s")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def produce_raw(settings: Settings, topic: str, key: bytes, value: bytes) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def test_writer_versions_and_read_your_writes(
    isolated_settings: Settings, app_config_topic: str
) -> None:
    async with AppConfigCache(isolated_settings) as cache:
        writer = AppRegistryWriter(isolated_settings, cache)
        try:
            first = await writer.put(config("com.a"))
            assert first.version == 1
            assert cache.get("com.a") == first.config  # visible at once, before the tail
            second = await writer.put(config("com.a", attribution={"click_lookback": "1d"}))
            assert second.version == 2
            assert cache.version("com.a") == 2
            assert cache.get("com.a").attribution.click_lookback == "1d"
            other = await writer.put(config("com.b"))
            assert other.version == 1
            assert second.updated_time >= first.updated_time > 1_700_000_000_000
        finally:
            await writer.stop()


async def test_a_second_cache_sees_a_change_within_a_second(
    isolated_settings: Settings, app_config_topic: str
) -> None:
    async with (
        AppConfigCache(isolated_settings) as collector_cache,
        AppConfigCache(isolated_settings) as worker_cache,
    ):
        writer = AppRegistryWriter(isolated_settings, collector_cache)
        await writer.start()
        try:
            await writer.put(config("com.a"))
            await wait_for(lambda: worker_cache.get("com.a") is not None, within_s=1.0)
            await writer.put(config("com.a", fraud={"min_ctit": "30s"}))
            elapsed = await wait_for(lambda: worker_cache.version("com.a") == 2, within_s=1.0)
            assert elapsed < 1.0
            assert worker_cache.get("com.a").fraud.min_ctit_ms == 30_000
        finally:
            await writer.stop()


async def test_a_fresh_cache_replays_every_app_at_its_latest_version(
    isolated_settings: Settings, app_config_topic: str
) -> None:
    async with AppConfigCache(isolated_settings) as cache:
        writer = AppRegistryWriter(isolated_settings, cache)
        try:
            for i in range(5):
                await writer.put(config(f"com.app{i}"))
            await writer.put(config("com.app3", platform="ios"))
        finally:
            await writer.stop()
    fresh = AppConfigCache(isolated_settings)
    assert not fresh.loaded
    await fresh.start()
    try:
        assert fresh.loaded
        assert [c.app_id for c in fresh.all()] == [f"com.app{i}" for i in range(5)]
        assert fresh.version("com.app3") == 2
        assert fresh.get("com.app3").platform == "ios"
        assert fresh.get("com.app0").sdk_key == "key-com.app0"
    finally:
        await fresh.stop()


async def test_undecodable_records_are_skipped(
    isolated_settings: Settings, app_config_topic: str
) -> None:
    topic = app_config_topic
    good = AppConfigVersion(config=config("com.good"), version=1, updated_time=1)
    await produce_raw(isolated_settings, topic, b"com.junk", b"not avro at all")
    await produce_raw(isolated_settings, topic, *encode_version(good))
    # A well-formed AppConfig record whose configuration breaks the rules.
    bad_doc = {**good.config.to_json_dict(), "platform": "windows"}
    bad_value = codec.encode(
        "AppConfig",
        {"app_id": "com.good", "version": 2, "updated_time": 2, "config_json": json.dumps(bad_doc)},
    )
    await produce_raw(isolated_settings, topic, b"com.good", bad_value)
    async with AppConfigCache(isolated_settings) as cache:
        assert [c.app_id for c in cache.all()] == ["com.good"]
        assert cache.version("com.good") == 1
        # While tailing: junk is skipped and the next good record still applies.
        await produce_raw(isolated_settings, topic, b"com.good", b"\xc3\x01garbage!!")
        later = AppConfigVersion(config=config("com.later"), version=1, updated_time=3)
        await produce_raw(isolated_settings, topic, *encode_version(later))
        await wait_for(lambda: cache.get("com.later") is not None, within_s=5.0)
        assert cache.version("com.good") == 1


async def test_an_older_version_never_replaces_a_newer_one(
    isolated_settings: Settings, app_config_topic: str
) -> None:
    cache = AppConfigCache(isolated_settings)
    newer = AppConfigVersion(config=config("com.a", platform="ios"), version=3, updated_time=3)
    older = AppConfigVersion(config=config("com.a"), version=2, updated_time=2)
    assert cache.apply(newer)
    assert not cache.apply(older)
    assert cache.get("com.a").platform == "ios"


async def test_start_without_the_topic_is_refused(isolated_settings: Settings) -> None:
    cache = AppConfigCache(isolated_settings)
    with pytest.raises(RegistryUnavailable, match="does not exist"):
        await cache.start()
    assert not cache.loaded


async def test_put_without_a_broker_raises_registry_unavailable(
    isolated_settings: Settings, app_config_topic: str
) -> None:
    port = 1
    assert not port_open("127.0.0.1", port)
    nowhere = dataclasses.replace(isolated_settings, kafka_bootstrap=f"127.0.0.1:{port}")
    cache = AppConfigCache(isolated_settings)
    writer = AppRegistryWriter(nowhere, cache)
    with pytest.raises(RegistryUnavailable):
        await writer.put(config("com.a"))
    assert cache.get("com.a") is None


async def test_put_before_the_cache_loaded_is_refused(
    isolated_settings: Settings, app_config_topic: str
) -> None:
    cache = AppConfigCache(isolated_settings)
    writer = AppRegistryWriter(isolated_settings, cache)
    try:
        with pytest.raises(RegistryUnavailable, match="not loaded"):
            await writer.put(config("com.a"))
    finally:
        await writer.stop()
