"""Writes a new version of an app's configuration to the app-config topic.

The producer is idempotent with ``acks=all`` (``make_producer``), so a
:meth:`AppRegistryWriter.put` that returned is durable. The version is the
cache's current version + 1; writes of this process are serialised by a lock
and applied to the local cache as soon as Kafka acknowledged them
(read-your-writes: the PUT's own GET never sees the old version).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from attrib.config import AppConfig
from attrib.kafka.client import make_producer
from attrib.registry.cache import AppConfigCache
from attrib.registry.errors import RegistryUnavailable
from attrib.registry.metrics import APP_CONFIG_WRITES
from attrib.registry.records import AppConfigVersion, encode_version
from attrib.settings import Settings
from attrib.topics import APP_CONFIG

#: Last-resort bound on one write; the producer's own request timeout is shorter.
WRITE_TIMEOUT_S = 30.0


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class AppRegistryWriter:
    """Stores app configurations; ``put`` raises :class:`RegistryUnavailable` if Kafka fails."""

    def __init__(
        self, settings: Settings, cache: AppConfigCache, *, clock: Callable[[], int] = _now_ms
    ) -> None:
        self._settings = settings
        self._cache = cache
        self._clock = clock
        self.topic = settings.topic(APP_CONFIG)
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Connect the producer (``put`` also connects on demand)."""
        await self._ensure_producer()

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = make_producer(self._settings)
            try:
                await producer.start()
            except Exception as exc:
                await producer.stop()
                raise RegistryUnavailable(f"cannot connect to Kafka: {exc}") from exc
            self._producer = producer
        return self._producer

    async def put(self, config: AppConfig) -> AppConfigVersion:
        """Store ``config`` as the app's next version and return that version."""
        async with self._lock:
            producer = await self._ensure_producer()
            if not self._cache.loaded:
                # The next version number comes from the cache: guessing it
                # before the replay would write version 1 over version N.
                raise RegistryUnavailable("the app configuration cache has not loaded yet")
            entry = AppConfigVersion(
                config=config,
                version=(self._cache.version(config.app_id) or 0) + 1,
                updated_time=self._clock(),
            )
            key, value = encode_version(entry)
            try:
                async with asyncio.timeout(WRITE_TIMEOUT_S):
                    await producer.send_and_wait(self.topic, value, key=key)
            except (KafkaError, TimeoutError) as exc:
                APP_CONFIG_WRITES.labels("unavailable").inc()
                raise RegistryUnavailable(
                    f"Kafka did not acknowledge the configuration of {config.app_id}: "
                    f"{type(exc).__name__}"
                ) from exc
            APP_CONFIG_WRITES.labels("stored").inc()
            self._cache.apply(entry)
            return entry


__all__ = ["AppRegistryWriter"]
