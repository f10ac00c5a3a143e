"""Every app's current configuration, read from the compacted app-config topic.

Used by the stateless collector and by the workers alike, so it is a plain
aiokafka consumer with no consumer group: each process reads *all* partitions
itself (every process needs every app), nothing is committed, and adding
processes never triggers a rebalance.

:meth:`AppConfigCache.start` replays the topic from the beginning to the end
offsets taken at start and returns only then (the initial load is part of
readiness: a collector that answered before it would 404 existing apps).
A background task then keeps tailing, so a PUT made through any collector
is visible everywhere within about a second. The writer of this process also
applies its own writes directly (:meth:`AppConfigCache.apply`) for
read-your-writes.

A record that cannot be decoded or validated is logged and skipped: one bad
record must never stop a collector or a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from attrib.config import AppConfig
from attrib.kafka.client import make_consumer, security_kwargs
from attrib.registry.errors import RegistryUnavailable
from attrib.registry.metrics import APP_CONFIG_RECORDS
from attrib.registry.records import AppConfigVersion, UnreadableRecord, decode_version
from attrib.settings import Settings
from attrib.topics import APP_CONFIG

log = logging.getLogger(__name__)

Listener = Callable[[AppConfigVersion], None]


class AppConfigCache:
    """In-memory map app_id -> latest :class:`AppConfigVersion`, fed by the app-config topic."""

    def __init__(self, settings: Settings, *, poll_interval_ms: int = 100) -> None:
        self._settings = settings
        self.topic = settings.topic(APP_CONFIG)
        self._poll_interval_ms = poll_interval_ms
        self._entries: dict[str, AppConfigVersion] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: list[TopicPartition] = []
        self._tail_task: asyncio.Task[None] | None = None
        self._loaded = asyncio.Event()
        self._listeners: list[Listener] = []

    # ---- reading ------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        """True once the initial replay reached the end offsets taken at start."""
        return self._loaded.is_set()

    def get(self, app_id: str) -> AppConfig | None:
        entry = self._entries.get(app_id)
        return entry.config if entry is not None else None

    def entry(self, app_id: str) -> AppConfigVersion | None:
        return self._entries.get(app_id)

    def version(self, app_id: str) -> int | None:
        entry = self._entries.get(app_id)
        return entry.version if entry is not None else None

    def all(self) -> list[AppConfig]:
        """Every app's configuration, ordered by app id."""
        return [self._entries[app_id].config for app_id in sorted(self._entries)]

    def __len__(self) -> int:
        return len(self._entries)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` with every version applied from now on (e.g. to drop derived state)."""
        self._listeners.append(listener)

    # ---- writing --------------------------------------------------------------
    def apply(self, entry: AppConfigVersion) -> bool:
        """Take ``entry`` unless a newer version of the app is already held.

        Records are read in offset order, so an equal version replaces (two
        collectors that raced to write the same version converge on the one
        the log kept last).
        """
        current = self._entries.get(entry.app_id)
        if current is not None and current.version > entry.version:
            return False
        self._entries[entry.app_id] = entry
        for listener in self._listeners:
            try:
                listener(entry)
            except Exception:
                log.exception("app-config listener failed for app %s", entry.app_id)
        return True

    def _apply_record(self, record: ConsumerRecord) -> None:
        if record.value is None:  # a tombstone: the app was deleted
            if record.key is not None:
                self._entries.pop(record.key.decode("utf-8", "replace"), None)
            APP_CONFIG_RECORDS.labels("deleted").inc()
            return
        try:
            entry = decode_version(record.key, record.value)
        except UnreadableRecord as exc:
            APP_CONFIG_RECORDS.labels("skipped").inc()
            log.warning(
                "skipping app-config record %s[%d]@%d: %s",
                record.topic,
                record.partition,
                record.offset,
                exc,
            )
            return
        APP_CONFIG_RECORDS.labels("applied").inc()
        self.apply(entry)

    def _apply_batch(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        for records in batch.values():
            for record in records:
                self._apply_record(record)

    # ---- lifecycle ---------------------------------------------------------------
    async def start(self) -> None:
        """Replay the topic to its current end, then keep tailing it in the background.

        Raises :class:`RegistryUnavailable` when the broker cannot be reached
        or the topic does not exist.
        """
        if self._consumer is not None:
            return
        consumer = make_consumer(
            self._settings,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self._poll_interval_ms,
            client_id=f"attrib-app-config-{id(self):x}",
        )
        try:
            partitions = await self._discover_partitions()
            await consumer.start()
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            end_offsets = await consumer.end_offsets(partitions)
            while True:
                positions = {tp: await consumer.position(tp) for tp in partitions}
                if all(positions[tp] >= end_offsets[tp] for tp in partitions):
                    break
                self._apply_batch(await consumer.getmany(timeout_ms=500))
        except RegistryUnavailable:
            await consumer.stop()
            raise
        except Exception as exc:
            await consumer.stop()
            raise RegistryUnavailable(f"cannot load {self.topic}: {exc}") from exc
        self._consumer = consumer
        self._partitions = partitions
        self._loaded.set()
        self._tail_task = asyncio.create_task(self._tail(), name=f"tail {self.topic}")
        log.info("app-config cache loaded: %d apps from %s", len(self._entries), self.topic)

    async def _discover_partitions(self) -> list[TopicPartition]:
        """Every partition of the topic, from a fresh metadata request.

        All topics are described (not just ours) because a metadata request
        naming a missing topic may auto-create it, uncompacted, on brokers
        with ``auto.create.topics.enable``.
        """
        admin = AIOKafkaAdminClient(**security_kwargs(self._settings))
        await admin.start()
        try:
            described = await admin.describe_topics()
        finally:
            await admin.close()
        for topic in described:
            if topic["topic"] == self.topic and topic["partitions"]:
                numbers = sorted(p["partition"] for p in topic["partitions"])
                return [TopicPartition(self.topic, n) for n in numbers]
        raise RegistryUnavailable(
            f"topic {self.topic} does not exist (create it with `attrib topics`)"
        )

    async def _tail(self) -> None:
        assert self._consumer is not None
        consumer = self._consumer
        while True:
            try:
                batch = await consumer.getmany(timeout_ms=1000)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading %s failed; retrying", self.topic)
                await asyncio.sleep(1)
                continue
            self._apply_batch(batch)

    async def stop(self) -> None:
        task, self._tail_task = self._tail_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await consumer.stop()

    async def wait_loaded(self) -> None:
        await self._loaded.wait()

    async def broker_reachable(self, within_s: float = 2.0) -> bool:
        """True when the broker answers an offsets request within ``within_s`` seconds."""
        consumer = self._consumer
        if consumer is None:
            return False
        try:
            async with asyncio.timeout(within_s):
                await consumer.end_offsets(self._partitions)
        except Exception:
            return False
        return True

    async def __aenter__(self) -> AppConfigCache:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


__all__ = ["AppConfigCache"]
