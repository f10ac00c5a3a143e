"""An undecodable record goes to the dead-letter topic through the real broker."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from attrib import topics
from attrib.avro import codec
from attrib.avro.codec import AvroDecodeError
from attrib.deadletter import DeadLetterWriter
from attrib.kafka.client import ensure_topics, make_consumer, make_producer
from attrib.topics import topic_specs

pytestmark = pytest.mark.integration


async def _read_one(settings, topic: str):
    consumer = make_consumer(settings, topic)
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while True:
                batch = await consumer.getmany(timeout_ms=1000)
                for messages in batch.values():
                    if messages:
                        return messages[0]
    finally:
        await consumer.stop()


def _count(reason: str) -> float:
    return REGISTRY.get_sample_value("attrib_dead_letters_total", {"reason": reason}) or 0.0


async def test_undecodable_click_becomes_a_dead_letter(isolated_settings) -> None:
    settings = isolated_settings
    await ensure_topics(settings, topic_specs(settings))
    clicks = settings.topic(topics.CLICKS)
    garbage = b'{"pid": "netA", "this is": "json, not avro"}'
    producer = make_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(clicks, value=garbage, key=b"app|touch")

        bad = await _read_one(settings, clicks)
        with pytest.raises(AvroDecodeError) as info:
            codec.decode(bad.value, expect="Touch")
        before = _count("bad_marker")
        writer = DeadLetterWriter(producer, settings)
        await writer.send_decode_error(
            bad.topic, bad.partition, bad.offset, info.value, bad.value, bad.key
        )
    finally:
        await producer.stop()

    letter = await _read_one(settings, settings.topic(topics.DEAD_LETTER))
    assert letter.key is None
    name, record = codec.decode_named(letter.value)
    assert name == "DeadLetter"
    assert (record["topic"], record["partition"], record["offset"]) == (
        clicks,
        bad.partition,
        bad.offset,
    )
    assert record["reason"] == "bad_marker"
    assert "expected c301" in record["detail"]
    assert (record["raw"], record["raw_size"], record["key"]) == (
        garbage,
        len(garbage),
        b"app|touch",
    )
    assert _count("bad_marker") == before + 1
