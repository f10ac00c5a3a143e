"""Deleting the topics a test created (tests share one broker, each with its own prefix)."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient

from attrib.kafka.client import security_kwargs
from attrib.settings import Settings


async def delete_topics(settings: Settings, names: Iterable[str]) -> None:
    """Delete those of ``names`` that exist."""
    admin = AIOKafkaAdminClient(**security_kwargs(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [name for name in names if name in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


async def delete_topics_with_prefixes(settings: Settings, prefixes: Iterable[str]) -> int:
    """Delete every topic whose name starts with one of ``prefixes``; returns how many.

    The broker of the local stack lives for days: left behind, a run's few
    thousand test topics grow its metadata until the broker runs out of heap.
    """
    wanted = tuple(prefixes)
    if not wanted:
        return 0
    admin = AIOKafkaAdminClient(**security_kwargs(settings))
    await admin.start()
    try:
        doomed = [name for name in await admin.list_topics() if name.startswith(wanted)]
        for i in range(0, len(doomed), 100):
            await admin.delete_topics(doomed[i : i + 100])
        return len(doomed)
    finally:
        await admin.close()
