"""The worker's Kafka channels: the internal topics its agents consume, and its producer.

Inputs are read in bulk by the intake (``agents/intake.py``), not by Faust
agents; outputs and internal envelopes are written by one librdkafka
producer (:class:`EngineProducer`, :mod:`attrib.engine.sender`). Faust
topics exist here only for what Faust consumes: the internal repartition
topics of the join (docs/architecture.md), each sent to explicit partitions
(:func:`attrib.engine.partitioning.partition_for`), so every one is
co-partitioned with the tables its consumer reads.
"""

from __future__ import annotations

import asyncio

import faust
from mode import Service

from attrib.engine.sender import KafkaSender
from attrib.engine.topics import EngineTopics
from attrib.faust_app import LARGE_RECORDS, app, settings
from attrib.kafka.acked import AckedProducer, producer_config

names = EngineTopics.of(settings)


def _internal(name: str) -> faust.TopicT:
    return app.topic(
        name,
        partitions=settings.topic_partitions,
        key_serializer="raw",
        value_serializer="raw",
        internal=True,
        config=LARGE_RECORDS,
    )


touch_index = _internal(names.touch_index)
touch_lookup = _internal(names.touch_lookup)
install_candidates = _internal(names.install_candidates)
device_inputs = _internal(names.device_inputs)
conversion_updates = _internal(names.conversion_updates)

#: How long the engine's producer retries a record before its send fails (and is
#: sent again by :class:`~attrib.engine.sender.KafkaSender`).
PRODUCE_TIMEOUT_S = 30.0


class EngineProducer(Service):
    """The worker's librdkafka producer, for its whole lifetime."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.producer = AckedProducer(
            producer_config(
                settings,
                timeout_s=PRODUCE_TIMEOUT_S,
                linger_ms=2,
                client_id=f"{settings.faust_app_id}-engine",
            )
            | {"batch.size": 1_000_000}
        )
        self.sender = KafkaSender(self.producer)
        self.ready = asyncio.Event()

    async def on_start(self) -> None:
        while not self.should_stop:
            try:
                await self.producer.start(timeout_s=10)
                break
            except Exception as exc:  # no broker yet: the worker waits for it
                self.log.warning("engine producer not started: %s", exc)
                await self.sleep(1.0)
        self.ready.set()

    async def on_stop(self) -> None:
        await self.producer.stop(timeout_s=10)


engine_producer = EngineProducer()
app.service(engine_producer)  # type: ignore[arg-type]


async def sender() -> KafkaSender:
    """The engine's sender, once its producer is started."""
    await engine_producer.ready.wait()
    return engine_producer.sender
