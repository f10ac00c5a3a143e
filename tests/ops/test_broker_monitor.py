"""The monitor on a timer: broker stopped → not ready within the grace, back → ready.

The probe is a function of the test (a broker that answers or not on
command); the probe itself against the real broker is in test_broker_probe.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import REGISTRY

from attrib.ops.broker_monitor import BrokerMonitor, probe_interval


class Broker:
    """Answers the probe while ``up``."""

    def __init__(self) -> None:
        self.up = True
        self.calls = 0

    async def probe(self) -> bool:
        self.calls += 1
        if not self.up:
            raise ConnectionError("broker down")  # a raising probe is a failed one
        return True


def test_probe_interval_is_a_few_per_grace() -> None:
    assert probe_interval(15.0) == 5.0
    assert probe_interval(0.3) == 0.2
    assert probe_interval(1.5) == pytest.approx(0.5)


async def test_stopped_broker_is_503_within_the_grace_and_recovers_by_itself() -> None:
    broker = Broker()
    grace = 0.6
    monitor = BrokerMonitor(broker.probe, grace)
    task = asyncio.create_task(monitor.run())
    try:
        await asyncio.sleep(0.05)
        assert monitor.check()[0] is True

        broker.up = False
        stopped = time.monotonic()
        while monitor.check()[0]:
            await asyncio.sleep(0.02)
            assert time.monotonic() - stopped < grace + 2 * monitor.interval_s + 0.5
        took = time.monotonic() - stopped
        assert took >= grace  # never before the grace
        assert REGISTRY.get_sample_value("attrib_broker_unreachable_seconds") >= grace

        broker.up = True
        back = time.monotonic()
        while not monitor.check()[0]:
            await asyncio.sleep(0.02)
            assert time.monotonic() - back < monitor.interval_s + 0.5
        assert REGISTRY.get_sample_value("attrib_broker_unreachable_seconds") == 0.0
    finally:
        task.cancel()
    assert broker.calls >= 3
