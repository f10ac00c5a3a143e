"""The intake: reads the five input topics in bulk and routes them (``attrib.engine.intake``).

Not a Faust agent: Faust's per-message path costs ~200 µs a record, a
thousand records of an aiokafka ``getmany`` batch cost less than one of those
each. It is a consumer group of its own (``<app id>-intake``); it keeps no
state, so any member may read any input partition. Offsets are committed
only after every envelope and dead letter of the batch was acknowledged by
Kafka: a crash re-reads, never loses (repeats are harmless downstream: the
index merges by touch id, the device partition remembers event ids, R26).
"""

from __future__ import annotations

import asyncio
from collections import deque

from aiokafka import AIOKafkaConsumer, TopicPartition
from mode import Service

from attrib.channels import names, sender
from attrib.engine.clock import wall_ms
from attrib.engine.intake import InputRecord, route
from attrib.engine.metrics import INTAKE_RECORDS, RECORDS_CONSUMED
from attrib.engine.outbox import Outbox
from attrib.engine.sender import KafkaSender
from attrib.faust_app import app, settings
from attrib.kafka.client import make_consumer
from attrib.tables.app_configs import app_configs

#: The intake's consumer group (its committed offsets also gate the lookups: touch_watermark.py).
GROUP = f"{settings.faust_app_id}-intake"
#: Records taken per batch, and how long a batch waits to fill.
MAX_RECORDS = 5_000
FETCH_TIMEOUT_MS = 20
#: Batches whose records are being acknowledged while the next one is routed.
MAX_IN_FLIGHT = 3


class Intake(Service):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.consumer: AIOKafkaConsumer | None = None
        #: Next offset to read per input partition, for the lag.
        self.positions: dict[TopicPartition, int] = {}

    def _new_consumer(self) -> AIOKafkaConsumer:
        return make_consumer(
            settings,
            *names.inputs,
            group_id=GROUP,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_bytes=16 * 1024 * 1024,
        )

    async def on_start(self) -> None:
        self.add_future(self._run())

    async def _run(self) -> None:
        # R22 needs the configuration in force: never judge a record before it is loaded.
        await app_configs.cache.wait_loaded()
        out = await sender()
        self.consumer = consumer = self._new_consumer()
        while not self.should_stop:
            try:
                await consumer.start()
                break
            except Exception as exc:  # broker not reachable yet
                self.log.warning("intake consumer not started: %s", exc)
                await self.sleep(1.0)
        inflight: deque[asyncio.Future[None]] = deque()
        while not self.should_stop:
            batches = await consumer.getmany(timeout_ms=FETCH_TIMEOUT_MS, max_records=MAX_RECORDS)
            if not batches:
                continue
            records = [
                InputRecord(m.topic, m.partition, m.offset, m.key, m.value)
                for messages in batches.values()
                for m in messages
            ]
            outbox = Outbox()
            counts = route(
                records,
                topics=names,
                configs=app_configs.get,
                now_ms=wall_ms(),
                outbox=outbox,
                envelope=settings.touch_index_envelope,
            )
            commit = {tp: messages[-1].offset + 1 for tp, messages in batches.items()}
            self.positions.update(commit)
            for tp, messages in batches.items():
                RECORDS_CONSUMED.labels(tp.topic).inc(len(messages))
            INTAKE_RECORDS.labels("accepted").inc(len(records) - counts.refused)
            INTAKE_RECORDS.labels("refused").inc(counts.refused)
            INTAKE_RECORDS.labels("misplaced").inc(counts.misplaced)
            # Pipelined: the next batch is fetched and routed while this one's
            # records are on their way; offsets are committed in batch order, each
            # only once its batch (and every batch before it) was acknowledged.
            previous = inflight[-1] if inflight else None
            inflight.append(asyncio.ensure_future(self._settle(out, outbox, commit, previous)))
            while len(inflight) > MAX_IN_FLIGHT or (inflight and inflight[0].done()):
                await inflight.popleft()
        for task in inflight:
            await task

    async def _settle(
        self,
        out: KafkaSender,
        outbox: Outbox,
        commit: dict[TopicPartition, int],
        previous: asyncio.Future[None] | None,
    ) -> None:
        await out.send_all(outbox.records)
        if previous is not None:
            await previous
        assert self.consumer is not None
        try:
            await self.consumer.commit(commit)
        except Exception as exc:  # revoked meanwhile: the new owner reads them again
            self.log.warning("intake commit failed: %s", exc)

    async def on_stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()


intake = Intake()
app.service(intake)  # type: ignore[arg-type]

__all__ = ["Intake", "intake"]
