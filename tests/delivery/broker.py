"""Helpers of the delivery tests on the real broker: settings, app registration, records."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from aiokafka import TopicPartition

from attrib.avro import codec
from attrib.config import validate_app_config
from attrib.delivery.service import retry_topic
from attrib.kafka.client import ensure_topics, make_consumer, make_producer
from attrib.keys import device_record_key
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.topics import (
    ATTRIBUTED_EVENTS,
    ATTRIBUTIONS,
    POSTBACK_DELIVERIES,
    REENGAGEMENTS,
    topic_specs,
)

SCHEMAS = {
    ATTRIBUTIONS: "Attribution",
    REENGAGEMENTS: "Reengagement",
    ATTRIBUTED_EVENTS: "AttributedEvent",
}


def delivery_settings(settings: Settings, **changes: Any) -> Settings:
    """Short retries and timeout so that a test runs a whole schedule in seconds."""
    base: dict[str, Any] = {
        "delivery_retry_schedule": "300ms,300ms",
        "delivery_timeout": "2s",
    }
    base.update(changes)
    return dataclasses.replace(settings, **base).validate()


async def register(settings: Settings, app_id: str, body: dict[str, Any]) -> None:
    """Create the topics and register ``app_id`` through the real registry."""
    await ensure_topics(settings, topic_specs(settings))
    document = {
        "platform": "android",
        "store_url": "https://play.google.com/store/apps/details?id=com.example",
        **body,
    }
    cache = AppConfigCache(settings)
    await cache.start()
    writer = AppRegistryWriter(settings, cache)
    await writer.start()
    try:
        await writer.put(validate_app_config(app_id, document))
    finally:
        await writer.stop()
        await cache.stop()


async def produce(settings: Settings, topic: str, records: list[dict[str, Any]]) -> None:
    """Output records as the engine writes them (key app_id + device key)."""
    producer = make_producer(settings)
    await producer.start()
    try:
        for record in records:
            key = device_record_key(record["app_id"], record["device_key"])
            value = codec.encode(SCHEMAS[topic], record)
            await producer.send_and_wait(settings.topic(topic), value, key=key)
    finally:
        await producer.stop()


async def read_all(settings: Settings, topic: str, within: float = 2.0) -> list[Any]:
    """Every record of ``topic`` (full name) now, as ``ConsumerRecord``s."""
    consumer = make_consumer(settings)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[Any] = []
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
            batch = await consumer.getmany(*tps, timeout_ms=200)
            for records in batch.values():
                out.extend(records)
        return out
    finally:
        await consumer.stop()


async def deliveries(settings: Settings) -> list[dict[str, Any]]:
    """The ``postback-deliveries`` records so far, decoded."""
    records = await read_all(settings, settings.topic(POSTBACK_DELIVERIES))
    return [codec.decode(r.value) for r in records]


async def wait_deliveries(
    settings: Settings, count: int, within: float = 20.0
) -> list[dict[str, Any]]:
    """The ``postback-deliveries`` records once there are at least ``count``."""
    records: list[dict[str, Any]] = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        records = await deliveries(settings)
        if len(records) >= count:
            return records
        await asyncio.sleep(0.2)
    raise AssertionError(f"{len(records)} of {count} delivery records: {records}")


async def pending_retries(settings: Settings) -> dict[str, bytes]:
    """The retry topic compacted by hand: delivery id -> latest value, tombstones removed."""
    latest: dict[str, bytes | None] = {}
    for record in await read_all(settings, retry_topic(settings)):
        latest[record.key.decode()] = record.value
    return {k: v for k, v in latest.items() if v is not None}
