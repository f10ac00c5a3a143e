"""The librdkafka producer of the collector (:mod:`attrib.kafka.acked`).

On the real broker: acknowledged records are on the topic, each in the
partition our own murmur2 (:func:`attrib.engine.partitioning.partition_for`)
gives its key; ``start()`` fails in time without a broker; a record that
cannot be delivered fails with ``ProduceFailed`` (timed out); a full local
queue raises ``QueueFull`` at once; ``stop()`` delivers what is buffered and
purges what it cannot deliver in time. Without a broker: ``librdkafka_config``
maps the SASL/SSL settings to librdkafka's names.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import TopicPartition
from confluent_kafka import KafkaError, KafkaException, Producer

from attrib.engine.partitioning import partition_for
from attrib.kafka.acked import (
    AckedProducer,
    ProduceFailed,
    QueueFull,
    librdkafka_config,
    producer_config,
)
from attrib.kafka.client import ensure_topics, make_consumer
from attrib.settings import Secret, Settings, load_settings
from attrib.topics import TopicSpec
from tests.topics import delete_topics

PARTITIONS = 6


@pytest.fixture
async def topic(isolated_settings: Settings) -> AsyncIterator[str]:
    """A topic of this test with several partitions; deleted afterwards."""
    name = isolated_settings.topic("acked")
    spec = TopicSpec(name, PARTITIONS, isolated_settings.topic_replication)
    await ensure_topics(isolated_settings, [spec])
    yield name
    await delete_topics(isolated_settings, [name])


def acked_producer(settings: Settings, *, timeout_s: float = 10.0, **extra: Any) -> AckedProducer:
    """An :class:`AckedProducer` as the collector configures it, plus ``extra`` settings."""
    config = producer_config(settings, timeout_s=timeout_s, linger_ms=2, client_id="acked-test")
    config.update(extra)
    return AckedProducer(config)


@contextlib.asynccontextmanager
async def running(
    settings: Settings, *, stop_s: float, timeout_s: float = 10.0
) -> AsyncIterator[AckedProducer]:
    """A started :func:`acked_producer`; on the way out ``stop(stop_s)`` must find no
    record left to purge."""
    producer = acked_producer(settings, timeout_s=timeout_s)
    await producer.start(10)
    try:
        yield producer
    finally:
        assert await producer.stop(stop_s) == 0


async def read_all(
    settings: Settings, topic: str, count: int, within_s: float = 15.0
) -> list[tuple[int, bytes | None, bytes | None]]:
    """(partition, key, value) of the first ``count`` records of ``topic``."""
    consumer = make_consumer(settings, group_id=None)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[tuple[int, bytes | None, bytes | None]] = []
        deadline = time.monotonic() + within_s
        while len(found) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for tp, records in batch.items():
                found.extend((tp.partition, r.key, r.value) for r in records)
        return found
    finally:
        await consumer.stop()


def varied_keys(count: int) -> list[bytes]:
    """Distinct non-empty keys: collector-like text keys and arbitrary bytes of 1..80 bytes."""
    rng = random.Random(20240611)
    keys: list[bytes] = []
    seen: set[bytes] = set()
    while len(keys) < count:
        if len(keys) % 2:
            key = rng.randbytes(rng.randint(1, 80))
        else:
            key = f"com.example.app{rng.randint(0, 9)}\x00gaid:{rng.getrandbits(64):016x}".encode()
        if key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.integration
async def test_acknowledged_records_are_on_the_topic_in_the_workers_partition(
    isolated_settings: Settings, topic: str
) -> None:
    keys = varied_keys(300)
    async with running(isolated_settings, stop_s=5) as producer:
        deliveries = [producer.send(topic, key, b"value-%d" % i) for i, key in enumerate(keys)]
        await asyncio.wait_for(asyncio.gather(*deliveries), 20)

    landed = await read_all(isolated_settings, topic, len(keys))
    assert len(landed) == len(keys)
    by_key = {key: (partition, value) for partition, key, value in landed}
    assert set(by_key) == set(keys)
    for i, key in enumerate(keys):
        partition, value = by_key[key]
        assert value == b"value-%d" % i
        assert partition == partition_for(key, PARTITIONS), key
    assert len({partition for partition, _, _ in landed}) == PARTITIONS


async def test_start_without_a_broker_raises_within_the_timeout() -> None:
    # No stack needed: nothing listens on the port.
    settings = load_settings(env={}, kafka_bootstrap=f"127.0.0.1:{free_port()}")
    producer = acked_producer(settings)
    started = time.monotonic()
    with pytest.raises(KafkaException):
        await producer.start(1.5)
    assert time.monotonic() - started < 1.5 + 2.0
    await producer.stop(0)


async def test_no_record_is_counted_when_none_was_sent() -> None:
    # After a failed start librdkafka has queued an error event (and a log line)
    # per connection attempt; none of them is a record.
    settings = load_settings(env={}, kafka_bootstrap=f"127.0.0.1:{free_port()}")
    producer = acked_producer(settings)
    with pytest.raises(KafkaException):
        await producer.start(1.0)
    # len() counts the queued events too (documented); stop() serves them first.
    assert await producer.stop(0) == 0


@pytest.mark.integration
async def test_a_record_not_acknowledged_in_time_fails_as_timed_out(
    isolated_settings: Settings,
) -> None:
    # Automatic topic creation is off: a record to a missing topic is never acknowledged.
    async with running(isolated_settings, stop_s=1, timeout_s=1.0) as producer:
        started = time.monotonic()
        delivery = producer.send(isolated_settings.topic("missing"), b"key", b"value")
        with pytest.raises(ProduceFailed) as failed:
            await asyncio.wait_for(delivery, 10)
        # librdkafka scans for timed-out records once a second.
        assert time.monotonic() - started < 1.0 + 2.5
        assert failed.value.timed_out
        assert failed.value.error.code() == KafkaError._MSG_TIMED_OUT
        assert producer.fatal_error is None
        assert len(producer) == 0


@pytest.mark.integration
async def test_a_full_local_queue_raises_queue_full_at_once(
    isolated_settings: Settings, topic: str
) -> None:
    # Records linger for a second: the sixth send finds the queue of five full.
    producer = acked_producer(
        isolated_settings, **{"queue.buffering.max.messages": 5, "linger.ms": 1000}
    )
    await producer.start(10)
    deliveries = [producer.send(topic, b"key-%d" % i, b"value") for i in range(5)]
    assert len(producer) == 5
    started = time.monotonic()
    with pytest.raises(QueueFull):
        producer.send(topic, b"key-5", b"value")
    assert time.monotonic() - started < 0.1
    assert len(producer) == 5
    assert not any(delivery.done() for delivery in deliveries)
    # The five queued before are still delivered.
    assert await producer.stop(5) == 0
    for delivery in deliveries:
        assert delivery.done()
        assert delivery.exception() is None


@pytest.mark.integration
async def test_stop_delivers_what_is_buffered(isolated_settings: Settings, topic: str) -> None:
    producer = acked_producer(isolated_settings, **{"linger.ms": 200})
    await producer.start(10)
    deliveries = [producer.send(topic, b"key-%d" % i, b"value-%d" % i) for i in range(50)]
    assert len(producer) == 50
    assert await producer.stop(5) == 0
    assert len(producer) == 0
    for delivery in deliveries:
        assert delivery.done()
        assert delivery.exception() is None
    landed = await read_all(isolated_settings, topic, 50)
    assert sorted(value or b"" for _, _, value in landed) == sorted(
        b"value-%d" % i for i in range(50)
    )


@pytest.mark.integration
async def test_stop_purges_what_it_cannot_deliver_and_fails_those_records(
    isolated_settings: Settings,
) -> None:
    producer = acked_producer(isolated_settings, timeout_s=30.0)
    await producer.start(10)
    missing = isolated_settings.topic("missing")
    deliveries = [producer.send(missing, b"key-%d" % i, b"value") for i in range(20)]
    started = time.monotonic()
    assert await producer.stop(0.5) == 20
    assert time.monotonic() - started < 0.5 + 1.0
    assert len(producer) == 0
    for delivery in deliveries:
        assert delivery.done()
        error = delivery.exception()
        assert isinstance(error, ProduceFailed)
        assert not error.timed_out
        assert error.error.code() == KafkaError._PURGE_QUEUE


@pytest.mark.integration
async def test_stop_fails_every_record_it_purges(isolated_settings: Settings, topic: str) -> None:
    # Reports of purged records can be queued after purge() returned (a race that
    # left futures pending in a fifth to two thirds of rounds before stop() waited
    # for them): twenty rounds.
    pending = 0
    for _ in range(20):
        producer = acked_producer(isolated_settings, timeout_s=30.0, **{"linger.ms": 10_000})
        await producer.start(10)
        deliveries = [producer.send(topic, b"key-%d" % i, b"value") for i in range(1000)]
        assert await producer.stop(0) >= 1000
        pending = sum(not delivery.done() for delivery in deliveries)
        for delivery in deliveries:
            if delivery.done():
                assert isinstance(delivery.exception(), ProduceFailed)
        if pending:
            break
    assert pending == 0


def test_librdkafka_config_maps_sasl_ssl_settings() -> None:
    settings = load_settings(
        env={
            "ATTRIB_KAFKA_BOOTSTRAP": "b1.example:9093,b2.example:9093",
            "ATTRIB_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "ATTRIB_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "ATTRIB_KAFKA_SASL_USERNAME": "collector",
            "ATTRIB_KAFKA_SASL_PASSWORD": "pa55-word",
            "ATTRIB_KAFKA_SSL_CAFILE": "/etc/attrib/ca.pem",
        }
    )
    assert isinstance(settings.kafka_sasl_password, Secret)
    config = librdkafka_config(settings)
    assert config == {
        "bootstrap.servers": "b1.example:9093,b2.example:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "collector",
        "sasl.password": "pa55-word",
        "ssl.ca.location": "/etc/attrib/ca.pem",
    }
    # The password is handed over revealed, as a plain string.
    assert type(config["sasl.password"]) is str


def test_librdkafka_config_adds_only_what_the_protocol_uses() -> None:
    plain = librdkafka_config(load_settings(env={"ATTRIB_KAFKA_SSL_CAFILE": "/etc/ca.pem"}))
    assert plain == {"bootstrap.servers": "127.0.0.1:9092", "security.protocol": "PLAINTEXT"}
    ssl_only = librdkafka_config(
        load_settings(
            env={"ATTRIB_KAFKA_SECURITY_PROTOCOL": "SSL", "ATTRIB_KAFKA_SSL_CAFILE": "/etc/ca.pem"}
        )
    )
    assert ssl_only["ssl.ca.location"] == "/etc/ca.pem"
    assert not any(key.startswith("sasl.") for key in ssl_only)
    system_cas = librdkafka_config(load_settings(env={"ATTRIB_KAFKA_SECURITY_PROTOCOL": "SSL"}))
    assert system_cas["ssl.ca.location"] == "probe"  # verify against the system's CAs


def test_producer_config_is_accepted_by_librdkafka() -> None:
    # SASL_PLAINTEXT needs no CA file: librdkafka checks every property name and value.
    settings = load_settings(
        env={
            "ATTRIB_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "ATTRIB_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
            "ATTRIB_KAFKA_SASL_USERNAME": "collector",
            "ATTRIB_KAFKA_SASL_PASSWORD": "pa55-word",
        }
    )
    config = producer_config(settings, timeout_s=2.5, linger_ms=1, client_id="config-test")
    assert config["message.timeout.ms"] == 2500
    assert config["enable.idempotence"] is True
    assert config["partitioner"] == "murmur2_random"
    Producer(config)


@pytest.mark.integration
async def test_send_many_resolves_once_every_record_is_on_the_topic(
    isolated_settings: Settings, topic: str
) -> None:
    keys = varied_keys(200)
    async with running(isolated_settings, stop_s=5) as producer:
        records = [(topic, key, b"many-%d" % i, i % PARTITIONS) for i, key in enumerate(keys)]
        await asyncio.wait_for(producer.send_many(records), 20)
        await asyncio.wait_for(producer.send_many([]), 1)  # nothing to send: done at once
    landed = await read_all(isolated_settings, topic, len(keys))
    assert sorted(landed) == sorted(
        (i % PARTITIONS, key, b"many-%d" % i) for i, key in enumerate(keys)
    )


@pytest.mark.integration
async def test_send_many_fails_when_one_record_is_not_acknowledged(
    isolated_settings: Settings, topic: str
) -> None:
    async with running(isolated_settings, stop_s=1, timeout_s=1.0) as producer:
        missing = isolated_settings.topic("missing")
        batch = producer.send_many([(topic, b"k", b"v", None), (missing, b"k", b"v", None)])
        with pytest.raises(ProduceFailed) as failed:
            await asyncio.wait_for(batch, 10)
        assert failed.value.timed_out


@pytest.mark.integration
async def test_send_each_reports_every_records_offset_or_its_own_failure(
    isolated_settings: Settings, topic: str
) -> None:
    async with running(isolated_settings, stop_s=1, timeout_s=1.0) as producer:
        missing = isolated_settings.topic("missing")
        records = [(topic, b"k%d" % i, b"each-%d" % i, 0) for i in range(50)]
        records.insert(7, (missing, b"k", b"v", None))
        taken, reported, results = producer.send_each(records)
        assert taken == len(records)
        await asyncio.wait_for(reported, 10)
        assert isinstance(results[7], ProduceFailed)
        assert results[7].timed_out
        offsets = results[:7] + results[8:]
        assert all(isinstance(o, int) for o in offsets)
        assert offsets == sorted(offsets)  # one partition: in the order sent
        assert len(set(offsets)) == len(offsets)
    landed = await read_all(isolated_settings, topic, 50)
    assert sorted(landed) == sorted((0, b"k%d" % i, b"each-%d" % i) for i in range(50))
