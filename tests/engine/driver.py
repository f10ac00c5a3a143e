"""A broker-less driver of the engine, in the spirit of Kafka Streams' ``TopologyTestDriver``.

The wiring is app code now (:class:`attrib.engine.simulation.EngineSimulation`,
which ``attrib replay`` runs too); this module keeps the tests' name for it.

It wires the same processors the worker runs (intake routing, the touch
index, the device partition, conversion data) to in-memory tables
(:class:`attrib.tables.state.MemoryBackend`) and a manual clock, and
delivers every internal record to its processor in send order, the way the
worker's agents would. Tests pipe input records in, move time with
:meth:`EngineDriver.advance` (which runs the timers), and read the output
topics, in milliseconds and without Kafka::

    driver = EngineDriver({"app": config}, start_ms=T0)
    driver.pipe("clicks", [touch_record("app", touch_time=T0 - 60_000, ids=ids)])
    driver.pipe("installs", [install_record("app", install_time=T0, ids=ids)])
    driver.advance(1_000)
    [attribution] = driver.read("attributions")

What it leaves out is what only Kafka shows (partition assignment,
rebalances, recovery from changelogs, crashes): those keep their tests on the
real broker (``test_recovery.py``, ``test_engine_on_broker.py``).
"""

from __future__ import annotations

from typing import Any

from attrib.engine.simulation import EngineSimulation, driver_topics

__all__ = ["EngineDriver", "driver_topics"]


class EngineDriver(EngineSimulation):
    """The engine's tests drive :class:`EngineSimulation` under this name, checking on
    every read of a kept value that no processor changed a table's value in place
    (:class:`attrib.tables.state.RecentValues`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("verify_recent", True)
        super().__init__(*args, **kwargs)
