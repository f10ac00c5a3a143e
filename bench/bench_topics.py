"""Deleting the topics a benchmark run created (the local broker is shared and long-lived).

Left behind, every run's topics grow the broker's metadata until it runs out
of heap (it did, 2026-12-05, with thousands of benchmark and test topics).
Benchmarks give their topics a prefix of their own and call
:func:`delete_run_topics` when they finish. (Bench code does not import
``tests``: this is the benchmarks' own copy of tests/topics.py's helper.)
"""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient

from attrib.kafka.client import security_kwargs
from attrib.settings import Settings


def run_topics(
    names: Iterable[str], prefixes: Iterable[str], within: Iterable[str] = ()
) -> list[str]:
    """Those of ``names`` that start with one of ``prefixes`` or contain one of ``within``."""
    starts = tuple(p for p in prefixes if p)
    parts = tuple(p for p in within if p)
    return [n for n in names if (starts and n.startswith(starts)) or any(p in n for p in parts)]


async def delete_run_topics(
    settings: Settings, prefixes: Iterable[str], within: Iterable[str] = ()
) -> int:
    """Delete the broker's topics of one run (see :func:`run_topics`); returns how many."""
    admin = AIOKafkaAdminClient(**security_kwargs(settings))
    await admin.start()
    try:
        doomed = run_topics(await admin.list_topics(), prefixes, within)
        for i in range(0, len(doomed), 100):
            await admin.delete_topics(doomed[i : i + 100])
        return len(doomed)
    finally:
        await admin.close()
