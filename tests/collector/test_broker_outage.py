"""Broker down: 503 with Retry-After in bounded time, nothing hangs, and recovery when it returns.

Runs its own single-node Kafka broker (attrib.local.kafka) on free ports so
that stopping it cannot disturb other tests. The jars of the local stack are
reused when present; otherwise the first start fetches them with Maven.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from attrib.collector.context import PRODUCER
from attrib.collector.metrics import PRODUCE_ERRORS
from attrib.collector.producer import PRODUCE_TIMEOUT_S
from attrib.kafka.client import ensure_topics
from attrib.local.kafka import KafkaBroker
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.topics import APP_CONFIG, INPUTS, topic_specs
from attrib.web.app import create_app
from tests.engine.harness import two_free_ports

from .conftest import ANDROID_APP, SDK_KEY, TopicReader, register_apps

pytestmark = pytest.mark.integration

KEY = {"X-Attrib-Key": SDK_KEY}
GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"
STACK_LIBS = Path(__file__).resolve().parents[2] / ".attrib" / "kafka"


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    broker = KafkaBroker(root=tmp_path / "kafka", port=two_free_ports())
    broker.root.mkdir(parents=True)
    stack_libs = STACK_LIBS / broker.libs.name
    if stack_libs.is_dir():
        broker.libs.symlink_to(stack_libs, target_is_directory=True)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


async def wait_for_topics(settings: Settings, within_s: float = 90.0) -> None:
    names = {settings.topic(short) for short in (APP_CONFIG, *INPUTS)}
    specs = [spec for spec in topic_specs(settings) if spec.name in names]
    deadline = time.monotonic() + within_s
    while True:
        try:
            await ensure_topics(settings, specs)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)


@pytest.fixture
async def outage_client(
    isolated_settings: Settings, private_broker: KafkaBroker
) -> AsyncIterator[tuple[TestClient, Settings]]:
    settings = dataclasses.replace(
        isolated_settings, kafka_bootstrap=private_broker.bootstrap, broker_unreachable_grace="3s"
    )
    await wait_for_topics(settings)
    cache = AppConfigCache(settings)
    writer = AppRegistryWriter(settings, cache)
    await cache.start()
    await writer.start()
    await register_apps(writer)
    client = TestClient(TestServer(create_app(settings, cache=cache, writer=writer)))
    await client.start_server()
    await asyncio.wait_for(client.app[PRODUCER].wait_connected(), 30)
    try:
        yield client, settings
    finally:
        await client.close()
        await writer.stop()
        await cache.stop()


def install(event_id: str) -> dict[str, object]:
    return {"event_id": event_id, "device": {"advertising_id": GAID}}


def errors_counted(topic: str) -> float:
    return sum(
        PRODUCE_ERRORS.labels(topic, reason)._value.get()
        for reason in ("timeout", "kafka_error", "not_connected")
    )


async def test_broker_down_is_503_with_retry_after_and_the_collector_recovers(
    outage_client: tuple[TestClient, Settings], private_broker: KafkaBroker
) -> None:
    client, settings = outage_client
    path = f"/v1/sdk/{ANDROID_APP}/install"
    response = await client.post(path, json=install("before"), headers=KEY)
    assert response.status == 202

    await asyncio.to_thread(private_broker.stop)
    errors_before = errors_counted("installs")
    started = time.monotonic()
    answers = await asyncio.gather(
        client.post(path, json=install("during-1"), headers=KEY),
        client.post(path, json=install("during-2"), headers=KEY),
        client.get(f"/v1/click/{ANDROID_APP}", params={"pid": "netA"}, allow_redirects=False),
    )
    elapsed = time.monotonic() - started
    assert elapsed < PRODUCE_TIMEOUT_S + 3, f"answers took {elapsed:.1f}s"
    for response in answers:
        assert response.status == 503
        assert response.headers["Retry-After"] == "5"
        assert (await response.json())["error"] == "broker_unavailable"
    assert errors_counted("installs") - errors_before == 2
    # Not ready once the broker has been unreachable for the grace (3 s), not before.
    grace_s = settings.broker_unreachable_grace_s
    while (response := await client.get("/readyz")).status == 200:
        assert time.monotonic() - started < grace_s + 5, "still ready long after the grace"
        await asyncio.sleep(0.2)
    assert response.status == 503
    assert time.monotonic() - started >= grace_s - 0.5
    assert "unreachable" in (await response.json())["detail"]

    await asyncio.to_thread(private_broker.start)
    deadline = time.monotonic() + 90
    status = 0
    while time.monotonic() < deadline:
        response = await client.post(path, json=install("after"), headers=KEY)
        status = response.status
        if status == 202:
            break
        assert status == 503
        await asyncio.sleep(1)
    assert status == 202, "the collector did not recover after the broker came back"
    assert (await client.get("/readyz")).status == 200  # ready again by itself
    landed = await TopicReader(settings).read("installs", 2, within_s=30)
    event_ids = [record.value["event_id"] for record in landed]
    assert "before" in event_ids
    assert "after" in event_ids
    # Each landed record is whole: it decoded, and names one of the calls made.
    assert set(event_ids) <= {"before", "during-1", "during-2", "after"}
