"""The fault-free run of the chaos run's own inputs, and its report figures.

The inputs the collector accepted (``clicks``, ``installs``, read back from
Kafka after the run) go through :class:`attrib.engine.simulation.EngineSimulation`
(the worker's processors on in-memory tables) in the order and at the times
the broker received them, with no fault at all. Its decisions are what the
faulted run must have decided, install by install.

For the reports, the same clicks and the fault-free decisions are written to
topics of their own and sunk by a real ``attrib sink`` into a database of
their own; each report of the faulted run's database must equal the same
report there.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

from attrib.analytics import clickhouse
from attrib.analytics.report import run_report
from attrib.config import AppConfig
from attrib.engine.simulation import EngineSimulation
from attrib.kafka.client import make_producer
from attrib.settings import Settings
from tests.chaos.roles import Role, stack_env
from tests.chaos.tail import Decision
from tests.chaos.trace import read_topic
from tests.engine.harness import setup_deployment

#: Reports compared with the fault-free run (``postbacks`` counts attempts, which faults change).
REPORTS = ("overview", "daily", "retention", "ctit", "fraud")
#: Records piped into the simulation at one simulated time.
WINDOW_MS = 50


@dataclasses.dataclass
class FaultFreeRun:
    decisions: dict[str, Decision]  # by install event id
    clicks: list[Any]  # the ConsumerRecords of ``clicks``
    attributions: list[tuple[bytes | None, bytes]]  # (key, value) of the fault-free decisions


async def fault_free_run(
    settings: Settings, app_id: str, config: AppConfig, *, decision_delay_ms: int
) -> FaultFreeRun:
    clicks = await read_topic(settings, settings.topic("clicks"))
    installs = await read_topic(settings, settings.topic("installs"))
    arrivals = sorted(
        [("clicks", r) for r in clicks] + [("installs", r) for r in installs],
        key=lambda item: (item[1].timestamp, item[0] != "clicks"),
    )
    start = arrivals[0][1].timestamp if arrivals else int(time.time() * 1000)
    sim = EngineSimulation(
        {app_id: config},
        start_ms=start,
        partitions=settings.topic_partitions,
        decision_delay_ms=decision_delay_ms,
    )
    await asyncio.to_thread(_pipe, sim, arrivals)
    decisions: dict[str, Decision] = {}
    for d in sim.read("attributions"):
        decisions[d["install_event_id"]] = Decision(
            d["attribution_id"], d["status"], d.get("media_source"), d.get("touch_id")
        )
    outputs = [(r.key, r.value) for r in sim.outputs["attributions"] if r.value is not None]
    return FaultFreeRun(decisions, clicks, outputs)


def _pipe(sim: EngineSimulation, arrivals: list[tuple[str, Any]]) -> None:
    """Each window's records at its time, the timers run in between; then the last decisions."""
    i = 0
    while i < len(arrivals):
        window_end = arrivals[i][1].timestamp + WINDOW_MS
        sim.advance_to(arrivals[i][1].timestamp)
        group: dict[tuple[str, int], list[bytes]] = {}
        while i < len(arrivals) and arrivals[i][1].timestamp < window_end:
            topic, record = arrivals[i]
            if record.value is not None:
                group.setdefault((topic, record.partition), []).append(record.value)
            i += 1
        for topic in (
            "clicks",
            "installs",
        ):  # clicks first: the worker holds lookups until touches are read
            for (name, partition), values in group.items():
                if name == topic:
                    sim.pipe_raw(topic, values, partition=partition)
    sim.advance(10 * 60_000)


def reference_settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings,
        topic_prefix=f"{settings.topic_prefix}ref.",
        clickhouse_database=f"{settings.clickhouse_database}_ref",
        faust_app_id=f"{settings.faust_app_id}-ref",
    )


async def sink_reference(
    settings: Settings, app_id: str, config: dict[str, Any], run: FaultFreeRun, logs: Path
) -> Settings:
    """Write the fault-free run's clicks and decisions to its own topics and database
    (the app registered there too: the sink refuses records of unknown apps, R22)."""
    ref = reference_settings(settings)
    await setup_deployment(ref, app_id, config)
    producer = make_producer(ref)
    await producer.start()
    try:
        for record in run.clicks:
            await producer.send(ref.topic("clicks"), record.value, key=record.key)
        for key, value in run.attributions:
            await producer.send(ref.topic("attributions"), value, key=key)
        await producer.flush()
    finally:
        await producer.stop()
    sink = Role("sink", ["sink"], stack_env(ref), logs / "reference-sink.log")
    sink.start()
    try:
        deadline = time.monotonic() + 180
        want = {"touches": len(run.clicks), "attributions": len(run.attributions)}
        while await asyncio.to_thread(_counts, ref, tuple(want)) != want:
            if time.monotonic() > deadline:
                raise AssertionError(f"the reference sink did not write {want}:\n{sink.tail()}")
            await asyncio.sleep(1)
    finally:
        sink.stop()
    return ref


def _counts(settings: Settings, tables: tuple[str, ...]) -> dict[str, int]:
    try:
        client = clickhouse.connect(settings)
    except Exception:
        return {}
    try:
        db = f"`{settings.clickhouse_database}`"
        return {t: int(client.command(f"SELECT count() FROM {db}.{t} FINAL")) for t in tables}
    except Exception:
        return {}
    finally:
        client.close()


def compare_reports(live: Settings, ref: Settings) -> dict[str, str]:
    """Each report of ``REPORTS`` on both databases: name -> first differing row, if any."""
    differing: dict[str, str] = {}
    live_client, ref_client = clickhouse.connect(live), clickhouse.connect(ref)
    try:
        for name in REPORTS:
            ours = run_report(live_client, name).rows
            theirs = run_report(ref_client, name).rows
            if ours != theirs:
                first = next(
                    (f"{a} != {b}" for a, b in zip(ours, theirs, strict=False) if a != b),
                    f"{len(ours)} rows != {len(theirs)} rows",
                )
                differing[name] = first
    finally:
        live_client.close()
        ref_client.close()
    return differing
