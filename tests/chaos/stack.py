"""The whole platform under steady load and a fault schedule, then a reconciliation.

``run_chaos`` starts ``attrib collector`` and one or two ``attrib worker``
(the delivery stage inside, and the ClickHouse sink too unless
``separate_sink``) as subprocesses on one test's topics and database, a
postback/push receiver in the test process, and — when the plan stops the
broker or ClickHouse — a Kafka broker and ClickHouse endpoint of its own
(tests/chaos/services.py). It offers clicks and installs of fresh devices at
a steady rate (tests/chaos/traffic.py) while the fault schedule runs
(tests/chaos/faults.py), tails ``attributions`` for the whole run, and once
the load has stopped and everything drained it reconciles, per accepted
install:

- decisions in ``attributions``: distinct ``attribution_id`` per install (a
  decision re-made after a crash has the same id by design; only a second
  id is a duplicate), and each equal to the fault-free run's of the same
  inputs (tests/chaos/reference.py);
- rows in ClickHouse ``attributions FINAL``, and without ``FINAL`` after
  ``OPTIMIZE TABLE ... FINAL``;
- postbacks and pushes owed, delivered once (tests/chaos/deliveries.py);
- the reports against the fault-free run's.

The plan (sizes, faults, ``CHAOS_*`` variables) is tests/chaos/plan.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
import urllib.request
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attrib.analytics import clickhouse
from attrib.config import validate_app_config
from attrib.settings import Settings
from tests.chaos import deliveries
from tests.chaos.faults import FaultSchedule, Stack
from tests.chaos.plan import ChaosPlan
from tests.chaos.reference import compare_reports, fault_free_run, sink_reference
from tests.chaos.report import Report
from tests.chaos.roles import Role, stack_env
from tests.chaos.services import PrivateBroker, PrivateClickHouse
from tests.chaos.tail import DecisionTail
from tests.chaos.trace import trace_undecided
from tests.chaos.traffic import APP, offer, seeded_traffic
from tests.delivery.receivers import Receiver
from tests.engine.harness import setup_deployment

#: Log lines of a process that failed by itself (a SIGKILL leaves none), or lost input.
CRASH_SIGNS = ("Crashed reason=", "Traceback", "of an unknown app dropped")
DECISION_DELAY_MS = 1_000


async def run_chaos(settings: Settings, plan: ChaosPlan, logs: Path) -> Report:
    report = Report()
    os.makedirs(logs, exist_ok=True)
    async with AsyncExitStack() as exits:
        broker = server = None
        if plan.private_services:
            broker = PrivateBroker(logs.parent / "kafka")
            await broker.start()
            exits.push_async_callback(broker.stop)
            server = PrivateClickHouse(logs.parent / "clickhouse")
            await server.start()
            exits.callback(server.stop)
            settings = dataclasses.replace(
                settings, kafka_bootstrap=broker.bootstrap, clickhouse_url=server.url
            )
        receiver = await Receiver(secret=deliveries.SECRET).start()
        exits.push_async_callback(receiver.stop)
        config = deliveries.app_config(receiver)
        await setup_deployment(settings, APP, config)
        stack = _stack(settings, plan, logs, broker, server, receiver)
        everyone = [stack.collector, *stack.workers, *([stack.sink] if stack.sink else [])]
        everyone += [stack.delivery] if stack.delivery else []
        tail = DecisionTail(settings)
        exits.push_async_callback(tail.stop)
        for role in everyone:
            exits.callback(role.stop)
            role.start()
        for role in everyone:
            if role.name not in ("sink", "deliver"):
                await role.wait_ready()
        sdk_key = await _sdk_key(stack.collector, settings.admin_token.reveal())
        requests = seeded_traffic(plan.rate, plan.seconds, sdk_key, seed=15)
        await tail.start()
        accepted: dict[str, float] = {}  # install event id -> when the collector accepted it
        loading = asyncio.create_task(
            offer(stack.collector.url, requests, plan.rate, report, accepted)
        )
        schedule = FaultSchedule(plan, stack.faulted, report)
        faults = asyncio.create_task(schedule.run(loading))
        await loading
        drain_start = time.monotonic()
        await faults
        await _drain(tail, accepted, plan.drain_timeout, report, stack, settings)
        for fault, since_ms in schedule.by_decisions:
            served = tail.served_again_after(since_ms)
            if served is not None:
                fault.recovery_s = (served - since_ms) / 1000

        reference = await fault_free_run(
            settings, APP, validate_app_config(APP, config), decision_delay_ms=DECISION_DELAY_MS
        )
        owed = deliveries.owed(
            {e: reference.decisions[e] for e in accepted if e in reference.decisions}
        )
        await _wait(lambda: deliveries.all_delivered(receiver, owed), plan.drain_timeout)
        await _wait_rows(settings, accepted, plan.drain_timeout)
        report.drain_s = time.monotonic() - drain_start
        await asyncio.sleep(
            3
        )  # a late duplicate decision, row or delivery would have landed by now
        rows = await asyncio.to_thread(_rows_per_install, settings, True)
        await asyncio.to_thread(_optimize, settings)
        optimized = await asyncio.to_thread(_rows_per_install, settings, False)
        # A request refused with a 503 may have reached Kafka all the same; its
        # decision is then in the fault-free run too, and its deliveries are owed.
        kept = deliveries.owed(reference.decisions)
        deliveries.reconcile(receiver, owed, report, kept)
        ref = await sink_reference(settings, APP, config, reference, logs)
        report.reports_compared = ["overview", "daily", "retention", "ctit", "fraud"]
        report.reports_differing = await asyncio.to_thread(compare_reports, settings, ref)
        await tail.stop()
        for role in everyone:
            role.stop()

    report.crashes = [
        f"{role.name}: {line}"
        for role in everyone
        for line in role.log.read_text(errors="replace").splitlines()
        if any(sign in line for sign in CRASH_SIGNS)
    ]
    report.installs_accepted = len(accepted)
    for event_id in accepted:
        decided = tail.decisions.get(event_id, [])
        distinct = {d.attribution_id for d in decided}
        report.decisions_lost += not distinct
        report.decisions_duplicated += max(0, len(distinct) - 1)
        report.decisions_replayed += len(decided) - len(distinct)
        expected = reference.decisions.get(event_id)
        differs = bool(decided) and (expected is None or any(d != expected for d in decided))
        report.decisions_differing += differs
        if differs and len(report.differing_examples) < 20:
            report.differing_examples.append(
                f"  {event_id} accepted at {accepted[event_id]:.3f}: got {decided}, want {expected}"
            )
        report.rows_lost += rows.get(event_id, 0) == 0
        report.rows_duplicated += max(0, rows.get(event_id, 0) - 1)
        report.rows_lost_optimized += optimized.get(event_id, 0) == 0
        report.rows_duplicated_optimized += max(0, optimized.get(event_id, 0) - 1)
    return report


@dataclass
class _Roles:
    collector: Role
    workers: list[Role]
    sink: Role | None
    delivery: Role | None
    faulted: Stack


def _stack(
    settings: Settings,
    plan: ChaosPlan,
    logs: Path,
    broker: PrivateBroker | None,
    server: PrivateClickHouse | None,
    receiver: Receiver,
) -> _Roles:
    delivery_env = {
        "ATTRIB_DELIVERY_TIMEOUT": plan.delivery_timeout,
        "ATTRIB_DELIVERY_RETRY_SCHEDULE": plan.delivery_retry_schedule,
    }
    worker_env = {
        **delivery_env,
        "ATTRIB_WORKER_SINK": "false" if plan.separate_sink else "true",
        "ATTRIB_WORKER_DELIVER": "false" if plan.separate_delivery else "true",
        "ATTRIB_DECISION_DELAY": f"{DECISION_DELAY_MS}ms",
        "ATTRIB_TABLE_STANDBY_REPLICAS": "1" if plan.workers > 1 else "0",
    }
    workers = []
    for i in range(plan.workers):
        env = stack_env(
            settings,
            **worker_env,
            # static membership: a restart keeps its partitions
            ATTRIB_WORKER_ID=f"chaos-worker-{i}",
            ATTRIB_DATA_DIR=str(Path(settings.data_dir) / f"worker-{i}"),
        )
        name = "worker" if plan.workers == 1 else f"worker {i}"
        workers.append(Role(name, ["worker"], env, logs / f"worker-{i}.log"))
    collector = Role("collector", ["collector"], stack_env(settings), logs / "collector.log")
    sink = None
    if plan.separate_sink or "sink" in plan.faults:
        sink = Role("sink", ["sink"], stack_env(settings), logs / "sink.log")
    delivery = None
    if plan.separate_delivery:
        env = stack_env(settings, **delivery_env)
        delivery = Role("deliver", ["deliver"], env, logs / "deliver.log")
    faulted = Stack(settings, workers, sink, broker, server, receiver, delivery)
    return _Roles(collector, workers, sink, delivery, faulted)


async def _wait(done: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if done():
            return
        await asyncio.sleep(0.5)


async def _drain(
    tail: DecisionTail,
    accepted: dict[str, float],
    within: float,
    report: Report,
    stack: _Roles,
    settings: Settings,
) -> None:
    await _wait(lambda: all(event_id in tail.decisions for event_id in accepted), within)
    missing = {e for e in accepted if e not in tail.decisions}
    if not missing:
        return
    # When they were accepted, against the faults, and where they stopped:
    # what a debugging session needs first.
    by_second = Counter(int(accepted[e]) for e in missing)
    gauges = [await asyncio.to_thread(_worker_gauges, w) for w in stack.workers]
    raise AssertionError(
        f"{len(missing)} accepted installs never decided; accepted at (unix s: count) "
        f"{dict(sorted(by_second.items()))}; faults at "
        f"{[f'{f.at:.0f}: {f.kind}{f.detail}' for f in report.faults]}; worker gauges: {gauges}; "
        f"last seen: {await trace_undecided(settings, missing)}"
    )


def _worker_gauges(worker: Role) -> list[str]:
    """The worker's pending installs, held lookups, table recovery, lookup gates, skipped
    offsets and records consumed per topic, as /metrics shows them."""
    try:
        with urllib.request.urlopen(f"{worker.url}/metrics", timeout=5) as resp:
            text = resp.read().decode()
    except OSError as exc:
        return [f"/metrics unreadable: {exc}"]
    wanted = (
        "attrib_pending_installs",
        "attrib_lookups_held",
        "attrib_table_recovery",
        "attrib_touch_watermark_age_seconds",
        "attrib_worker_lookups_answered_incomplete_total",
        "attrib_worker_offset_",
        "attrib_worker_records_consumed_total",
    )
    return [line for line in text.splitlines() if line.startswith(wanted)]


def _rows_per_install(settings: Settings, final: bool) -> dict[str, int]:
    client = clickhouse.connect(settings)
    try:
        db = f"`{settings.clickhouse_database}`"
        rows = client.query(
            f"SELECT install_event_id, count() FROM {db}.attributions"
            f"{' FINAL' if final else ''} GROUP BY install_event_id"
        ).result_rows
        return {str(event_id): int(n) for event_id, n in rows}
    finally:
        client.close()


def _optimize(settings: Settings) -> None:
    client = clickhouse.connect(settings)
    try:
        client.command(f"OPTIMIZE TABLE `{settings.clickhouse_database}`.attributions FINAL")
    finally:
        client.close()


async def _wait_rows(settings: Settings, accepted: dict[str, float], within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            rows = await asyncio.to_thread(_rows_per_install, settings, True)
        except Exception:  # the endpoint restarting
            rows = {}
        if all(event_id in rows for event_id in accepted):
            return
        await asyncio.sleep(1)


def _admin_get(url: str, path: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as resp:
        return json.loads(resp.read())


async def _sdk_key(collector: Role, token: str, within: float = 60) -> str:
    deadline = time.monotonic() + within
    while True:
        try:
            config = await asyncio.to_thread(_admin_get, collector.url, f"/v1/apps/{APP}", token)
            return str(config["sdk_key"])
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
