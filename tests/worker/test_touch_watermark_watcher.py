"""The lookup gate on the real broker: touches count as routed only once the intake committed them.

With two workers, one worker's intake lag said nothing about the touch
partitions the other one reads, and installs were looked up before their
clicks were routed (docs/reliability.md, finding 7). The watcher reads the
intake *group's* commits instead, whichever member made them.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import TopicPartition

from attrib.agents.touch_watermark import TouchWatermarkWatcher
from attrib.engine.clock import wall_ms
from attrib.kafka.client import make_consumer
from tests.engine.harness import (
    ANDROID_APP,
    now_ms,
    produce_touches,
    setup_deployment,
    touch_record,
)

pytestmark = pytest.mark.integration

APP = "com.example.watermark"


async def _wait_through(watcher: TouchWatermarkWatcher, at_least: int, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        through = watcher.watermark.through_ms
        if through is not None and through >= at_least:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"watermark {watcher.watermark.through_ms} never reached {at_least}")


async def test_touches_count_as_routed_once_the_intake_group_committed_them(
    isolated_settings,
) -> None:
    s = isolated_settings
    await setup_deployment(s, APP, dict(ANDROID_APP))
    group = f"{s.faust_app_id}-intake"
    clicks = s.topic("clicks")
    watcher = TouchWatermarkWatcher(s, (clicks, s.topic("impressions")), group)
    await watcher.start()
    try:
        # Nothing received yet: the watermark follows the clock.
        await _wait_through(watcher, wall_ms(), within=10)
        await produce_touches(s, [touch_record(APP, touch_time=now_ms()) for _ in range(6)])
        received = wall_ms()
        # Listed from the broker: the touches just written count, no fetch needed
        # (a consumer's highwater is only as new as its last fetch: finding 8).
        listed = await watcher.end_offsets(
            [TopicPartition(clicks, p) for p in range(s.topic_partitions)]
        )
        assert sum(listed.values()) == 6
        await asyncio.sleep(1.0)
        # Received, and no intake has routed them: nothing after their arrival is due.
        assert watcher.watermark.through_ms is not None
        assert watcher.watermark.through_ms < received

        committer = make_consumer(s, group_id=group)
        await committer.start()
        try:
            tps = [TopicPartition(clicks, p) for p in range(s.topic_partitions)]
            committer.assign(tps)
            ends = await committer.end_offsets(tps)
            assert sum(ends.values()) == 6
            await committer.commit(ends)  # as the intake does once their envelopes are acked
            committed = wall_ms()
        finally:
            await committer.stop()
        await _wait_through(watcher, committed, within=10)
    finally:
        await watcher.stop()
