"""Every record type through the real broker: produce encoded, consume, decode."""

from __future__ import annotations

import asyncio

import pytest

from attrib.avro import codec, records
from attrib.kafka.client import ensure_topics, make_consumer, make_producer
from attrib.topics import topic_specs

pytestmark = pytest.mark.integration


async def test_every_record_round_trips_through_kafka(isolated_settings, sample_records):
    settings = isolated_settings
    await ensure_topics(settings, topic_specs(settings))
    sent = {
        settings.topic(short): (f"{short}-key".encode(), sample_records[name])
        for short, name in records.TOPIC_RECORDS.items()
    }
    producer = make_producer(settings)
    await producer.start()
    try:
        for topic, (key, record) in sent.items():
            name = records.TOPIC_RECORDS[topic.removeprefix(settings.topic_prefix)]
            await producer.send_and_wait(topic, value=codec.encode(name, record), key=key)
    finally:
        await producer.stop()

    received: dict[str, tuple[bytes, str, dict]] = {}
    consumer = make_consumer(settings, *sent)
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while len(received) < len(sent):
                batch = await consumer.getmany(timeout_ms=1000)
                for messages in batch.values():
                    for message in messages:
                        name, record = codec.decode_named(message.value)
                        received[message.topic] = (message.key, name, record)
    finally:
        await consumer.stop()

    for topic, (key, record) in sent.items():
        expected_name = records.TOPIC_RECORDS[topic.removeprefix(settings.topic_prefix)]
        assert received[topic] == (key, expected_name, record)
