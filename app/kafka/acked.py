"""An asyncio producer over librdkafka whose sends resolve when Kafka acknowledged them.

The collector answers a request only after Kafka acknowledged its record, so
its throughput is bounded by what one record costs the event loop. aiokafka
does batching, partitioning, the idempotence bookkeeping and the response
parsing in Python on that loop (~11 µs per record here); librdkafka
(confluent-kafka) does all of it in C threads, leaving ~3 µs on the loop:
a ``produce()`` call, a future, and resolving it. ``bench/collector.py``
measures the difference end to end.

How an acknowledgement reaches the loop: librdkafka queues a delivery report
per record, served by ``poll()``, which calls the record's callback and so
resolves its future. Polling happens on the loop itself: after every send
(0.2 µs when nothing is in, and under load it picks up what arrived since
the last request) and on a timer every :data:`POLL_INTERVAL_S` while records
are out. A thread blocking in ``poll()`` was tried first: librdkafka takes
the GIL once per report to run its callback, so the thread and the loop
handed the GIL back and forth thousands of times a second, which cost more
than it saved (``bench/collector.py``: 17.0k against 19.7k clicks/s).

Failures: a record not acknowledged within ``message.timeout.ms`` gets a
delivery report with ``_MSG_TIMED_OUT``; a full local queue raises
:class:`QueueFull` at once; an error librdkafka calls fatal (the idempotent
producer cannot go on) sets :attr:`AckedProducer.fatal_error`, and the owner
replaces the producer.

Partitioning is librdkafka's ``murmur2_random``: for a non-empty key the same
partition as Kafka's Java client, :mod:`attrib.kafka.partitioner` and
therefore the workers (tests/kafka/test_acked_producer.py checks it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from functools import partial
from typing import Any, Final

from confluent_kafka import KafkaError, KafkaException, Producer

from attrib.settings import Settings

log = logging.getLogger(__name__)
#: librdkafka's own log lines (connection failures and the like) go to this logger.
LIBRDKAFKA_LOG: Final = logging.getLogger("attrib.kafka.librdkafka")

#: How often delivery reports are served while records are out (seconds).
POLL_INTERVAL_S: Final = 0.0005
#: How often librdkafka's other events (errors, logs) are served otherwise.
IDLE_POLL_S: Final = 0.1
#: Pause between polls while :meth:`AckedProducer.stop` waits for the last reports.
FLUSH_POLL_S: Final = 0.01
#: Longest :meth:`AckedProducer.stop` waits for the reports of the records it purged.
PURGE_SETTLE_S: Final = 2.0

#: Resolves to the record's offset once Kafka acknowledged it.
Delivery = asyncio.Future[int]


class QueueFull(Exception):
    """librdkafka's local queue is full: the broker is slower than the callers."""


class ProduceFailed(Exception):
    """Kafka did not acknowledge a record; :attr:`error` is librdkafka's reason."""

    def __init__(self, error: KafkaError) -> None:
        super().__init__(error.str())
        self.error = error

    @property
    def timed_out(self) -> bool:
        return self.error.code() == KafkaError._MSG_TIMED_OUT


