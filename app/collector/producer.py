"""The collector's one Kafka producer: answer 2xx only after Kafka acknowledged.

One idempotent ``acks=all`` producer per process
(:func:`attrib.kafka.client.make_producer`) is shared by every request, so
concurrent requests fill the same producer batches: each request calls
``send()`` and awaits its own acknowledgement. aiokafka keeps one produce
request in flight per broker, so the records that arrive while one is in
flight all go in the next: under load a thousand concurrent requests make a
handful of produce requests. The linger (:data:`LINGER_MS`) only gathers
records when the broker connection is idle; it is shorter than a produce
round trip, since a longer one made batches wait after the previous request
returned, which cost throughput at a fixed concurrency. (Batching records by
hand with aiokafka's explicit batch API was tried, twice: no faster at the
collector's batch sizes.)

Every write is bounded by :data:`PRODUCE_TIMEOUT_S`. When Kafka does not
acknowledge in time (broker down, partition leaderless, producer not yet
connected) the request gets 503 ``broker_unavailable`` with ``Retry-After``,
never a hung connection. A 503 means "not known to be written", not "not
written": the producer keeps retrying a buffered record while its partition
has a known leader, so a record answered 503 may still land when the broker
returns (tests/collector/test_broker_outage.py shows it). One call is one
Kafka record, so nothing is ever half-written, and the client's retry is a
duplicate that R26 (``event_id``) makes harmless. An S2S batch that gets 503
is retried whole, idempotent the same way.

The producer connects in the background and keeps retrying (the process
listens before Kafka is reachable, see :mod:`attrib.web.server`); until it
is connected, writes get 503 at once and ``/readyz`` says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Final

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from attrib.collector.metrics import (
    KAFKA_ERROR,
    NOT_CONNECTED,
    PRODUCE_ERRORS,
    PRODUCED_BY_TOPIC,
    TIMEOUT,
)
from attrib.kafka.client import make_producer
from attrib.kafka.partitioner import Murmur2Partitioner
from attrib.settings import Settings
from attrib.topics import INPUTS
from attrib.web.errors import ApiError

log = logging.getLogger(__name__)

#: Longest a request waits for Kafka's acknowledgement before answering 503.
PRODUCE_TIMEOUT_S: Final = 5.0
#: What 503 answers tell clients to wait before retrying (seconds).
RETRY_AFTER_S: Final = 5
#: Pause between connection attempts while Kafka is unreachable.
CONNECT_RETRY_S: Final = 2.0
#: How often pending acknowledgements are checked against their deadline.
DEADLINE_TICK_S: Final = 0.1
#: Bigger batches than the client default: records are small and arrive in bursts.
MAX_BATCH_BYTES: Final = 256 * 1024
#: The producer's linger when the broker connection is idle (see the module doc).
LINGER_MS: Final = 1


class BrokerUnavailable(ApiError):
    """503 ``broker_unavailable``: the record was not acknowledged; retry later."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            503,
            "broker_unavailable",
            detail,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )


class AcknowledgementTimeout(Exception):
    """Set on an acknowledgement future that was still pending at its deadline."""


class AcknowledgementDeadlines:
    """Fails acknowledgements still pending at their deadline, with one timer for all.

    A timer per request (``asyncio.timeout``) costs a timer handle and task
    bookkeeping on every write; here each write records ``future -> deadline``
    in an insertion-ordered dict (deadlines only grow, the timeout being
    constant) and one task wakes every :data:`DEADLINE_TICK_S` to fail the
    futures whose deadline passed, looking only at the oldest entries. A write
    calls :meth:`forget` as soon as its outcome is known: keeping every
    acknowledged future (and its metadata) for the whole timeout kept tens of
    thousands of objects alive under load, and the garbage collector's full
    passes over them became a large share of a request's CPU time. aiokafka
    resolves message futures only if they are not done yet, so failing one
    early is safe.
    """

    def __init__(self) -> None:
        self._pending: dict[asyncio.Future[object], float] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._expire(), name="acknowledgement deadlines")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._expire_until(float("inf"))

    def watch(self, deadline: float, delivery: asyncio.Future[object]) -> None:
        self._pending[delivery] = deadline

    def forget(self, delivery: asyncio.Future[object]) -> None:
        """Stop watching ``delivery`` (its outcome is known)."""
        self._pending.pop(delivery, None)

    def __len__(self) -> int:
        return len(self._pending)

    def _expire_until(self, now: float) -> None:
        pending = self._pending
        expired = []
        for delivery, deadline in pending.items():
            if deadline > now:
                break
            expired.append(delivery)
        for delivery in expired:
            del pending[delivery]
            if not delivery.done():
                delivery.set_exception(AcknowledgementTimeout())

    async def _expire(self) -> None:
        while True:
            await asyncio.sleep(DEADLINE_TICK_S)
            self._expire_until(time.monotonic())


#: A record to write: (topic short name, key, Avro value).
OutgoingRecord = tuple[str, bytes, bytes]


