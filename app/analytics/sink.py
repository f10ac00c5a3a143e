"""The ClickHouse sink: output topics (and touches and sessions) into the tables of analytics.md.

A plain aiokafka consumer group (``<faust_app_id>-sink``), not a Faust agent:
Faust's per-message stream machinery tops out at a few thousand records per
second, while this loop moves whole ``getmany`` batches. One consumer reads
every sunk topic; pods running the sink share the partitions.

The loop, and why it is exact:

1. Collect a batch (:mod:`attrib.analytics.batch`): up to 50,000 values, or
   whatever arrived within 1 s of the batch's first value (analytics.md).
2. Insert each table's values (:mod:`attrib.analytics.writer`) from worker
   threads, so that the event loop, and whatever else runs on it in the
   worker process, carries on. A table's values go out in up to ``lanes``
   concurrent inserts: the server parses them on several cores.
3. Only when every insert of the batch was acknowledged, commit the offsets
   after its last values. Batches are committed in order; the next batch is
   collected while the previous one is written.

Beside the loop, a task refreshes the day summaries the reports read every
``ATTRIB_SUMMARY_REFRESH_INTERVAL`` (:mod:`attrib.analytics.summaries`).

A failed insert is retried with exponential backoff, forever, without
committing; meanwhile the consumer keeps polling with its partitions paused
so that the group does not evict it during a long outage. A crash at any
point replays the uncommitted records, which then reach ClickHouse a second
time. That is harmless by construction: every table is a ReplacingMergeTree
keyed by the record's natural id and every report reads with FINAL, so a
replayed record, like a repeated ``event_id``, is counted once
(docs/analytics.md explains why batch deduplication tokens were not enough).

The service applies the DDL migrations when it starts (retrying until
ClickHouse answers); :meth:`SinkService.ready` turns true once the schema is
in place and the consumer runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from clickhouse_connect.driver.client import Client

from attrib.admission import SinkAdmission
from attrib.analytics import clickhouse
from attrib.analytics.batch import Batch, BatchAssembler, log_rejection
from attrib.analytics.metrics import SINK_BATCH_SECONDS, SINK_ERRORS, SINK_LAG, SINK_ROWS
from attrib.analytics.migrations import Target, apply_migrations
from attrib.analytics.summaries.refresher import SummaryRefresher
from attrib.analytics.targets import ADMITTED_TABLES, DEAD_LETTERS, TARGETS, topic_targets
from attrib.analytics.writer import TableWriter, Value, WriteResult
from attrib.avro.codec import AvroCodec, default_codec
from attrib.kafka.client import ensure_topics, make_consumer
from attrib.registry import AppConfigCache
from attrib.settings import Settings
from attrib.topics import APP_CONFIG, topic_specs

log = logging.getLogger(__name__)

T = TypeVar("T")
Groups = dict[bytes, list[Value]]

MAX_BATCH_ROWS = 50_000
MAX_BATCH_SECONDS = 1.0
INSERT_LANES = 2
MIN_LANE_ROWS = 10_000  # smaller writes go out whole: more parts would only cost merges
_IDLE_POLL_SECONDS = 0.5
# Values taken per getmany: parsing them holds the event loop, so keep each bite small.
POLL_RECORDS = 2_000


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: ``first`` doubling up to ``cap`` seconds."""

    first: float = 0.2
    cap: float = 10.0

    def delay(self, attempt: int) -> float:
        base = min(self.cap, self.first * (2 ** min(attempt, 30)))
        return base * random.uniform(0.8, 1.0)


