"""The delivery stage: output records in, postbacks and pushes out (R32–R36).

Run it with ``attrib deliver`` (its own Deployment) or inside each worker
(``ATTRIB_WORKER_DELIVER=true``, :mod:`attrib.delivery_service`). It is a
plain consumer group (``<faust_app_id>-deliver``, librdkafka's range
assignor: a member owns the same partition numbers of every input topic and
of the retry topic) over ``attributions``, ``reengagements`` and
``attributed-events``; it reads only those records and the app
configurations (:class:`AppConfigCache`). The librdkafka consumer is polled
by a thread of its own; each batch is planned and written on the event
loop, and its offsets committed by the thread.

The loop and its guarantees (docs/architecture.md, Delivery):

1. A batch of records is planned (:mod:`.plan`) into deliveries; an id
   already known (pending, or in flight) is skipped.
2. Each new delivery is written to the compacted retry topic (partition =
   the input record's partition) as "attempt 1 due now"; only once the
   broker acknowledged them are the input offsets committed. A crash before
   that replays the records, and the ids read back from the retry topic
   stop them from being planned twice.
3. The dispatcher attempts due deliveries (bounded in total and per host).
   After an attempt it writes the ``postback-deliveries`` record, waits for
   its acknowledgement, then replaces the retry-topic value: the next
   attempt and its due time, or a tombstone when delivered, failed or dead.
   Attempts finished within a few milliseconds are written together
   (:mod:`.batch`): all their ``postback-deliveries`` records first, then,
   once those are acknowledged, all their retry-topic values.

So an attempt is made once, except at one boundary: a process killed after a
request left and before the retry topic recorded its outcome makes the next
owner repeat that attempt, with the same ``X-Attrib-Delivery-Id``
(receivers deduplicate on it). Nothing is lost: every delivery is either in
the retry topic or finished.

On assignment, the member loads the retry-topic partitions numbered like its
input partitions before it reads any input; on revocation, it finishes the
batch in hand and waits for its attempts in flight, so two members never
hold the same pending delivery. (librdkafka calls both on the consumer
thread inside a poll, so between two batches; the thread waits while the
loop does the work.)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Coroutine
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from aiokafka import TopicPartition
from confluent_kafka import Consumer, KafkaError
from confluent_kafka import TopicPartition as KafkaPartition

from attrib.avro.codec import AvroCodec, AvroDecodeError, default_codec
from attrib.delivery import metrics
from attrib.delivery.batch import BATCH_MAX, Outcome, OutcomeBatcher
from attrib.delivery.model import DEAD, DELIVERED, PUSH, RETRY, Delivery, Pending
from attrib.delivery.plan import plan
from attrib.delivery.push import ATTRIBUTED_EVENT, ATTRIBUTION, REENGAGEMENT, sign
from attrib.delivery.schedule import judge
from attrib.delivery.sender import Attempt, Sender
from attrib.delivery.state import DueQueue, decode_pending, encode_pending
from attrib.kafka.acked import (
    LIBRDKAFKA_LOG,
    AckedProducer,
    Record,
    librdkafka_config,
    producer_config,
)
from attrib.kafka.client import ensure_topics, make_consumer
from attrib.registry import AppConfigCache
from attrib.settings import Settings
from attrib.topics import (
    APP_CONFIG,
    ATTRIBUTED_EVENTS,
    ATTRIBUTIONS,
    POSTBACK_DELIVERIES,
    REENGAGEMENTS,
    TopicSpec,
    topic_specs,
)

log = logging.getLogger(__name__)

_KINDS = {
    ATTRIBUTIONS: ATTRIBUTION,
    REENGAGEMENTS: REENGAGEMENT,
    ATTRIBUTED_EVENTS: ATTRIBUTED_EVENT,
}
_RECORDS = {
    ATTRIBUTION: "Attribution",
    REENGAGEMENT: "Reengagement",
    ATTRIBUTED_EVENT: "AttributedEvent",
}
POLL_RECORDS = 2_000
#: How long a member that stopped heartbeating keeps its partitions (librdkafka: 45 s).
SESSION_TIMEOUT_MS = 10_000
_UNCONFIGURED = "push endpoint no longer configured"
#: The retry topic keeps finished deliveries' tombstones this long (then compaction drops them).
TOMBSTONE_RETENTION_MS = 3_600_000
#: A record not acknowledged within this long fails (its batch is read or attempted again).
PRODUCE_TIMEOUT_S = 30.0
#: How long the producer waits for more records before sending a request.
PRODUCE_LINGER_MS = 1


def retry_topic(settings: Settings) -> str:
    return f"{settings.faust_app_id}-delivery-retries"


def retry_topic_spec(settings: Settings) -> TopicSpec:
    return TopicSpec(
        name=retry_topic(settings),
        partitions=settings.topic_partitions,
        replication=settings.topic_replication,
        config=(
            ("cleanup.policy", "compact"),
            ("delete.retention.ms", str(TOMBSTONE_RETENTION_MS)),
            ("min.cleanable.dirty.ratio", "0.1"),
            ("segment.ms", "3600000"),
        ),
    )


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class _LoopGone(Exception):
    """The event loop went away while the consumer thread waited for it."""


class DeliveryService:
    """Consumes decisions and delivers them; ``start()`` returns once it is consuming."""

    def __init__(self, settings: Settings, *, codec: AvroCodec | None = None) -> None:
        self.settings = settings
        self.group_id = f"{settings.faust_app_id}-deliver"
        self.inputs = {settings.topic(t): kind for t, kind in _KINDS.items()}
        self.retry_topic = retry_topic(settings)
        self.deliveries_topic = settings.topic(POSTBACK_DELIVERIES)
        self.schedule = settings.delivery_retry_delays_ms
        self.codec = codec or default_codec()
        self.configs = AppConfigCache(settings)
        self.sender = Sender(
            timeout_ms=settings.delivery_timeout_ms,
            blocked_networks=settings.delivery_blocked,
            max_in_flight=settings.delivery_max_in_flight,
            max_per_host=settings.delivery_max_per_host,
        )
        self.queue = DueQueue()
        self.owned: set[int] = set()
        self._loaded: set[int] = set()  # owned partitions whose retries are in the queue
        self._consumer: Consumer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._halt = threading.Event()  # tells the consumer thread to leave the group
        self._consumer_done: asyncio.Future[None] | None = None
        self._producer: AckedProducer | None = None
        self._outcomes = OutcomeBatcher(
            self._send,
            deliveries_topic=self.deliveries_topic,
            retry_topic=self.retry_topic,
            send_many=self._send_many,
            # every attempt in flight waiting for the window: written at once
            max_size=min(BATCH_MAX, settings.delivery_max_in_flight),
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._dispatching = asyncio.Event()  # clear while partitions move
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(settings.delivery_max_in_flight)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._per_host: dict[str, int] = defaultdict(int)
        self._host_backlog: dict[str, deque[Pending]] = defaultdict(deque)
        self._stopping = asyncio.Event()
        self._ready = False
        self._counters: dict[tuple[str, str], Any] = {}
        self._histograms: dict[str, Any] = {}

    # ---- lifecycle ---------------------------------------------------------------
    async def start(self) -> None:
        """Topics, app configs, clients; returns when the consumer has joined."""
        await ensure_topics(self.settings, self._topic_specs())
        await self.configs.start()
        await self.sender.start()
        self._producer = await self._start_producer()
        metrics.watch_queue(self.queue)
        self._loop = asyncio.get_running_loop()
        consumer = Consumer(self._consumer_config())
        consumer.subscribe(list(self.inputs), on_assign=self._on_assign, on_revoke=self._on_revoke)
        self._consumer = consumer
        self._halt.clear()
        done = self._consumer_done = self._loop.create_future()
        thread = threading.Thread(
            target=self._consumer_thread, args=(consumer, done), name="delivery consumer"
        )
        thread.daemon = True
        thread.start()
        self._tasks = [
            asyncio.create_task(self._watch(done), name="delivery consume"),
            asyncio.create_task(self._dispatch(), name="delivery dispatch"),
        ]

    def _consumer_config(self) -> dict[str, Any]:
        return {
            **librdkafka_config(self.settings),
            "group.id": self.group_id,
            "client.id": f"{self.group_id}-{id(self):x}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            # input partition i and retry-topic partition i go to the same member
            "partition.assignment.strategy": "range",
            "fetch.wait.max.ms": 50,
            # a revocation waits for the attempts in flight (at most the timeout)
            "max.poll.interval.ms": max(300_000, self.settings.delivery_timeout_ms * 4),
            # A member that died (SIGKILL) holds its partitions until its session
            # expires: librdkafka's 45 s default held deliveries up 90-135 s in the
            # chaos suite when `attrib deliver` was killed; 10 s as the aiokafka roles.
            "session.timeout.ms": SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": SESSION_TIMEOUT_MS // 3,
            "reconnect.backoff.max.ms": 1000,
            "logger": LIBRDKAFKA_LOG,
        }

    async def stop(self, grace_seconds: float = 15.0) -> None:
        self._stopping.set()
        self._wake.set()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._drain(grace_seconds)
        self._halt.set()  # the thread leaves the group (its revocation runs on this loop)
        done, self._consumer_done = self._consumer_done, None
        if done is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(done), PRODUCE_TIMEOUT_S)
        self._consumer = None
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop(PRODUCE_TIMEOUT_S)
        await self.sender.close()
        await self.configs.stop()
        metrics.unwatch_queue(self.queue)
        self._ready = False

    def ready(self) -> bool:
        return self._ready

    async def wait_ready(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._ready:
            for task in self._tasks:
                if task.done():
                    task.result()
            if time.monotonic() > deadline:
                raise TimeoutError("the delivery stage has no partitions assigned yet")
            await asyncio.sleep(0.05)

    # ---- writing records -------------------------------------------------------------
    async def _start_producer(self) -> AckedProducer:
        """An idempotent ``acks=all`` producer over librdkafka (acknowledged off the loop)."""
        producer = AckedProducer(
            producer_config(
                self.settings,
                timeout_s=PRODUCE_TIMEOUT_S,
                linger_ms=PRODUCE_LINGER_MS,
                client_id=f"{self.group_id}-{id(self):x}",
            )
        )
        try:
            await producer.start(PRODUCE_TIMEOUT_S)
        except BaseException:
            with contextlib.suppress(Exception):
                await producer.stop(0)
            raise
        return producer

    def _send(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None
    ) -> asyncio.Future[int]:
        """Queue one record; the future resolves once Kafka acknowledged it."""
        assert self._producer is not None
        return self._producer.send(topic, key, value, partition)

    def _send_many(self, records: list[Record]) -> asyncio.Future[None]:
        """Queue ``records``; the future resolves once Kafka acknowledged all of them."""
        assert self._producer is not None
        return self._producer.send_many(records)

    async def _renew_broken_producer(self) -> None:
        """Replace a producer librdkafka declared fatally broken (its records all fail)."""
        broken = self._producer
        if broken is None or broken.fatal_error is None:
            return
        log.error("delivery: the producer failed (%s); starting another", broken.fatal_error.str())
        self._producer = await self._start_producer()
        with contextlib.suppress(Exception):
            await broken.stop(0)

    def _topic_specs(self) -> list[TopicSpec]:
        wanted = {*self.inputs, self.deliveries_topic, self.settings.topic(APP_CONFIG)}
        specs = [s for s in topic_specs(self.settings) if s.name in wanted]
        return [*specs, retry_topic_spec(self.settings)]

    # ---- rebalancing -------------------------------------------------------------
    # librdkafka calls these on the consumer thread, inside poll(), between two
    # batches (so no batch is in hand); they run the work on the loop and wait.
    def _on_revoke(self, consumer: Consumer, partitions: list[KafkaPartition]) -> None:
        self._on_loop(self._on_revoked())

    def _on_assign(self, consumer: Consumer, partitions: list[KafkaPartition]) -> None:
        numbers = {tp.partition for tp in partitions}
        while True:  # no input is read before the partitions' retries are loaded
            try:
                self._on_loop(self._on_assigned(numbers))
                break
            except _LoopGone:
                raise
            except Exception as exc:
                log.warning("delivery: loading retries failed (%s); retrying", exc)
                if self._halt.wait(1):
                    break
        consumer.assign(partitions)  # from the committed offsets

    async def _on_revoked(self) -> None:
        self._dispatching.clear()
        self._ready = False
        # (called between two batches: the last one is written and committed)
        await self._drain(self.settings.delivery_timeout_ms / 1000 + 5)

    async def _on_assigned(self, partitions: set[int]) -> None:
        gone = self.owned - partitions
        if gone:
            self.queue.drop_partitions(gone)
            for backlog in self._host_backlog.values():
                kept = [p for p in backlog if p.partition not in gone]
                backlog.clear()
                backlog.extend(kept)
        self._loaded -= gone
        self.owned = set(partitions)
        new = partitions - self._loaded  # (a failed load is tried again)
        if new:
            loaded = await self._load(new)
            self._loaded |= new
            log.info("delivery: loaded %d pending deliveries of partitions %s", loaded, sorted(new))
        self._ready = True
        self._dispatching.set()
        self._wake.set()

    async def _load(self, partitions: set[int]) -> int:
        """Read retry-topic ``partitions`` to their end; queue what is still pending."""
        tps = [TopicPartition(self.retry_topic, p) for p in sorted(partitions)]
        reader = make_consumer(self.settings, group_id=None, enable_auto_commit=False)
        await reader.start()
        latest: dict[bytes, tuple[int, bytes | None]] = {}
        try:
            reader.assign(tps)
            await reader.seek_to_beginning(*tps)
            ends = await reader.end_offsets(tps)
            remaining = {tp for tp in tps if ends[tp] > 0}
            while remaining:
                batch = await reader.getmany(*remaining, timeout_ms=500)
                for tp, records in batch.items():
                    for record in records:
                        if record.key is not None:
                            latest[record.key] = (tp.partition, record.value)
                for tp in list(remaining):
                    if await reader.position(tp) >= ends[tp]:
                        remaining.discard(tp)
        finally:
            await reader.stop()
        count = 0
        for key, (partition, value) in latest.items():
            if value is None:
                continue
            try:
                pending = decode_pending(value, partition)
                if pending.delivery.delivery_id not in self.queue:
                    self.queue.put(pending)
                    count += 1
            except ValueError as exc:
                log.warning("delivery: skipping retry record %r: %s", key[:64], exc)
        return count

    # ---- reading decisions ---------------------------------------------------------
    async def _watch(self, done: asyncio.Future[None]) -> None:
        """Raises what stopped the consumer thread (``wait_ready`` reports it)."""
        await asyncio.shield(done)

    def _consumer_thread(self, consumer: Consumer, done: asyncio.Future[None]) -> None:
        loop = self._loop
        assert loop is not None
        try:
            self._read(consumer)
        except BaseException as exc:
            if not isinstance(exc, _LoopGone):
                log.exception("delivery: the consumer thread failed")
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, done, exc)
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, done, None)

    def _read(self, consumer: Consumer) -> None:
        """The consumer thread: read a batch, have the loop plan and write it, commit."""
        try:
            while not self._halt.is_set():
                first = consumer.poll(0.2)  # (rebalance callbacks run in here)
                if first is None:
                    continue
                # what else is fetched already, without waiting for more
                messages = [first, *consumer.consume(POLL_RECORDS - 1, 0)]
                records = []
                for message in messages:
                    error = message.error()
                    if error is None:
                        records.append(message)
                    elif error.code() != KafkaError._PARTITION_EOF:
                        log.warning("delivery: reading decisions: %s", error)
                if records:
                    self._take(consumer, records)
        finally:
            with contextlib.suppress(_LoopGone):
                consumer.close()  # leaves the group: its revocation runs here

    def _take(self, consumer: Consumer, records: list[Any]) -> None:
        """Plan, write and commit one batch; on failure, read it again from its start."""
        try:
            planned, offsets = self._on_loop(self._write_planned(records))
            if offsets:
                consumer.commit(offsets=offsets, asynchronous=False)
            if planned:
                self._on_loop(self._enqueue(planned))
        except _LoopGone:
            raise
        except Exception:
            log.exception("delivery: a batch failed; it will be read again")
            firsts: dict[tuple[str, int], int] = {}
            for record in records:
                firsts.setdefault((record.topic(), record.partition()), record.offset())
            self._rewind(consumer, firsts)
            self._halt.wait(1)

    @staticmethod
    def _rewind(consumer: Consumer, firsts: dict[tuple[str, int], int]) -> None:
        assigned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
        for (topic, partition), offset in firsts.items():
            if (topic, partition) in assigned:
                with contextlib.suppress(Exception):
                    consumer.seek(KafkaPartition(topic, partition, offset))

    def _on_loop(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on the service's loop from the consumer thread; its result."""
        loop = self._loop
        assert loop is not None
        try:
            future = asyncio.run_coroutine_threadsafe(coro, loop)
        except RuntimeError as exc:  # the loop is closed
            coro.close()
            raise _LoopGone() from exc
        while True:
            try:
                return future.result(timeout=1.0)
            except FutureTimeout:
                if loop.is_closed() or not loop.is_running():
                    future.cancel()
                    raise _LoopGone() from None

    async def _write_planned(
        self, records: list[Any]
    ) -> tuple[list[Pending], list[KafkaPartition]]:
        """Plan a batch and write its new deliveries to the retry topic (acknowledged).

        Returns them, and the offsets to commit once they are written.
        """
        await self._renew_broken_producer()
        planned: list[Pending] = []
        taken: set[str] = set()
        due = now_ms()
        nexts: dict[tuple[str, int], int] = {}
        loaded = self._loaded
        queue = self.queue
        for record in records:
            topic = record.topic()
            partition = record.partition()
            if partition not in loaded:  # never expected: assignment loads first
                raise RuntimeError(f"partition {partition} read before its retries loaded")
            nexts[topic, partition] = record.offset() + 1
            for delivery in self._plan(self.inputs[topic], record):
                ident = delivery.delivery_id
                if ident in queue or ident in taken:
                    continue
                taken.add(ident)
                planned.append(Pending(delivery, 1, due, partition))
        if planned:
            topic = self.retry_topic
            await self._send_many(
                [
                    (topic, p.delivery.delivery_id.encode(), encode_pending(p), p.partition)
                    for p in planned
                ]
            )
        return planned, [KafkaPartition(t, p, o) for (t, p), o in nexts.items()]

    async def _enqueue(self, planned: list[Pending]) -> None:
        """Once their offsets are committed: the new deliveries are due."""
        for pending in planned:
            self.queue.put(pending)
        self._wake.set()

    def _plan(self, kind: str, record: Any) -> list[Delivery]:
        """The deliveries of one consumed record (a librdkafka message)."""
        raw = record.value()
        if raw is None:
            return []
        try:
            value = self.codec.decode(raw, expect=_RECORDS[kind])
        except AvroDecodeError as exc:
            metrics.SKIPPED.labels(exc.reason).inc()
            log.warning(
                "delivery: unreadable %s record at %s[%d]@%d: %s",
                kind,
                record.topic(),
                record.partition(),
                record.offset(),
                exc.reason,
            )
            return []
        config = self.configs.get(str(value.get("app_id")))
        try:
            return plan(kind, value, config, record.timestamp()[1])
        except Exception as exc:  # a record the planner cannot handle must not stop the stage
            metrics.SKIPPED.labels("plan_error").inc()
            log.warning("delivery: cannot plan %s record: %s", kind, type(exc).__name__)
            return []

    # ---- attempts ------------------------------------------------------------------
    async def _dispatch(self) -> None:
        while not self._stopping.is_set():
            await self._dispatching.wait()
            self._wake.clear()
            current = now_ms()
            for pending in list(self.queue.pop_due(current)):
                if not self._dispatching.is_set():
                    self.queue.put(pending)  # back in the queue: partitions are moving
                    continue
                try:
                    self._launch_or_hold(pending)
                except Exception:  # never lose the dispatcher over one delivery
                    log.exception("delivery: cannot start an attempt; it is due again in 5 s")
                    pending.due_ms = now_ms() + 5_000
                    self.queue.put(pending)
            next_due = self.queue.next_due_ms()
            wait = 1.0 if next_due is None else max(0.0, (next_due - now_ms()) / 1000)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(wait, 1.0))

    def _launch_or_hold(self, pending: Pending) -> None:
        host = pending.delivery.host
        if self._per_host[host] >= self.settings.delivery_max_per_host:
            self._host_backlog[host].append(pending)
            return
        self._per_host[host] += 1
        task = asyncio.create_task(self._attempt(pending))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _attempt(self, pending: Pending) -> None:
        """One attempt: the request under the host's slot, then its record.

        The host's slot is given back as soon as the answer is in, so that the
        next request to that host does not wait for Kafka's acknowledgements
        of this one; the global in-flight bound covers both.
        """
        delivery = pending.delivery
        host = delivery.host
        holding_host = True
        try:
            async with self._slots:
                if pending.partition not in self.owned or self._stopping.is_set():
                    return
                try:
                    if delivery.kind == PUSH:
                        signed = self._signed(delivery)
                        if signed is None:  # removed from the app since: not sent
                            result = Attempt(None, 0, now_ms(), _UNCONFIGURED, blocked=True)
                        else:
                            result = await self.sender.attempt(signed)
                    else:
                        result = await self.sender.attempt(delivery)
                finally:
                    holding_host = False
                    self._release_host(host)
                await self._record(pending, result)
        except Exception:
            log.exception("delivery: recording an attempt failed; it will be made again")
            if pending.partition in self.owned:
                pending.due_ms = now_ms() + 5_000
                self.queue.put(pending)
        finally:
            if holding_host:
                self._release_host(host)

    def _signed(self, delivery: Delivery) -> Delivery | None:
        """The push signed with its endpoint's current secret; None once it is removed."""
        config = self.configs.get(delivery.app_id)
        for endpoint in config.push_endpoints if config is not None else ():
            if endpoint.url == delivery.url:
                body = delivery.body or b""
                return dataclasses.replace(delivery, signature=sign(body, endpoint.secret))
        return None

    def _release_host(self, host: str) -> None:
        self._per_host[host] -= 1
        backlog = self._host_backlog.get(host)
        if backlog:
            self._launch_or_hold(backlog.popleft())
        elif self._per_host[host] <= 0:
            self._host_backlog.pop(host, None)
            self._per_host.pop(host, None)

    async def _record(self, pending: Pending, result: Attempt) -> None:
        delivery = pending.delivery
        finished_ms = result.started_ms + result.latency_ms
        if result.blocked:  # a blocked or removed destination: failed, never retried
            verdict = judge(403, pending.attempt, finished_ms, self.schedule)
        else:
            verdict = judge(result.http_status, pending.attempt, finished_ms, self.schedule)
        record = {
            "delivery_id": delivery.delivery_id,
            "attempt": pending.attempt,
            "app_id": delivery.app_id,
            "kind": delivery.kind,
            "media_source": delivery.media_source,
            "endpoint": delivery.endpoint,
            "host": delivery.host,
            "status": verdict.status,
            "http_status": result.http_status,
            "latency_ms": result.latency_ms,
            "attempted_at": result.started_ms,
            "next_attempt_at": verdict.next_attempt_ms,
            "error": result.error,
            "subject_id": delivery.subject_id,
        }
        value = self.codec.encode("PostbackDelivery", record)
        if verdict.status == RETRY:
            assert verdict.next_attempt_ms is not None
            following = Pending(
                delivery, pending.attempt + 1, verdict.next_attempt_ms, pending.partition
            )
            state: bytes | None = encode_pending(following)
        else:
            following = None
            state = None
        await self._outcomes.write(
            Outcome(
                delivery_key=delivery.app_id.encode(),
                delivery_value=value,
                retry_key=delivery.delivery_id.encode(),
                retry_value=state,
                partition=pending.partition,
            )
        )
        self._attempts_counter(delivery.kind, verdict.status).inc()
        if verdict.status == DELIVERED:
            self._latency_histogram(delivery.kind).observe(
                max(0, finished_ms - delivery.decided_ms) / 1000
            )
        elif verdict.status == DEAD:
            metrics.DEAD.labels(delivery.kind).inc()
        if following is not None and pending.partition in self.owned:
            self.queue.put(following)
            self._wake.set()
        else:
            self.queue.discard(delivery.delivery_id)

    async def _drain(self, seconds: float) -> None:
        tasks = list(self._in_flight)
        if tasks:
            await asyncio.wait(tasks, timeout=seconds)

    def _attempts_counter(self, kind: str, status: str) -> Any:
        counter = self._counters.get((kind, status))
        if counter is None:
            counter = self._counters[(kind, status)] = metrics.ATTEMPTS.labels(kind, status)
        return counter

    def _latency_histogram(self, kind: str) -> Any:
        histogram = self._histograms.get(kind)
        if histogram is None:
            histogram = self._histograms[kind] = metrics.LATENCY.labels(kind)
        return histogram


def _settle(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)


__all__ = ["DeliveryService", "retry_topic", "retry_topic_spec"]
