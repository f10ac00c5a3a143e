"""aiokafka clients configured from :class:`~attrib.settings.Settings`.

The producer is idempotent with ``acks=all``: a send that returned is on
every in-sync replica, which is what lets the collector answer 2xx only after
Kafka acknowledged the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from attrib.settings import Settings
from attrib.topics import TopicSpec


def security_kwargs(settings: Settings) -> dict[str, Any]:
    """Connection settings shared by producers, consumers and the admin client."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol.startswith("SASL"):
        kwargs.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.reveal(),
        )
    if settings.kafka_security_protocol.endswith("SSL"):
        kwargs["ssl_context"] = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)
    return kwargs


def make_producer(settings: Settings, **overrides: Any) -> AIOKafkaProducer:
    """An idempotent, ``acks=all`` producer (not started)."""
    kwargs: dict[str, Any] = {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 2,
        "request_timeout_ms": 10_000,
        "compression_type": None,
    }
    kwargs.update(security_kwargs(settings))
    kwargs.update(overrides)
    return AIOKafkaProducer(**kwargs)


def make_consumer(settings: Settings, *topics: str, **overrides: Any) -> AIOKafkaConsumer:
    kwargs: dict[str, Any] = {"enable_auto_commit": False, "auto_offset_reset": "earliest"}
    kwargs.update(security_kwargs(settings))
    kwargs.update(overrides)
    return AIOKafkaConsumer(*topics, **kwargs)


async def ensure_topics(settings: Settings, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(**security_kwargs(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [s for s in specs if s.name not in existing]
        if not wanted:
            return []
        new = [
            NewTopic(
                name=s.name,
                num_partitions=s.partitions,
                replication_factor=s.replication,
                topic_configs=dict(s.config),
            )
            for s in wanted
        ]
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(new)
        # Metadata for new topics reaches the broker's cache shortly after creation.
        for _ in range(50):
            if {s.name for s in wanted} <= set(await admin.list_topics()):
                break
            await asyncio.sleep(0.1)
        return [s.name for s in wanted]
    finally:
        await admin.close()