def split(groups: Groups, parts: int) -> list[Groups]:
    """``groups`` cut into at most ``parts`` pieces of about equal size (order kept)."""
    total = sum(len(values) for values in groups.values())
    share = max(1, -(-total // parts))
    pieces: list[Groups] = []
    current: Groups = {}
    room = share
    for fingerprint, values in groups.items():
        start = 0
        while start < len(values):
            take = values[start : start + room]
            current.setdefault(fingerprint, []).extend(take)
            start += len(take)
            room -= len(take)
            if room == 0:
                pieces.append(current)
                current, room = {}, share
    if current:
        pieces.append(current)
    return pieces


class SinkService:
    """Consumes the sunk topics and writes them to ClickHouse; see the module docstring.

    ``start()`` returns at once (the work runs in a background task);
    ``stop()`` writes and commits the batch in hand if ClickHouse lets it
    within the grace period, else leaves it to be read again.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        topic_names: Iterable[str] | None = None,
        max_batch_rows: int = MAX_BATCH_ROWS,
        max_batch_seconds: float = MAX_BATCH_SECONDS,
        lanes: int = INSERT_LANES,
        backoff: Backoff | None = None,
        client_factory: Callable[[], Client] | None = None,
        codec: AvroCodec | None = None,
    ) -> None:
        self.settings = settings
        self.group_id = f"{settings.faust_app_id}-sink"
        self.targets = topic_targets(settings, topic_names)
        self.max_batch_rows = max_batch_rows
        self.max_batch_seconds = max_batch_seconds
        self.lanes = max(1, lanes)
        self.backoff = backoff or Backoff()
        self._client_factory = client_factory or (lambda: clickhouse.connect(settings))
        codec = codec or default_codec()
        # Touches and sessions: only those the worker accepts (attrib.admission), which
        # takes the app registry; the sink reads it like every worker does.
        admitted = any(target.table in ADMITTED_TABLES for target in self.targets.values())
        self._registry = AppConfigCache(settings) if admitted else None
        admission = None
        if self._registry is not None:
            registry = self._registry
            admission = SinkAdmission(codec.schemas, lambda app: registry.get(app) is not None)
        self._assembler = BatchAssembler(settings, self.targets, codec, admission)
        self._writers = {name: TableWriter(target, codec) for name, target in TARGETS.items()}
        self._clients: list[Client | None] = [None] * self.lanes
        self._consumer: AIOKafkaConsumer | None = None
        self._polling = asyncio.Lock()  # one getmany at a time: collecting, or idling in a retry
        self._retrying = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._ready = False
        self._state = "not started"

    # ---- lifecycle ---------------------------------------------------------------
    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="clickhouse sink")

    async def stop(self, grace_seconds: float = 15.0) -> None:
        """Stop consuming; the batch in hand gets ``grace_seconds`` to be written."""
        task, self._task = self._task, None
        self._stopping.set()
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), grace_seconds)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            except Exception:
                pass  # logged by the task itself
        self._state = "stopped"

    def ready(self) -> bool:
        """True once the schema is in place and the consumer runs.

        It stays true while ClickHouse is away: the sink is then doing its
        job (holding offsets, retrying); :meth:`check` says what it waits for.
        """
        return self._ready

    def check(self) -> tuple[bool, str]:
        """``(ready, detail)``, the shape of :mod:`attrib.readiness` checks."""
        return self._ready, self._state

    async def wait_ready(self, seconds: float) -> None:
        """Return once :meth:`ready`; raise ``TimeoutError`` after ``seconds``."""
        deadline = time.monotonic() + seconds
        while not self._ready:
            if self._task is not None and self._task.done():
                self._task.result()  # re-raises what ended it
                raise RuntimeError("the ClickHouse sink stopped before it was ready")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the ClickHouse sink is not ready: {self._state}")
            await asyncio.sleep(0.05)

    # ---- the loop ------------------------------------------------------------------
    async def _run(self) -> None:
        flushing: asyncio.Task[None] | None = None
        summaries: asyncio.Task[None] | None = None
        try:
            consumer = await self._prepare()
            refresher = SummaryRefresher(
                self._client_factory, self.settings.summary_refresh_interval_s
            )
            summaries = asyncio.create_task(refresher.run(self._stopping), name="summaries")
            self._ready = True
            self._state = "consuming"
            while not self._stopping.is_set():
                batch = await self._collect(consumer)
                if flushing is not None:
                    await flushing  # batches commit in order
                    flushing = None
                if batch:  # also on the way out: a clean stop leaves nothing to replay
                    flushing = asyncio.create_task(self._flush(consumer, batch))
            if flushing is not None:
                await flushing
        except Exception as exc:
            if not self._stopping.is_set():
                self._state = f"failed: {type(exc).__name__}: {exc}"
                log.exception("the ClickHouse sink failed")
                raise
            log.warning("sink stopped with a batch not written; it will be read again (%s)", exc)
        finally:
            self._ready = False
            if flushing is not None and not flushing.done():
                flushing.cancel()
            if summaries is not None:
                summaries.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await summaries
            await self._close()

    async def _close(self) -> None:
        if self._registry is not None:
            with contextlib.suppress(Exception):
                await self._registry.stop()
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.stop()
        clients, self._clients = self._clients, [None] * self.lanes
        for client in clients:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()

    async def _prepare(self) -> AIOKafkaConsumer:
        """Schema, topics and consumer, each retried until its server answers."""
        target = Target(self.settings.clickhouse_database, self.settings.clickhouse_cluster)

        def migrate() -> None:
            admin = clickhouse.connect(self.settings, database="")
            try:
                applied = apply_migrations(admin, target)
            finally:
                admin.close()
            if applied:
                log.info("applied ClickHouse schema versions %s to %s", applied, target.database)

        self._state = "applying the ClickHouse schema"
        await self._retry("schema", lambda: asyncio.to_thread(migrate))
        self._state = "creating topics"
        wanted = set(self.targets) | {self.settings.topic(APP_CONFIG)}
        specs = [s for s in topic_specs(self.settings) if s.name in wanted]
        await self._retry("topics", lambda: ensure_topics(self.settings, specs))
        if self._registry is not None:
            self._state = "reading the app registry"
            await self._retry("app registry", self._registry.start)
        self._state = "connecting the consumer"
        self._consumer = await self._retry("kafka", self._start_consumer)
        return self._consumer

    async def _start_consumer(self) -> AIOKafkaConsumer:
        consumer = make_consumer(
            self.settings,
            *self.targets,
            group_id=self.group_id,
            client_id=f"{self.group_id}-{id(self):x}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 << 20,
            fetch_max_bytes=64 << 20,
            fetch_max_wait_ms=200,
        )
        try:
            await consumer.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await consumer.stop()
            raise
        return consumer

    async def _retry(self, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """Await ``attempt()`` until it succeeds (or the service stops), backing off."""
        failures = 0
        while True:
            try:
                return await attempt()
            except Exception as exc:
                if self._stopping.is_set():
                    raise
                delay = self.backoff.delay(failures)
                failures += 1
                self._state = f"waiting for {what}: {type(exc).__name__}"
                log.warning(
                    "sink: %s failed (%s: %s); retrying in %.1f s",
                    what,
                    type(exc).__name__,
                    str(exc)[:300],
                    delay,
                )
                await asyncio.sleep(delay)

    async def _collect(self, consumer: AIOKafkaConsumer) -> Batch:
        """Up to ``max_batch_rows`` values, or those read within the batch's first second.

        Cut short while the previous batch is being retried: its retry loop
        polls the consumer then, and a batch waiting behind it would only
        grow stale.
        """
        batch = Batch()
        deadline: float | None = None
        while batch.size < self.max_batch_rows and not self._stopping.is_set():
            if self._retrying:
                break
            wait = _IDLE_POLL_SECONDS if deadline is None else deadline - time.monotonic()
            if wait <= 0:
                break
            async with self._polling:
                fetched = await consumer.getmany(
                    timeout_ms=max(1, int(wait * 1000)),
                    max_records=min(POLL_RECORDS, self.max_batch_rows - batch.size),
                )
            for tp, messages in fetched.items():
                if messages:
                    self._assembler.add(batch, tp, messages)
                    if deadline is None:
                        deadline = time.monotonic() + self.max_batch_seconds
            # getmany does not yield while it has records buffered: let the
            # previous batch's flush, and the rest of the process, run.
            await asyncio.sleep(0)
        return batch

    async def _flush(self, consumer: AIOKafkaConsumer, batch: Batch) -> None:
        started = time.monotonic()
        # A fixed order (by name) makes a failure leave the same tables written every time.
        for table in sorted(t for t in batch.groups if t != DEAD_LETTERS):
            result = await self._write(consumer, table, batch.groups[table])
            for rejection in result.rejected:
                self._assembler.reject(batch, table, rejection)
        # Last: writing the other tables may have added dead letters.
        if batch.rows(DEAD_LETTERS):
            result = await self._write(consumer, DEAD_LETTERS, batch.groups[DEAD_LETTERS])
            for rejection in result.rejected:
                log_rejection(DEAD_LETTERS, rejection)
        await self._commit(consumer, batch.next_offsets)
        SINK_BATCH_SECONDS.observe(time.monotonic() - started)

    async def _write(self, consumer: AIOKafkaConsumer, table: str, groups: Groups) -> WriteResult:
        """All of ``groups`` into ``table``, in concurrent lanes, retrying failed lanes."""
        rows = sum(len(values) for values in groups.values())
        lanes = max(1, min(self.lanes, rows // MIN_LANE_ROWS))
        pending = list(enumerate(split(groups, lanes)))
        result = WriteResult()
        failures = 0
        while pending:
            outcomes = await asyncio.gather(
                *(self._write_lane(lane, table, part) for lane, part in pending),
                return_exceptions=True,
            )
            failed = []
            for (lane, part), outcome in zip(pending, outcomes, strict=True):
                if isinstance(outcome, WriteResult):
                    result.add(outcome)
                    SINK_ROWS.labels(table).inc(outcome.rows)
                elif isinstance(outcome, Exception):
                    failed.append((lane, part, outcome))
                else:
                    raise outcome  # CancelledError and friends
            pending = [(lane, part) for lane, part, _ in failed]
            if not failed:
                break
            if self._stopping.is_set():
                raise failed[0][2]
            delay = self.backoff.delay(failures)
            failures += 1
            self._note_failure(table, [exc for _, _, exc in failed], delay)
            self._retrying = True
            try:
                await self._idle(consumer, delay)
            finally:
                self._retrying = False
        if failures:
            log.warning("sink: %s written after %d failed attempts", table, failures)
        self._state = "consuming"
        return result

    async def _write_lane(self, lane: int, table: str, groups: Groups) -> WriteResult:
        client = self._clients[lane]
        try:
            if client is None:
                client = self._clients[lane] = await asyncio.to_thread(self._client_factory)
            return await asyncio.to_thread(self._writers[table].write, client, groups)
        except Exception as exc:
            if client is not None and clickhouse.is_unreachable(exc):
                self._clients[lane] = None  # a fresh connection on the next attempt
                with contextlib.suppress(Exception):
                    client.close()
            raise

    def _note_failure(self, table: str, errors: Sequence[Exception], delay: float) -> None:
        reasons = sorted({clickhouse.failure_reason(exc) for exc in errors})
        for exc in errors:
            SINK_ERRORS.labels(table, clickhouse.failure_reason(exc)).inc()
        self._state = f"retrying {table}: {', '.join(reasons)}"
        first = errors[0]
        log.warning(
            "sink: writing to %s failed (%s: %s); retrying in %.1f s",
            table,
            type(first).__name__,
            str(first)[:300],
            delay,
        )

    async def _idle(self, consumer: AIOKafkaConsumer, seconds: float) -> None:
        """Wait while staying a live group member: poll with every partition paused."""
        async with self._polling:
            paused = list(consumer.assignment())
            consumer.pause(*paused)
            try:
                fetched = await consumer.getmany(timeout_ms=int(seconds * 1000))
                # Partitions assigned by a rebalance meanwhile are not paused: put
                # back what they returned, so that nothing read is left out.
                for tp, messages in fetched.items():
                    if messages:
                        consumer.seek(tp, messages[0].offset)
            except KafkaError as exc:
                log.warning("sink: polling while ClickHouse is away failed: %s", exc)
                await asyncio.sleep(seconds)
            finally:
                assigned = consumer.assignment()
                consumer.resume(*[tp for tp in paused if tp in assigned])

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        """Commit after a batch; partitions lost to a rebalance are replayed by their new owner."""
        assigned = consumer.assignment()
        mine = {tp: offset for tp, offset in offsets.items() if tp in assigned}
        if not mine:
            return
        try:
            await consumer.commit(mine)
        except KafkaError as exc:
            log.warning("sink: commit failed (%s); those records will be written again", exc)
            return
        still = consumer.assignment()  # a rebalance may have taken some meanwhile
        for tp, offset in mine.items():
            if tp not in still:
                continue  # aiokafka asserts on the highwater of an unassigned partition
            highwater = consumer.highwater(tp)
            if highwater is not None:
                SINK_LAG.labels(tp.topic, str(tp.partition)).set(max(0, highwater - offset))
