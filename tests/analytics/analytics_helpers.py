"""Records, producers and ClickHouse look-ups shared by the analytics tests.

Builders return complete Avro records (every field set) with readable
defaults; tests override what they are about. Times are epoch ms UTC, built
with :func:`ms` from a readable UTC timestamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import TopicPartition
from clickhouse_connect.driver.client import Client

from attrib.analytics import clickhouse
from attrib.analytics.sink import Backoff, SinkService
from attrib.avro.codec import encode_many
from attrib.avro.records import TOPIC_RECORDS
from attrib.kafka.client import ensure_topics, make_consumer, make_producer
from attrib.settings import Settings
from attrib.topics import topic_specs
from tests.engine.harness import ANDROID_APP, setup_deployment

APP = "com.example.game"


def ms(text: str) -> int:
    """Epoch ms of ``YYYY-mm-dd HH:MM[:SS]`` read as UTC."""
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return int(datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp() * 1000)


def device(n: int) -> str:
    return f"advertising_id:00000000-0000-4000-8000-{n:012d}"


def touch(touch_id: str, at: str, **fields: Any) -> dict[str, Any]:
    record = {
        "touch_id": touch_id,
        "touch_type": "click",
        "app_id": APP,
        "device_key": None,
        "media_source": "netA",
        "campaign": "spring",
        "campaign_id": "c-1",
        "adset": None,
        "adset_id": None,
        "ad": None,
        "ad_id": None,
        "site_id": "site-1",
        "sub_site_id": None,
        "network_click_id": None,
        "advertising_id": None,
        "idfa": None,
        "android_id": None,
        "oaid": None,
        "ip": "198.51.100.7",
        "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8)",
        "is_retargeting": False,
        "click_lookback_ms": None,
        "view_lookback_ms": None,
        "touch_time": ms(at),
        "received_time": ms(at) + 20,
    }
    record.update(fields)
    return record


def attribution(attribution_id: str, device_n: int, at: str, **fields: Any) -> dict[str, Any]:
    """A non-organic install decision by a click of netA/spring 30 s before ``at``."""
    install = ms(at)
    record = {
        "attribution_id": attribution_id,
        "app_id": APP,
        "device_key": device(device_n),
        "install_event_id": f"ev-{attribution_id}",
        "conversion_type": "install",
        "status": "non_organic",
        "install_time": install,
        "received_time": install + 50,
        "decided_time": install + 1_050,
        "touch_id": f"t-{attribution_id}",
        "touch_type": "click",
        "touch_time": install - 30_000,
        "match_type": "id",
        "media_source": "netA",
        "campaign": "spring",
        "campaign_id": "c-1",
        "adset": None,
        "adset_id": None,
        "ad": None,
        "ad_id": None,
        "site_id": "site-1",
        "sub_site_id": None,
        "network_click_id": None,
        "is_retargeting": False,
        "ctit_seconds": 30,
        "lookback": "7d",
        "contributors": [],
        "blocked_reason": None,
        "rejected_touches": [],
        "platform": "android",
        "app_version": "1.0.0",
        "os_version": "14",
        "ip": "198.51.100.7",
        "user_agent": "Dalvik/2.1.0",
        "advertising_id": device(device_n).split(":", 1)[1],
        "idfa": None,
        "idfv": None,
        "android_id": None,
        "oaid": None,
        "customer_user_id": None,
    }
    record.update(fields)
    return record


def organic(attribution_id: str, device_n: int, at: str, **fields: Any) -> dict[str, Any]:
    no_touch = dict.fromkeys(
        ("touch_id", "touch_type", "touch_time", "match_type", "campaign", "campaign_id"), None
    )
    no_touch.update(site_id=None, ctit_seconds=None, lookback=None)
    return attribution(
        attribution_id,
        device_n,
        at,
        **{"status": "organic", "media_source": "organic", **no_touch, **fields},
    )


def session(event_id: str, device_n: int, at: str, **fields: Any) -> dict[str, Any]:
    record = {
        "event_id": event_id,
        "app_id": APP,
        "device_key": device(device_n),
        "advertising_id": device(device_n).split(":", 1)[1],
        "idfa": None,
        "idfv": None,
        "android_id": None,
        "oaid": None,
        "customer_user_id": None,
        "platform": "android",
        "app_version": "1.0.0",
        "os_version": "14",
        "ip": "198.51.100.7",
        "user_agent": "Dalvik/2.1.0",
        "event_time": ms(at),
        "received_time": ms(at) + 30,
    }
    record.update(fields)
    return record


def event(event_id: str, device_n: int, at: str, **fields: Any) -> dict[str, Any]:
    """A primary user-acquisition purchase attributed to netA/spring."""
    record = {
        **session(event_id, device_n, at),
        "event_name": "purchase",
        "revenue": "9.99",
        "currency": "USD",
        "values": {},
        "attribution_kind": "user_acquisition",
        "is_primary_attribution": True,
        "attribution_id": "a-1",
        "reengagement_id": None,
        "conversion_type": "install",
        "blocked_reason": None,
        "media_source": "netA",
        "campaign": "spring",
        "adset": None,
        "ad": None,
        "touch_type": "click",
        "touch_id": "t-a-1",
        "touch_time": ms(at) - 3_600_000,
        "match_type": "id",
        "site_id": "site-1",
        "network_click_id": None,
        "install_time": ms(at) - 3_000_000,
        "days_since_install": 0,
    }
    record.update(fields)
    return record


def reengagement(reengagement_id: str, device_n: int, at: str, **fields: Any) -> dict[str, Any]:
    record = {
        "reengagement_id": reengagement_id,
        "app_id": APP,
        "device_key": device(device_n),
        "session_event_id": f"s-{reengagement_id}",
        "touch_id": f"t-{reengagement_id}",
        "match_type": "id",
        "media_source": "netB",
        "campaign": "winback",
        "adset": None,
        "ad": None,
        "touch_time": ms(at) - 600_000,
        "reengagement_time": ms(at),
        "window_end": ms(at) + 30 * 86_400_000,
        "decided_time": ms(at) + 1_000,
    }
    record.update(fields)
    return record


def delivery(delivery_id: str, attempt: int, at: str, **fields: Any) -> dict[str, Any]:
    record = {
        "delivery_id": delivery_id,
        "attempt": attempt,
        "app_id": APP,
        "kind": "install",
        "media_source": "netA",
        "endpoint": "",
        "host": "postbacks.neta.example",
        "status": "delivered",
        "http_status": 200,
        "latency_ms": 100,
        "attempted_at": ms(at),
        "next_attempt_at": None,
        "error": None,
        "subject_id": None,
    }
    record.update(fields)
    return record


# ---- Kafka ------------------------------------------------------------------------
#: The apps the analytics tests write about: registered, since the sink stores only
#: the touches and sessions the worker accepts (attrib.admission: R3, R22).
REGISTERED_APPS = (APP, "com.example.other")


async def create_topics(settings: Settings) -> None:
    """Every topic, and the apps of :data:`REGISTERED_APPS` in the registry."""
    await ensure_topics(settings, topic_specs(settings))
    for app_id in REGISTERED_APPS:
        await setup_deployment(settings, app_id, dict(ANDROID_APP))


async def produce(
    settings: Settings,
    topic: str,
    items: Sequence[dict[str, Any]],
    *,
    key: bytes | None = None,
) -> None:
    """Encode ``items`` as the record of short topic name ``topic`` and produce them, acked."""
    await produce_raw(settings, topic, encode_many(TOPIC_RECORDS[topic], items), key=key)


async def produce_together(
    settings: Settings, by_topic: dict[str, Sequence[dict[str, Any]]]
) -> None:
    """Produce to several topics at once (all sent before any is awaited)."""
    producer = make_producer(settings, linger_ms=5, max_batch_size=1 << 20)
    await producer.start()
    try:
        futures = []
        for topic, items in by_topic.items():
            for value in encode_many(TOPIC_RECORDS[topic], items):
                futures.append(await producer.send(settings.topic(topic), value=value, key=b"k"))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def produce_raw(
    settings: Settings, topic: str, values: Iterable[bytes | None], *, key: bytes | None = None
) -> None:
    producer = make_producer(settings, linger_ms=5, max_batch_size=1 << 20)
    await producer.start()
    try:
        futures = [
            await producer.send(settings.topic(topic), value=value, key=key or b"k")
            for value in values
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


# ---- the sink and ClickHouse -----------------------------------------------------------
@contextlib.asynccontextmanager
async def running_sink(settings: Settings, **kwargs: Any) -> AsyncIterator[SinkService]:
    kwargs.setdefault("backoff", Backoff(first=0.1, cap=1.0))
    service = SinkService(settings, **kwargs)
    await service.start()
    try:
        await service.wait_ready(60)
        yield service
    finally:
        await service.stop()


def client_for(settings: Settings) -> Client:
    return clickhouse.connect(settings, database="")


def final_count(client: Client, settings: Settings, table: str) -> int:
    return int(
        client.command(f"SELECT count() FROM `{settings.clickhouse_database}`.{table} FINAL")
    )


def raw_count(client: Client, settings: Settings, table: str) -> int:
    return int(client.command(f"SELECT count() FROM `{settings.clickhouse_database}`.{table}"))


async def wait_for_raw_rows(
    client: Client, settings: Settings, table: str, expected: int, seconds: float = 60
) -> None:
    """Wait until ``table`` physically holds ``expected`` rows (duplicates included)."""
    deadline = time.monotonic() + seconds
    count = -1
    while time.monotonic() < deadline:
        count = raw_count(client, settings, table)
        if count >= expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{table}: {count} rows after {seconds} s, expected {expected}")


async def wait_for_rows(
    client: Client, settings: Settings, table: str, expected: int, seconds: float = 60
) -> float:
    """Wait until ``table`` holds ``expected`` rows (FINAL); return how long it took."""
    started = time.monotonic()
    count = -1
    while time.monotonic() - started < seconds:
        with contextlib.suppress(Exception):  # the database may not exist yet
            count = final_count(client, settings, table)
            if count >= expected:
                return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"{table}: {count} rows after {seconds} s, expected {expected}")


async def committed_total(settings: Settings, group_id: str, topic: str) -> int:
    """The sum over ``topic``'s partitions of ``group_id``'s committed offsets."""
    consumer = make_consumer(settings, group_id=group_id, enable_auto_commit=False)
    await consumer.start()
    try:
        total = 0
        for n in range(settings.topic_partitions):
            total += await consumer.committed(TopicPartition(settings.topic(topic), n)) or 0
        return total
    finally:
        await consumer.stop()


def sink_env(settings: Settings) -> dict[str, str]:
    """The environment that makes an ``attrib`` subprocess use ``settings``."""
    names = (
        "kafka_bootstrap",
        "clickhouse_url",
        "clickhouse_database",
        "topic_prefix",
        "topic_partitions",
        "faust_app_id",
        "data_dir",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIB_")}
    env.update({f"ATTRIB_{name.upper()}": str(getattr(settings, name)) for name in names})
    env["ATTRIB_LOG_LEVEL"] = "info"
    return env


async def wait_for_schema(client: Client, settings: Settings, seconds: float) -> None:
    """Until every packaged migration is recorded in the test's database (the sink applies them)."""
    from attrib.analytics.migrations import packaged_migrations

    wanted = {m.version for m in packaged_migrations()}
    db = f"`{settings.clickhouse_database}`"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            rows = client.query(f"SELECT version FROM {db}.schema_migrations").result_rows
        except Exception:  # the ledger itself not created yet
            rows = []
        if wanted <= {int(r[0]) for r in rows}:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"schema of {settings.clickhouse_database} not applied in {seconds} s")
