"""One timer bounds every pending acknowledgement (attrib.collector.producer)."""

from __future__ import annotations

import asyncio
import time

import pytest

from attrib.collector.producer import (
    DEADLINE_TICK_S,
    AcknowledgementDeadlines,
    AcknowledgementTimeout,
)


async def test_a_pending_acknowledgement_fails_soon_after_its_deadline() -> None:
    deadlines = AcknowledgementDeadlines()
    deadlines.start()
    loop = asyncio.get_running_loop()
    late, acknowledged, later = loop.create_future(), loop.create_future(), loop.create_future()
    started = time.monotonic()
    deadlines.watch(started + 0.2, late)
    deadlines.watch(started + 0.2, acknowledged)
    deadlines.watch(started + 60, later)
    acknowledged.set_result("offset 7")
    with pytest.raises(AcknowledgementTimeout):
        await late
    waited = time.monotonic() - started
    assert 0.2 <= waited < 0.2 + 2 * DEADLINE_TICK_S + 0.1
    assert acknowledged.result() == "offset 7"
    assert not later.done()
    await deadlines.stop()  # stopping fails whatever is still pending: nothing waits forever
    with pytest.raises(AcknowledgementTimeout):
        later.result()
