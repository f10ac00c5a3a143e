"""Is the broker usable? A produce and a consume of one record, end to end.

An open port is not readiness: a KRaft broker listens before its metadata is
loaded. The probe writes one record to ``<prefix>_health`` and reads it back.
A broker that just started answers the first produce to a new topic with
``NotLeaderForPartition`` and the producer retries; aiokafka logs a warning
each time, which is expected here, so the probe holds aiokafka's logger at
error level while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterator

from aiokafka import TopicPartition

from attrib.kafka.client import ensure_topics, make_consumer, make_producer
from attrib.settings import Settings
from attrib.topics import TopicSpec

HEALTH_TOPIC = "_health"


@contextlib.contextmanager
def _aiokafka_errors_only() -> Iterator[None]:
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(max(logging.ERROR, level))
    try:
        yield
    finally:
        logger.setLevel(level)


async def probe_round_trip(settings: Settings, within: float = 10.0) -> float:
    """Produce then consume one record; return the round trip in seconds."""
    with _aiokafka_errors_only():
        return await _round_trip(settings, within)


async def _round_trip(settings: Settings, within: float) -> float:
    topic = settings.topic(HEALTH_TOPIC)
    started = time.monotonic()
    await ensure_topics(settings, [TopicSpec(topic, 1, settings.topic_replication)])
    producer = make_producer(settings, request_timeout_ms=int(within * 1000))
    consumer = make_consumer(settings, request_timeout_ms=int(within * 1000) + 1000)
    await producer.start()
    try:
        await consumer.start()
        try:
            token = uuid.uuid4().hex.encode()
            meta = await asyncio.wait_for(producer.send_and_wait(topic, token), within)
            tp = TopicPartition(topic, meta.partition)
            consumer.assign([tp])
            consumer.seek(tp, meta.offset)
            deadline = time.monotonic() + within
            while time.monotonic() < deadline:
                batch = await consumer.getmany(tp, timeout_ms=500)
                for record in batch.get(tp, []):
                    if record.value == token:
                        return time.monotonic() - started
            raise TimeoutError("the health record was produced but never consumed")
        finally:
            await consumer.stop()
    finally:
        await producer.stop()
