"""The collector's one Kafka producer: answer 2xx only after Kafka acknowledged.

One idempotent ``acks=all`` producer per process
(:class:`attrib.kafka.acked.AckedProducer`, librdkafka underneath) is shared
by every request, so concurrent requests fill the same producer batches: each
request queues its record and awaits its own acknowledgement. librdkafka
builds the batches, keeps up to five produce requests in flight per broker
and parses the answers in its own threads, so a record costs the event loop
only a call and a future (aiokafka did all of that on the loop, and the loop
is what limits a collector process). The linger (setting
``collector_linger_ms``) is how long librdkafka holds a batch open for more
records: a record may wait that long before it is even sent, so with a fixed
number of callers waiting for their answers it bounds how many requests a
collector answers per second (docs/collector.md, Throughput).

Every write is bounded by :data:`PRODUCE_TIMEOUT_S`. When Kafka does not
acknowledge in time (broker down, partition leaderless, producer not yet
connected) the request gets 503 ``broker_unavailable`` with ``Retry-After``,
never a hung connection. A 503 means "not known to be written", not "not
written": a record in flight when the deadline passed may still have landed
(tests/collector/test_broker_outage.py shows the outage case). One call is
one Kafka record, so nothing is ever half-written, and the client's retry is
a duplicate that R26 (``event_id``) makes harmless. An S2S batch that gets
503 is retried whole, idempotent the same way. A full local queue (the
broker slower than the callers for a while) is 503 at once.

The producer connects in the background and keeps retrying (the process
listens before Kafka is reachable, see :mod:`attrib.web.server`); until it
is connected, writes get 503 at once and ``/readyz`` says why. A producer
librdkafka declares fatally broken is replaced the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Final

from attrib.collector.metrics import (
    KAFKA_ERROR,
    NOT_CONNECTED,
    PRODUCE_ERRORS,
    PRODUCED_BY_TOPIC,
    QUEUE_FULL,
    TIMEOUT,
)
from attrib.kafka.acked import AckedProducer, ProduceFailed, QueueFull, producer_config
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
        self._producer: AckedProducer | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._deadlines = AcknowledgementDeadlines()
        self._retiring: set[asyncio.Task[None]] = set()

    # ---- lifecycle --------------------------------------------------------------
    def readiness(self) -> tuple[bool, str]:
        """``(ok, detail)`` for ``/readyz``."""
        producer = self._producer
        if producer is None:
            return False, "the record producer is not connected to Kafka yet"
        if producer.fatal_error is not None:
            return False, f"the record producer failed: {producer.fatal_error.str()}"
        return True, "record producer connected"

    async def connect_once(self) -> None:
        """Start the producer; raises when Kafka cannot be reached."""
        if self._producer is not None:
            return
        producer = AckedProducer(
            producer_config(
                self._settings,
                timeout_s=self.timeout_s,
                linger_ms=self._settings.collector_linger_ms,
                client_id="attrib-collector",
            )
        )
        try:
            await producer.start(self.timeout_s)
        except BaseException:
            with contextlib.suppress(Exception):
                await producer.stop(0)
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
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.create_task(
                self._connect_forever(), name="collector producer connect"
            )

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def _close(self, producer: AckedProducer) -> None:
        left = await producer.stop(self.timeout_s + 1)
        if left:
            log.warning(
                "record producer stopped with %d record(s) not acknowledged within %.0fs",
                left,
                self.timeout_s + 1,
            )

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
            await self._close(producer)
        await self._deadlines.stop()

    def _replace_broken(self, producer: AckedProducer) -> None:
        """Drop a producer librdkafka declared fatally broken and connect a new one."""
        if self._producer is producer:
            self._producer = None
            self._connected.clear()
            self._connecting = None
            closing = asyncio.create_task(self._close(producer), name="close broken producer")
            self._retiring.add(closing)
            closing.add_done_callback(self._retiring.discard)
            self.start()

    # ---- writing ------------------------------------------------------------------
    @staticmethod
    def _fail(topics: Sequence[str], reason: str, detail: str) -> BrokerUnavailable:
        for topic in topics:
            PRODUCE_ERRORS.labels(topic, reason).inc()
        return BrokerUnavailable(detail)

    def _writer(self, topics: Sequence[str]) -> AckedProducer:
        """The connected producer, or 503 ``not_connected``."""
        producer = self._producer
        if producer is None:
            raise self._fail(topics, NOT_CONNECTED, "the collector is not connected to Kafka yet")
        if producer.fatal_error is not None:
            self._replace_broken(producer)
            raise self._fail(topics, NOT_CONNECTED, "the collector is reconnecting to Kafka")
        return producer

    def _failure(self, topics: Sequence[str], exc: BaseException) -> BrokerUnavailable:
        """The 503 for a write that failed with ``exc``, counted under its reason."""
        if isinstance(exc, AcknowledgementTimeout) or (
            isinstance(exc, ProduceFailed) and exc.timed_out
        ):
            detail = f"Kafka did not acknowledge within {self.timeout_s:g}s"
            return self._fail(topics, TIMEOUT, detail)
        if isinstance(exc, QueueFull):
            return self._fail(topics, QUEUE_FULL, "the collector's Kafka queue is full")
        return self._fail(topics, KAFKA_ERROR, f"Kafka refused the record: {exc}")

    async def produce(self, topic: str, key: bytes, value: bytes) -> None:
        """Write one record to the input topic ``topic`` (short name); return once acknowledged.

        Raises :class:`BrokerUnavailable` (a 503 answer) when Kafka did not
        acknowledge within :attr:`timeout_s`.
        """
        producer = self._writer((topic,))
        deadlines = self._deadlines
        try:
            delivery = producer.send(self._topics[topic], key, value)
            deadlines.watch(time.monotonic() + self.timeout_s, delivery)
            try:
                await delivery
            finally:
                deadlines.forget(delivery)
        except (AcknowledgementTimeout, ProduceFailed, QueueFull) as exc:
            raise self._failure((topic,), exc) from None
        PRODUCED_BY_TOPIC[topic] += 1

    async def produce_many(self, records: Sequence[OutgoingRecord]) -> None:
        """Write ``records``, then wait for all their acknowledgements together.

        All or nothing for the caller: any record not acknowledged in time
        raises :class:`BrokerUnavailable` (some others may be written; a retry
        is deduplicated by ``event_id``, R26).
        """
        if not records:
            return
        shorts = [topic for topic, _, _ in records]
        producer = self._writer(shorts)
        topics = self._topics
        deadline = time.monotonic() + self.timeout_s
        deliveries: list[asyncio.Future[None]] = []
        try:
            for topic, key, value in records:
                delivery = producer.send(topics[topic], key, value)
                self._deadlines.watch(deadline, delivery)
                deliveries.append(delivery)
        except (ProduceFailed, QueueFull) as exc:
            for delivery in deliveries:  # they resolve later; nobody will look
                self._deadlines.forget(delivery)
                delivery.add_done_callback(_retrieve)
            raise self._failure(shorts, exc) from None
        try:
            outcomes = await asyncio.gather(*deliveries, return_exceptions=True)
        finally:
            for delivery in deliveries:
                self._deadlines.forget(delivery)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            timeouts = [f for f in failures if isinstance(f, AcknowledgementTimeout)]
            raise self._failure(shorts, (timeouts or failures)[0])
        for topic in shorts:
            PRODUCED_BY_TOPIC[topic] += 1


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
