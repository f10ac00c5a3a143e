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


async def test_an_acknowledged_write_is_forgotten_at_once() -> None:
    """Nothing keeps acknowledged futures alive until their deadline (GC pressure)."""
    deadlines = AcknowledgementDeadlines()
    loop = asyncio.get_running_loop()
    futures = [loop.create_future() for _ in range(3)]
    for future in futures:
        deadlines.watch(time.monotonic() + 60, future)
    futures[1].set_result("offset 1")
    deadlines.forget(futures[1])
    deadlines.forget(futures[1])  # twice is harmless
    assert len(deadlines) == 2
    await deadlines.stop()
    for future in (futures[0], futures[2]):
        with pytest.raises(AcknowledgementTimeout):
            future.result()
    assert len(deadlines) == 0