def librdkafka_config(settings: Settings) -> dict[str, Any]:
    """Connection settings of :class:`~attrib.settings.Settings` in librdkafka's names."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap,
        "security.protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol.startswith("SASL"):
        config.update(
            {
                "sasl.mechanism": settings.kafka_sasl_mechanism,
                "sasl.username": settings.kafka_sasl_username,
                "sasl.password": settings.kafka_sasl_password.reveal(),
            }
        )
    if settings.kafka_security_protocol.endswith("SSL"):
        # Without a CA file, the system's CAs, as aiokafka's default SSL context
        # uses them ("probe" finds them; the wheel's OpenSSL knows no default path).
        config["ssl.ca.location"] = settings.kafka_ssl_cafile or "probe"
    return config


def producer_config(
    settings: Settings, *, timeout_s: float, linger_ms: float, client_id: str
) -> dict[str, Any]:
    """An idempotent ``acks=all`` producer that gives up on a record after ``timeout_s``."""
    config = librdkafka_config(settings)
    config.update(
        {
            "client.id": client_id,
            "enable.idempotence": True,  # implies acks=all and ordered retries
            "acks": "all",
            "linger.ms": linger_ms,
            "message.timeout.ms": int(timeout_s * 1000),
            "socket.timeout.ms": max(1000, int(timeout_s * 1000)),
            "socket.nagle.disable": True,
            "partitioner": "murmur2_random",
            "compression.type": "none",
            # Come back quickly after a broker restart (the default backs off to 10 s).
            "reconnect.backoff.max.ms": 1000,
            "logger": LIBRDKAFKA_LOG,
        }
    )
    return config


def _settle(delivery: Delivery, error: KafkaError | None, message: Any) -> None:
    """A delivery report (run by ``poll()`` on the loop): resolve the record's future
    with its offset."""
    if delivery.done():  # failed earlier by a deadline, or the caller went away
        return
    if error is None:
        delivery.set_result(message.offset())
    else:
        delivery.set_exception(ProduceFailed(error))


class _AllAcked:
    """The delivery report of every record of one :meth:`AckedProducer.send_many` call:
    resolves ``future`` once all of them are acknowledged, fails it at the first error."""

    __slots__ = ("future", "left")

    def __init__(self, future: asyncio.Future[None], count: int) -> None:
        self.future = future
        self.left = count

    def __call__(self, error: KafkaError | None, message: Any) -> None:
        future = self.future
        if future.done():
            return
        if error is not None:
            future.set_exception(ProduceFailed(error))
            return
        self.left -= 1
        if self.left <= 0:
            future.set_result(None)


class _EachAcked:
    """The delivery reports of one :meth:`AckedProducer.send_each` call: each record's
    offset or error in ``results``; ``future`` resolves once every record is reported."""

    __slots__ = ("future", "left", "results")

    def __init__(self, future: asyncio.Future[None], count: int) -> None:
        self.future = future
        self.left = count
        self.results: list[int | ProduceFailed | None] = [None] * count

    def report(self, index: int, error: KafkaError | None, message: Any) -> None:
        self.results[index] = message.offset() if error is None else ProduceFailed(error)
        self.left -= 1
        if self.left <= 0 and not self.future.done():
            self.future.set_result(None)


#: ``(topic, key, value, partition or None)``: one record of :meth:`AckedProducer.send_many`.
Record = tuple[str, bytes | None, bytes | None, int | None]


class AckedProducer:
    """``send()`` a record, await the returned future: done once Kafka acknowledged it.

    Create and use it on one event loop. :meth:`start` checks the brokers are
    reachable (raises otherwise); :meth:`stop` flushes what is buffered,
    bounded by a timeout.
    """

    def __init__(self, config: dict[str, Any], *, poll_interval_s: float = POLL_INTERVAL_S) -> None:
        self._producer = Producer({**config, "error_cb": self._on_error})
        self._poll_interval_s = poll_interval_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poll_timer: asyncio.TimerHandle | None = None
        self._idle_poller: asyncio.Task[None] | None = None
        #: Set when librdkafka reports a fatal error (the owner replaces the producer).
        self.fatal_error: KafkaError | None = None

    # ---- lifecycle ------------------------------------------------------------------
    async def start(self, timeout_s: float) -> None:
        """Fetch cluster metadata (raises when no broker answers) and start polling."""
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self._producer.list_topics, timeout=timeout_s)
        self._idle_poller = asyncio.create_task(self._poll_while_idle(), name="librdkafka poll")

    async def stop(self, timeout_s: float) -> int:
        """Deliver what is buffered within ``timeout_s``; return how many records were not.

        Records not delivered in time are purged (their futures fail).
        """
        poller, self._idle_poller = self._idle_poller, None
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        deadline = time.monotonic() + timeout_s
        producer = self._producer
        producer.poll(0)  # serve queued events first: len() counts them too
        while len(producer) and time.monotonic() < deadline:
            await asyncio.sleep(FLUSH_POLL_S)
            producer.poll(0)
        left = len(producer)
        if left:
            producer.purge()
            # The reports of purged records can be queued a moment after purge()
            # returns: serve them until none is left, so that every future fails.
            settle_by = time.monotonic() + PURGE_SETTLE_S
            producer.poll(0)
            while len(producer) and time.monotonic() < settle_by:
                await asyncio.sleep(FLUSH_POLL_S)
                producer.poll(0)
        if self._poll_timer is not None:
            self._poll_timer.cancel()
            self._poll_timer = None
        return left

    # ---- sending ----------------------------------------------------------------------
    def send(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None
    ) -> Delivery:
        """Queue one record (to ``partition``, else the key's); the future resolves
        with its offset when Kafka acknowledged it.

        Raises :class:`QueueFull` at once when librdkafka's queue is full.
        """
        loop = self._loop
        assert loop is not None, "start() the producer first"
        delivery: Delivery = loop.create_future()
        on_delivery = partial(_settle, delivery)
        try:
            if partition is None:
                self._producer.produce(topic, value, key, on_delivery=on_delivery)
            else:
                self._producer.produce(
                    topic, value, key, partition=partition, on_delivery=on_delivery
                )
        except BufferError:
            raise QueueFull("the producer's local queue is full") from None
        except KafkaException as exc:
            raise ProduceFailed(exc.args[0]) from None
        # Serve the reports already in (0.2 µs when there are none): under load
        # acknowledgements are picked up at every send, not only on the timer.
        self._producer.poll(0)
        if self._poll_timer is None:
            self._poll_timer = loop.call_later(self._poll_interval_s, self._poll)
        return delivery

    def send_many(self, records: list[Record]) -> asyncio.Future[None]:
        """Queue ``records`` in order; the future resolves once Kafka acknowledged all
        of them, and fails with the first record that was not.

        Cheaper on the loop than a :meth:`send` each (one future, one report
        callback, one poll). Raises :class:`QueueFull` at once when librdkafka's
        queue is full (the records before it are sent; the future then fails
        or resolves without telling them apart, so a caller retries them all).
        """
        loop = self._loop
        assert loop is not None, "start() the producer first"
        future: asyncio.Future[None] = loop.create_future()
        if not records:
            future.set_result(None)
            return future
        on_delivery = _AllAcked(future, len(records))
        produce = self._producer.produce
        try:
            for topic, key, value, partition in records:
                if partition is None:
                    produce(topic, value, key, on_delivery=on_delivery)
                else:
                    produce(topic, value, key, partition=partition, on_delivery=on_delivery)
        except BufferError:
            future.cancel()  # (the reports of the records sent are ignored)
            raise QueueFull("the producer's local queue is full") from None
        except KafkaException as exc:
            future.cancel()
            raise ProduceFailed(exc.args[0]) from None
        finally:
            self._producer.poll(0)
            if self._poll_timer is None:
                self._poll_timer = loop.call_later(self._poll_interval_s, self._poll)
        return future

    def send_each(
        self, records: Sequence[Record]
    ) -> tuple[int, asyncio.Future[None], list[int | ProduceFailed | None]]:
        """Queue ``records`` in order, as many as librdkafka's queue takes: returns how
        many it took, a future that resolves once each of those is reported, and
        their results (the offset, or the :class:`ProduceFailed` of that record),
        filled in by then.

        What :meth:`send` gives per record, for one future and no ``gather``: the
        engine ends every batch with a call of this (its outputs, then its changelog).
        Raises :class:`QueueFull` (nothing was queued: wait, then call again) or
        :class:`ProduceFailed` when the first record cannot be queued.
        """
        loop = self._loop
        assert loop is not None, "start() the producer first"
        future: asyncio.Future[None] = loop.create_future()
        acked = _EachAcked(future, len(records))
        report = acked.report
        produce = self._producer.produce
        taken = 0
        try:
            for topic, key, value, partition in records:
                on_delivery = partial(report, taken)
                if partition is None:
                    produce(topic, value, key, on_delivery=on_delivery)
                else:
                    produce(topic, value, key, partition=partition, on_delivery=on_delivery)
                taken += 1
        except BufferError:
            if not taken:
                raise QueueFull("the producer's local queue is full") from None
            # else the caller sends the rest once these are reported
        except KafkaException as exc:
            if not taken:
                raise ProduceFailed(exc.args[0]) from None
        finally:
            self._producer.poll(0)
            if self._poll_timer is None:
                self._poll_timer = loop.call_later(self._poll_interval_s, self._poll)
        if taken < len(records):
            acked.left -= len(records) - taken
            del acked.results[taken:]
            if acked.left <= 0 and not future.done():
                future.set_result(None)
        return taken, future, acked.results

    def __len__(self) -> int:
        """Records queued, in flight or not yet reported, plus librdkafka events
        (errors, log lines) not yet served by a poll."""
        return len(self._producer)

    # ---- delivery reports, on the loop -------------------------------------------------
    def _poll(self) -> None:
        """Serve the delivery reports librdkafka has; again soon while records are out."""
        self._poll_timer = None
        producer = self._producer
        producer.poll(0)
        if len(producer) and self._loop is not None:  # records still out
            self._poll_timer = self._loop.call_later(self._poll_interval_s, self._poll)

    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            self.fatal_error = error
            log.error("Kafka producer fatal error: %s", error.str())
        else:
            log.debug("Kafka producer error: %s", error.str())

    async def _poll_while_idle(self) -> None:
        """Serve librdkafka's error and log events when no record is out."""
        while True:
            await asyncio.sleep(IDLE_POLL_S)
            self._producer.poll(0)


__all__ = [
    "AckedProducer",
    "ProduceFailed",
    "QueueFull",
    "Record",
    "librdkafka_config",
    "producer_config",
]
