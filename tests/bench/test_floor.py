"""bench/floor.py: the floor does every required step it claims, on the real broker.

A floor that skipped work would make a throughput goal look out of reach, so
the run's counts are checked against what the records require.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from attrib.avro import codec
from attrib.engine.convert import touch_record_index_keys
from attrib.kafka.client import ensure_topics, make_producer
from attrib.settings import Settings
from attrib.topics import topic_specs
from tests.bench.test_engine import _load

pytestmark = pytest.mark.integration


async def _run(settings: Settings) -> tuple[object, int, int]:
    engine, floor = _load("engine"), _load("floor")
    await ensure_topics(settings, topic_specs(settings))
    touches, installs = engine.make_records(20, 10, int(time.time() * 1000))
    await engine.produce(settings, touches, installs)
    stranger = {**touches[0], "app_id": "not.configured", "touch_id": "x1"}
    producer = make_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(settings.topic("clicks"), codec.encode("Touch", stranger))
    finally:
        await producer.stop()
    total = len(touches) + len(installs) + 1
    run = await floor.floor(settings, total, engine.APP)
    expected_entries = sum(len(touch_record_index_keys(t)) for t in touches)
    return run, expected_entries, len(installs)


def test_the_floor_files_every_index_entry_and_answers_every_install(
    isolated_settings: Settings,
) -> None:
    run, expected_entries, installs = asyncio.run(_run(isolated_settings))
    assert run.entries_sent == expected_entries  # the stranger's app was refused (R22)
    assert run.entries_put == expected_entries
    assert run.results == installs
    # Each install shares its advertising id with three of its touches.
    assert run.touches_found >= 3 * installs
    assert run.cpu_per_record is not None
    assert run.cpu_per_record > 0
