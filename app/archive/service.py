"""The archiver: a consumer group that writes every record of the archived topics to Parquet.

Run it with ``attrib archive`` (its own Deployment) or inside each worker
(``ATTRIB_WORKER_ARCHIVE=true``). It is one librdkafka consumer in the
group ``<faust_app_id>-archive``, driven by one thread that does everything
in order: read a batch, add it to its partition's buffer, flush the buffers
that are due (:mod:`attrib.archive.flush`), commit. Because a flush runs on
the thread that also serves rebalances, a partition is never revoked in the
middle of its flush, and its next owner finds either a finished manifest or
an intent to clean up, never a writer still at work.

A buffer is due when it holds ``ATTRIB_ARCHIVE_FLUSH_ROWS`` records, or
``ATTRIB_ARCHIVE_FLUSH_BYTES`` of values, or its first record was read
``ATTRIB_ARCHIVE_FLUSH_INTERVAL`` ago. Revoked partitions are flushed before
they are handed over; a clean stop flushes everything. A failed flush (the
object store away) is retried with backoff while the consumer keeps its
group membership with every partition paused; nothing is committed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, TopicPartition

from attrib.archive import metrics
from attrib.archive.flush import Flush, Manifest, Recovery, recover, write_flush
from attrib.archive.layout import ARCHIVED_TOPICS
from attrib.archive.store import ArchiveStore, LocalStore, open_store
from attrib.avro.codec import AvroCodec, default_codec
from attrib.kafka.acked import librdkafka_config
from attrib.settings import Settings

log = logging.getLogger(__name__)

POLL_RECORDS = 5_000
POLL_SECONDS = 0.5
BACKOFF_FIRST_S = 0.5
BACKOFF_CAP_S = 30.0


@dataclass(frozen=True)
class FlushPolicy:
    """When a partition's buffer is written out."""

    rows: int = 200_000
    bytes: int = 64 << 20
    seconds: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> FlushPolicy:
        return cls(
            rows=settings.archive_flush_rows,
            bytes=settings.archive_flush_bytes,
            seconds=settings.archive_flush_interval_s,
        )


class _Buffer:
    __slots__ = ("flush", "opened", "size")

    def __init__(self, topic: str, partition: int, first: int) -> None:
        self.flush = Flush(topic, partition, first)
        self.size = 0
        self.opened = 0.0  # monotonic time of the first record; 0 while empty