class RecordProducer:
    """Writes records to the input topics of streams.md; see the module doc."""

    def __init__(self, settings: Settings, *, timeout_s: float = PRODUCE_TIMEOUT_S) -> None:
        self._settings = settings
        self.timeout_s = timeout_s
        self._topics = {short: settings.topic(short) for short in INPUTS}
        self._producer: AIOKafkaProducer | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._deadlines = AcknowledgementDeadlines()

    # ---- lifecycle --------------------------------------------------------------
    def readiness(self) -> tuple[bool, str]:
        """``(ok, detail)`` for ``/readyz``."""
        if self._producer is None:
            return False, "the record producer is not connected to Kafka yet"
        return True, "record producer connected"

    async def connect_once(self) -> None:
        """Start the producer; raises when Kafka cannot be reached."""
        if self._producer is not None:
            return
        producer = make_producer(
            self._settings,
            request_timeout_ms=int(self.timeout_s * 1000),
            linger_ms=LINGER_MS,
            max_batch_size=MAX_BATCH_BYTES,
            partitioner=Murmur2Partitioner(),
            client_id="attrib-collector",
        )
        try:
            await producer.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await producer.stop()
            raise
        self._producer = producer
        self._deadlines.start()
        self._connected.set()

    async def _connect_forever(self) -> None:
        while True:
            try:
                await self.connect_once()
                log.info("record producer connected to %s", self._settings.kafka_bootstrap)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "record producer cannot reach Kafka at %s yet: %s",
                    self._settings.kafka_bootstrap,
                    exc,
                )
                await asyncio.sleep(CONNECT_RETRY_S)

    def start(self) -> None:
        """Connect in the background, retrying until connected or stopped."""
        if self._connecting is None:
            self._connecting = asyncio.create_task(
                self._connect_forever(), name="collector producer connect"
            )

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def stop(self) -> None:
        """Stop connecting; flush what is buffered (bounded) and close."""
        task, self._connecting = self._connecting, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        producer, self._producer = self._producer, None
        self._connected.clear()
        if producer is not None:
            try:
                async with asyncio.timeout(self.timeout_s + 1):
                    await producer.stop()
            except TimeoutError:
                log.warning("record producer did not flush within %.0fs", self.timeout_s + 1)
        await self._deadlines.stop()

    # ---- writing ------------------------------------------------------------------
    @staticmethod
    def _fail(topics: Sequence[str], reason: str, detail: str) -> BrokerUnavailable:
        for topic in topics:
            PRODUCE_ERRORS.labels(topic, reason).inc()
        return BrokerUnavailable(detail)

    async def produce(self, topic: str, key: bytes, value: bytes) -> None:
        """Write one record to the input topic ``topic`` (short name); return once acknowledged.

        Raises :class:`BrokerUnavailable` (a 503 answer) when Kafka did not
        acknowledge within :attr:`timeout_s`.
        """
        producer = self._producer
        if producer is None:
            raise self._fail((topic,), NOT_CONNECTED, "the collector is not connected to Kafka yet")
        deadlines = self._deadlines
        deadline = time.monotonic() + self.timeout_s
        try:
            # send() waits only for metadata or buffer space, bounded by the
            # producer's request timeout (the same timeout_s).
            delivery = await producer.send(self._topics[topic], value, key)
            deadlines.watch(deadline, delivery)
            try:
                await delivery
            finally:
                deadlines.forget(delivery)
        except AcknowledgementTimeout:
            detail = f"Kafka did not acknowledge the record within {self.timeout_s:g}s"
            raise self._fail((topic,), TIMEOUT, detail) from None
        except KafkaError as exc:
            raise self._fail(
                (topic,), KAFKA_ERROR, f"Kafka refused the record: {type(exc).__name__}"
            ) from exc
        PRODUCED_BY_TOPIC[topic].inc()

    async def produce_many(self, records: Sequence[OutgoingRecord]) -> None:
        """Write ``records``, then wait for all their acknowledgements together.

        All or nothing for the caller: any record not acknowledged in time
        raises :class:`BrokerUnavailable` (some others may be written; a retry
        is deduplicated by ``event_id``, R26).
        """
        if not records:
            return
        producer = self._producer
        shorts = [topic for topic, _, _ in records]
        if producer is None:
            raise self._fail(shorts, NOT_CONNECTED, "the collector is not connected to Kafka yet")
        topics = self._topics
        deadline = time.monotonic() + self.timeout_s
        deliveries: list[asyncio.Future[object]] = []
        try:
            for topic, key, value in records:
                delivery = await producer.send(topics[topic], value, key)
                self._deadlines.watch(deadline, delivery)
                deliveries.append(delivery)
        except KafkaError as exc:
            for delivery in deliveries:  # they resolve later; nobody will look
                delivery.add_done_callback(_retrieve)
            raise self._fail(
                shorts, KAFKA_ERROR, f"Kafka refused a record: {type(exc).__name__}"
            ) from exc
        try:
            outcomes = await asyncio.gather(*deliveries, return_exceptions=True)
        finally:
            for delivery in deliveries:
                self._deadlines.forget(delivery)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if any(isinstance(f, AcknowledgementTimeout) for f in failures):
            raise self._fail(
                shorts, TIMEOUT, f"Kafka did not acknowledge the records within {self.timeout_s:g}s"
            )
        if failures:
            raise self._fail(
                shorts, KAFKA_ERROR, f"Kafka refused a record: {type(failures[0]).__name__}"
            )
        for topic in shorts:
            PRODUCED_BY_TOPIC[topic].inc()


def _retrieve(delivery: asyncio.Future[object]) -> None:
    if not delivery.cancelled():
        delivery.exception()


__all__ = [
    "PRODUCE_TIMEOUT_S",
    "RETRY_AFTER_S",
    "AcknowledgementTimeout",
    "BrokerUnavailable",
    "OutgoingRecord",
    "RecordProducer",
]
