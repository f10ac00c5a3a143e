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