class Archiver:
    """The synchronous loop of the module docstring; :meth:`run` until ``stop`` is set."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: ArchiveStore | None = None,
        topics: Iterable[str] = ARCHIVED_TOPICS,
        policy: FlushPolicy | None = None,
        codec: AvroCodec | None = None,
    ) -> None:
        self.settings = settings
        self.store = store or open_store(settings.archive_location)
        self.short = {settings.topic(t): t for t in topics}
        self.policy = policy or FlushPolicy.from_settings(settings)
        self.codec = codec or default_codec()
        self.group_id = f"{settings.faust_app_id}-archive"
        self.buffers: dict[tuple[str, int], _Buffer] = {}
        self.stop_event = threading.Event()
        self.assigned = threading.Event()  # set once the first assignment is recovered
        self.flushed = 0  # flushes written (tests and the progress line read it)
        self.archived = 0  # records written
        self.assigned_at = 0.0  # monotonic time of the first assignment (the benchmark reads it)
        self.failure: BaseException | None = None
        self._consumer: Consumer | None = None

    # ---- the loop ---------------------------------------------------------------
    def run(self, *, until_end: bool = False) -> None:
        """Archive until :attr:`stop_event` is set, or (``until_end``) the topics' ends."""
        try:
            self._run(until_end)
        except BaseException as exc:
            self.failure = exc
            raise

    def _run(self, until_end: bool) -> None:
        if isinstance(self.store, LocalStore):
            self.store.remove_temporaries()
        config = {
            **librdkafka_config(self.settings),
            "group.id": self.group_id,
            "client.id": f"{self.group_id}-{id(self):x}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "partition.assignment.strategy": "range",
            # A flush of a full buffer to object storage may take a while; the
            # rebalance waits for it rather than evicting this member.
            "max.poll.interval.ms": 600_000,
            "fetch.max.bytes": 64 << 20,
            "logger": logging.getLogger("attrib.kafka.librdkafka"),
        }
        consumer = self._consumer = Consumer(config)
        consumer.subscribe(
            list(self.short),
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        try:
            while not self.stop_event.is_set():
                messages = consumer.consume(POLL_RECORDS, POLL_SECONDS)
                self._take(messages)
                self._flush_due(time.monotonic())
                if until_end and not messages and self._at_end(consumer):
                    break
            self._flush_all("stopping")
        finally:
            self._consumer = None
            with contextlib.suppress(Exception):
                consumer.close()

    def _at_end(self, consumer: Consumer) -> bool:
        """Every assigned partition read to its end offset (at least one assigned)."""
        if not self.assigned.is_set():
            return False
        positions = consumer.position(consumer.assignment())
        if not positions:
            return False
        for tp in positions:
            # cached: the end offset the last fetch response brought (no broker round trip)
            _low, high = consumer.get_watermark_offsets(tp, cached=True)
            if high < 0 or (tp.offset < high and not (tp.offset < 0 and high == 0)):
                return False
        return True

    def _take(self, messages: list[Any]) -> None:
        """Add a consumed batch to the buffers, partition by partition."""
        runs: dict[tuple[str, int], list[Any]] = {}
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    log.warning("archive: consumer error: %s", error)
                continue
            key = (message.topic(), message.partition())
            run = runs.get(key)
            if run is None:
                run = runs[key] = []
            run.append(message)
        now = time.monotonic()
        for (topic, partition), run in runs.items():
            buffer = self.buffers.get((self.short[topic], partition))
            if buffer is None:  # fetched before a revocation
                continue
            rows = [(m.offset(), m.timestamp()[1], m.key(), m.value()) for m in run]
            last = buffer.flush.last
            if rows[0][0] <= last:  # already buffered (a seek replayed it)
                rows = [row for row in rows if row[0] > last]
                if not rows:
                    continue
            buffer.flush.records.extend(rows)
            buffer.size += sum(len(row[3]) for row in rows if row[3] is not None)
            if not buffer.opened:
                buffer.opened = now
        metrics.BUFFERED.set(sum(len(b.flush.records) for b in self.buffers.values()))

    def _due(self, buffer: _Buffer, now: float) -> bool:
        policy = self.policy
        return bool(buffer.flush.records) and (
            len(buffer.flush.records) >= policy.rows
            or buffer.size >= policy.bytes
            or now - buffer.opened >= policy.seconds
        )

    def _flush_due(self, now: float) -> None:
        for key in [k for k, b in self.buffers.items() if self._due(b, now)]:
            self._flush(key)

    def _flush_all(self, why: str) -> None:
        for key in [k for k, b in self.buffers.items() if b.flush.records]:
            log.debug("archive: flushing %s[%d] (%s)", *key, why)
            self._flush(key)

    def _flush(self, key: tuple[str, int]) -> None:
        """Write one buffer, retrying until it is written or the partition is gone."""
        failures = 0
        while True:
            buffer = self.buffers.get(key)
            if buffer is None or not buffer.flush.records:
                return  # revoked while retrying: the next owner reads it again
            started = time.monotonic()
            try:
                manifest = write_flush(self.store, buffer.flush, self.codec)
            except Exception as exc:
                failures += 1
                metrics.FLUSH_ERRORS.labels(key[0]).inc()
                delay = min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2 ** min(failures - 1, 10))
                log.warning(
                    "archive: writing %s[%d] failed (%s: %s); retrying in %.1f s",
                    key[0],
                    key[1],
                    type(exc).__name__,
                    str(exc)[:300],
                    delay,
                )
                if self.stop_event.is_set() and failures >= 3:
                    log.warning("archive: stopping; %s[%d] will be read again", *key)
                    return
                self._idle(delay)
                continue
            metrics.FLUSH_SECONDS.observe(time.monotonic() - started)
            self._finished(key, buffer, manifest)
            return

    def _finished(self, key: tuple[str, int], buffer: _Buffer, manifest: Manifest) -> None:
        self.flushed += 1
        self.archived += manifest.rows
        metrics.ARCHIVED_RECORDS.labels(key[0]).inc(manifest.rows)
        metrics.ARCHIVED_BYTES.labels(key[0]).inc(manifest.size)
        metrics.ARCHIVED_FILES.labels(key[0]).inc(len(manifest.files))
        self.buffers[key] = _Buffer(key[0], key[1], manifest.last + 1)
        consumer = self._consumer
        if consumer is None:
            return
        # The manifest chain is the truth; the commit only saves the next owner reading it.
        tp = TopicPartition(self.settings.topic(key[0]), key[1], manifest.last + 1)
        try:
            consumer.commit(offsets=[tp], asynchronous=False)
        except Exception as exc:
            log.info("archive: commit of %s[%d] failed (%s); recovery covers it", *key, exc)

    def _idle(self, seconds: float) -> None:
        """Wait while keeping the group membership: poll with every partition paused."""
        consumer = self._consumer
        if consumer is None:
            time.sleep(seconds)
            return
        assignment = consumer.assignment()
        consumer.pause(assignment)
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not self.stop_event.is_set():
                consumer.consume(POLL_RECORDS, min(0.5, deadline - time.monotonic()))
        finally:
            with contextlib.suppress(Exception):
                consumer.resume([tp for tp in consumer.assignment() if tp in assignment])

    # ---- rebalances (called by librdkafka inside consume()) -------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        committed = consumer.committed(partitions, timeout=30)
        for tp in committed:
            short = self.short[tp.topic]
            start = tp.offset
            if start < 0:  # nothing committed yet: the log's start
                low, _high = consumer.get_watermark_offsets(tp, timeout=30)
                start = low
            found = self._recover(short, tp.partition, start)
            if found.orphans_deleted:
                metrics.ORPHANS_DELETED.inc(found.orphans_deleted)
            self.buffers[short, tp.partition] = _Buffer(short, tp.partition, found.position)
            tp.offset = found.position
        consumer.assign(committed)
        if not self.assigned.is_set():
            self.assigned_at = time.monotonic()
            self.assigned.set()

    def _recover(self, topic: str, partition: int, start: int) -> Recovery:
        """:func:`recover`, retried while the store is away (the rebalance waits)."""
        failures = 0
        while True:
            try:
                return recover(self.store, topic, partition, start)
            except Exception as exc:
                failures += 1
                delay = min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2 ** min(failures - 1, 10))
                log.warning(
                    "archive: recovering %s[%d] failed (%s: %s); retrying in %.1f s",
                    topic,
                    partition,
                    type(exc).__name__,
                    str(exc)[:300],
                    delay,
                )
                time.sleep(delay)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            key = (self.short[tp.topic], tp.partition)
            if key in self.buffers and self.buffers[key].flush.records:
                self._flush(key)
            self.buffers.pop(key, None)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:  # no longer ours: write nothing more for them
            self.buffers.pop((self.short[tp.topic], tp.partition), None)


class ArchiveService:
    """The archiver in a thread of an asyncio process (the worker, or ``attrib archive``)."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        self.archiver = Archiver(settings, **kwargs)
        self._thread: threading.Thread | None = None

    async def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="archiver", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self.archiver.run()
        except BaseException:  # kept in archiver.failure, reported by check()
            log.exception("the archiver failed")

    async def stop(self, grace_seconds: float = 30.0) -> None:
        self.archiver.stop_event.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.join, grace_seconds)

    def ready(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and self.archiver.assigned.is_set()

    def check(self) -> tuple[bool, str]:
        failure = self.archiver.failure
        if failure is not None:
            return False, f"failed: {type(failure).__name__}: {failure}"
        return self.ready(), "archiving" if self.ready() else "waiting for partitions"


__all__ = ["ArchiveService", "Archiver", "FlushPolicy"]
