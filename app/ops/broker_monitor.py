"""Probe the Kafka broker on a timer and keep the :mod:`~attrib.ops.broker_health` state.

The collector runs one next to its web application, the worker one as a
Faust service (:mod:`attrib.ops.worker`). ``/readyz`` reads
:meth:`BrokerMonitor.check` and never waits for the broker itself, so a
kubelet probe with a one-second timeout is answered at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from prometheus_client import Gauge

from attrib.ops.broker_health import NOT_PROBED, BrokerHealth, observe, unreachable_for, verdict

Probe = Callable[[], Awaitable[bool]]

BROKER_UNREACHABLE_SECONDS = Gauge(
    "attrib_broker_unreachable_seconds",
    "Seconds the Kafka broker has failed this process's probes without a break (0: it answers)",
)


def probe_interval(grace_s: float) -> float:
    """Seconds between probes: a few per grace period, between 0.2 s and 5 s."""
    return min(5.0, max(0.2, grace_s / 3))


class BrokerMonitor:
    """Runs ``probe`` every :func:`probe_interval` seconds; :meth:`check` is the verdict."""

    def __init__(
        self,
        probe: Probe,
        grace_s: float,
        *,
        interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.probe = probe
        self.grace_s = grace_s
        self.interval_s = probe_interval(grace_s) if interval_s is None else interval_s
        self.clock = clock
        self.state: BrokerHealth = NOT_PROBED

    async def probe_once(self) -> bool:
        try:
            ok = bool(await self.probe())
        except asyncio.CancelledError:
            raise
        except Exception:  # a probe that raises is a failed probe
            ok = False
        now = self.clock()
        self.state = observe(self.state, ok, now)
        BROKER_UNREACHABLE_SECONDS.set(unreachable_for(self.state, now))
        return ok

    async def run(self) -> None:
        """Probe until cancelled."""
        while True:
            await self.probe_once()
            await asyncio.sleep(self.interval_s)

    def check(self) -> tuple[bool, str]:
        """``(ready, detail)`` now: the readiness check's signature."""
        now = self.clock()
        BROKER_UNREACHABLE_SECONDS.set(unreachable_for(self.state, now))
        return verdict(self.state, now, self.grace_s)


__all__ = ["BROKER_UNREACHABLE_SECONDS", "BrokerMonitor", "Probe", "probe_interval"]
