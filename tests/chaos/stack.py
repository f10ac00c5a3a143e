"""The whole local stack under steady load and a fault schedule, then a reconciliation.

``run_chaos`` starts ``attrib collector`` and ``attrib worker`` (with its
ClickHouse sink inside, or ``attrib sink`` alone) as subprocesses on one
test's topics and database, offers clicks and installs of fresh devices at a
steady rate, and SIGKILLs a process every ``fault_interval`` seconds,
restarting it at once. It records every install the collector answered 2xx,
tails the ``attributions`` topic for the whole run, and once the load has
stopped and the system drained it counts, per accepted install:

- decisions in ``attributions``: distinct ``attribution_id`` per
  ``install_event_id`` (a decision re-made after a crash is the same id by
  design, docs/architecture.md "Time and delivery guarantees"; only a
  second *id* is a duplicate);
- rows in ClickHouse ``attributions FINAL``, and without ``FINAL`` after
  ``OPTIMIZE TABLE ... FINAL``.

Sizes come from the environment (``make chaos`` runs the long version):
``CHAOS_SECONDS`` (load duration), ``CHAOS_RATE`` (requests/s),
``CHAOS_FAULT_INTERVAL`` (s between faults), ``CHAOS_SEPARATE_SINK`` (1: run
``attrib sink`` as its own process and alternate the faults between it and the
worker).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import TopicPartition

from attrib.analytics import clickhouse
from attrib.avro import codec
from attrib.kafka.client import make_consumer
from attrib.loadgen.identities import Device, new_device
from attrib.loadgen.traffic import Request, sdk, touch
from attrib.settings import Settings
from tests.engine.harness import ANDROID_APP, free_port, setup_deployment

APP = "com.example.chaos"
ATTRIB = [sys.executable, "-m", "attrib.cli"]
#: Log lines of a process that failed by itself (a SIGKILL leaves none), or lost input.
CRASH_SIGNS = ("Crashed reason=", "Traceback", "of an unknown app dropped")


@dataclass(frozen=True)
class ChaosPlan:
    seconds: float = 60.0
    rate: float = 100.0
    fault_interval: float = 20.0
    separate_sink: bool = False
    delete_rocksdb_once: bool = True
    drain_timeout: float = 120.0

    @classmethod
    def from_env(cls, **defaults: Any) -> ChaosPlan:
        plan = cls(**defaults)
        env = os.environ
        return dataclasses.replace(
            plan,
            seconds=float(env.get("CHAOS_SECONDS", plan.seconds)),
            rate=float(env.get("CHAOS_RATE", plan.rate)),
            fault_interval=float(env.get("CHAOS_FAULT_INTERVAL", plan.fault_interval)),
            separate_sink=env.get("CHAOS_SEPARATE_SINK", "1" if plan.separate_sink else "0") == "1",
        )


@dataclass
class Report:
    sent: int = 0
    accepted: int = 0
    installs_accepted: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    client_errors: int = 0
    faults: list[str] = field(default_factory=list)
    fault_times: list[str] = field(default_factory=list)  # "unix s: fault"
    crashes: list[str] = field(default_factory=list)  # log lines of processes that failed alone
    recovery_s: list[float] = field(default_factory=list)
    decisions_lost: int = 0
    decisions_duplicated: int = 0
    decisions_replayed: int = 0  # same attribution_id again: a re-made decision, not a duplicate
    rows_lost: int = 0
    rows_duplicated: int = 0
    rows_lost_optimized: int = 0
    rows_duplicated_optimized: int = 0
    load_s: float = 0.0
    drain_s: float = 0.0

    def percentile(self, p: float) -> float:
        if not self.recovery_s:
            return 0.0
        ordered = sorted(self.recovery_s)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def table(self) -> str:
        rate = self.sent / self.load_s if self.load_s else 0.0
        rows = [
            ("requests sent", f"{self.sent:,} ({rate:,.0f}/s for {self.load_s:.0f} s)"),
            ("requests accepted (2xx)", f"{self.accepted:,}"),
            ("installs accepted", f"{self.installs_accepted:,}"),
            (
                "faults injected",
                f"{len(self.faults)} ("
                + ", ".join(f"{n}x {kind}" for kind, n in Counter(self.faults).items())
                + ")",
            ),
            ("process crashes (not injected)", str(len(self.crashes))),
            ("decisions lost", str(self.decisions_lost)),
            ("decisions duplicated", str(self.decisions_duplicated)),
            ("decisions re-made (same id)", str(self.decisions_replayed)),
            ("rows lost (FINAL)", str(self.rows_lost)),
            ("rows duplicated (FINAL)", str(self.rows_duplicated)),
            ("rows lost (OPTIMIZE, no FINAL)", str(self.rows_lost_optimized)),
            ("rows duplicated (OPTIMIZE, no FINAL)", str(self.rows_duplicated_optimized)),
            (
                "recovery after a fault p50 / p99",
                f"{self.percentile(50):.1f} s / {self.percentile(99):.1f} s",
            ),
            ("drain after the load", f"{self.drain_s:.1f} s"),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"| {name:<{width}} | {value} |" for name, value in rows)


def stack_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes an ``attrib`` subprocess use ``settings``."""
    names = (
        "kafka_bootstrap",
        "clickhouse_url",
        "clickhouse_database",
        "topic_prefix",
        "topic_partitions",
        "faust_app_id",
        "data_dir",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIB_")}
    env.update({f"ATTRIB_{name.upper()}": str(getattr(settings, name)) for name in names})
    env["ATTRIB_ADMIN_TOKEN"] = settings.admin_token.reveal()
    env["ATTRIB_LOG_LEVEL"] = "info"
    env.update(extra)
    return env


class Role:
    """One ``attrib`` process (collector, worker or sink), killed and restarted at will."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.args, self.env, self.log = name, args, env, log
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = [*ATTRIB, *self.args]
        if self.name != "sink":
            args += ["--port", str(self.port)]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                args, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    async def wait_ready(self, within: float = 120) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.tail()}")
            if await asyncio.to_thread(self.ready):
                return
            await asyncio.sleep(0.3)
        raise AssertionError(f"{self.name} not ready in {within}s:\n{self.tail()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""


class DecisionTail:
    """Reads ``attributions`` from the start for the whole run: what was decided, and when."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ids: dict[str, list[str]] = defaultdict(list)  # install_event_id -> attribution_ids
        self.produced_ms: list[int] = []  # Kafka timestamps: when the worker produced each
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        consumer = make_consumer(self.settings)
        await consumer.start()
        try:
            name = self.settings.topic("attributions")
            tps = [TopicPartition(name, p) for p in range(self.settings.topic_partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            while True:
                batch = await consumer.getmany(*tps, timeout_ms=300)
                for records in batch.values():
                    for r in records:
                        decision = codec.decode(r.value)
                        self.ids[decision["install_event_id"]].append(decision["attribution_id"])
                        self.produced_ms.append(r.timestamp)
        finally:
            await consumer.stop()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def first_produced_after(self, wall_ms: int) -> int | None:
        """When the first decision produced after ``wall_ms`` was (a restarted worker's first).

        Kafka's record timestamp, not ``decided_time``: a deferred decision
        carries its due time, which may precede the restart."""
        later = [t for t in self.produced_ms if t >= wall_ms]
        return min(later) if later else None


def _traffic(rate: float, seconds: float, sdk_key: str, seed: int) -> list[Request]:
    """Pairs of requests: a click of a fresh device, then the install of the device
    clicked two pairs before; every fourth pair an organic install (no click) instead."""
    rng = random.Random(seed)
    clicked: deque[Device] = deque()
    out: list[Request] = []
    now = int(time.time() * 1000)
    pairs = 0
    while len(out) < int(rate * seconds):
        device = new_device(rng, "android", lat_share=0.0)
        pairs += 1
        if pairs % 4 == 0:
            out.append(sdk(APP, "install", device, sdk_key, ts=now))
        else:
            out.append(touch(APP, "click", device, source="facebook_ads", ts=now))
            clicked.append(device)
        if len(clicked) > 2:
            out.append(sdk(APP, "install", clicked.popleft(), sdk_key, ts=now))
    return out


async def _offer(
    url: str, requests: list[Request], rate: float, report: Report, accepted: dict[str, float]
) -> None:
    """Open loop at ``rate``: record the installs answered 2xx by their event id."""
    connector = aiohttp.TCPConnector(limit=128)
    timeout = aiohttp.ClientTimeout(total=30)
    gate = asyncio.Semaphore(128)
    start = time.perf_counter()
    pending: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as session:

        async def one(req: Request) -> None:
            try:
                async with session.request(
                    req.method, req.path, data=req.body, headers=req.headers, allow_redirects=False
                ) as resp:
                    body = await resp.read()
                    report.statuses[resp.status] += 1
                    if 200 <= resp.status < 300:
                        report.accepted += 1
                        if req.kind == "install":
                            accepted[json.loads(body)["event_id"]] = time.time()
            except (aiohttp.ClientError, TimeoutError):
                report.client_errors += 1
            finally:
                gate.release()

        for i, req in enumerate(requests):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await gate.acquire()
            task = asyncio.create_task(one(req))
            pending.add(task)
            task.add_done_callback(pending.discard)
            report.sent += 1
        if pending:
            await asyncio.gather(*pending)
    report.load_s = time.perf_counter() - start


def _rocksdb_dir(settings: Settings) -> Path:
    return settings.data_path / "worker" / "tables"


async def _faults(
    plan: ChaosPlan,
    roles: list[Role],
    settings: Settings,
    report: Report,
    loading: asyncio.Task[None],
) -> list[int]:
    """Every ``fault_interval`` s while the load runs: SIGKILL a role, restart it at once.

    Returns the wall-clock ms of each worker restart. A sink's recovery (until
    the first ClickHouse row it writes) is measured here, in the background."""
    n = worker_kills = 0
    restarts: list[int] = []
    watchers: list[asyncio.Task[None]] = []
    while True:
        try:
            await asyncio.wait_for(asyncio.shield(loading), plan.fault_interval)
            break
        except TimeoutError:
            pass
        role = roles[n % len(roles)]
        role.kill()
        kind = f"SIGKILL {role.name}"
        worker_kills += role.name == "worker"
        if role.name == "worker" and plan.delete_rocksdb_once and worker_kills == 2:
            shutil.rmtree(_rocksdb_dir(settings), ignore_errors=True)
            kind += " + RocksDB deleted"
        restarted = int(time.time() * 1000)
        if role.name == "sink":
            rows_before = await asyncio.to_thread(_raw_rows, settings)
            role.start()
            watchers.append(asyncio.create_task(_sink_recovery(settings, rows_before, report)))
        else:
            role.start()
            restarts.append(restarted)
        report.faults.append(kind)
        report.fault_times.append(f"{restarted / 1000:.0f}: {kind}")
        n += 1
    await asyncio.gather(*watchers)
    return restarts


def _raw_rows(settings: Settings) -> int:
    client = clickhouse.connect(settings)
    try:
        table = f"`{settings.clickhouse_database}`.attributions"
        return int(client.command(f"SELECT count() FROM {table}"))
    finally:
        client.close()


async def _sink_recovery(settings: Settings, rows_before: int, report: Report) -> None:
    """From a sink's restart until the table grows again (only the new sink writes)."""
    started = time.monotonic()
    while time.monotonic() - started < 120:
        if await asyncio.to_thread(_raw_rows, settings) > rows_before:
            report.recovery_s.append(time.monotonic() - started)
            return
        await asyncio.sleep(0.2)


async def _drain(
    tail: DecisionTail, accepted: dict[str, float], within: float, report: Report, worker: Role
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(event_id in tail.ids for event_id in accepted):
            return
        await asyncio.sleep(0.5)
    missing = sorted(at for e, at in accepted.items() if e not in tail.ids)
    # When they were accepted, against the faults: what a debugging session needs first.
    by_second = Counter(int(at) for at in missing)
    raise AssertionError(
        f"{len(missing)} accepted installs never decided; accepted at (unix s: count) "
        f"{dict(sorted(by_second.items()))}; faults at {report.fault_times}; "
        f"worker gauges: {await asyncio.to_thread(_worker_gauges, worker)}"
    )


def _worker_gauges(worker: Role) -> list[str]:
    """The worker's pending installs, held lookups and table recovery, as /metrics shows them."""
    try:
        with urllib.request.urlopen(f"{worker.url}/metrics", timeout=5) as resp:
            text = resp.read().decode()
    except OSError as exc:
        return [f"/metrics unreadable: {exc}"]
    wanted = ("attrib_pending_installs", "attrib_lookups_held", "attrib_table_recovery")
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


async def _wait_rows(
    settings: Settings, accepted: dict[str, float], within: float
) -> dict[str, int]:
    deadline = time.monotonic() + within
    rows: dict[str, int] = {}
    while time.monotonic() < deadline:
        rows = await asyncio.to_thread(_rows_per_install, settings, True)
        if all(event_id in rows for event_id in accepted):
            break
        await asyncio.sleep(1)
    return rows


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


async def run_chaos(settings: Settings, plan: ChaosPlan, logs: Path) -> Report:
    report = Report()
    await setup_deployment(settings, APP, dict(ANDROID_APP))
    os.makedirs(logs, exist_ok=True)
    worker_env = stack_env(
        settings,
        ATTRIB_WORKER_SINK="false" if plan.separate_sink else "true",
        ATTRIB_WORKER_ID="chaos-worker-0",  # static membership: a restart keeps its partitions
        ATTRIB_DECISION_DELAY="1s",
    )
    collector = Role("collector", ["collector"], stack_env(settings), logs / "collector.log")
    worker = Role("worker", ["worker"], worker_env, logs / "worker.log")
    roles = [worker]
    everyone = [collector, worker]
    if plan.separate_sink:
        sink = Role("sink", ["sink"], stack_env(settings), logs / "sink.log")
        roles.append(sink)
        everyone.append(sink)
    tail = DecisionTail(settings)
    accepted: dict[str, float] = {}  # install event id -> when the collector accepted it
    try:
        for role in everyone:
            role.start()
        await collector.wait_ready()
        await worker.wait_ready()
        sdk_key = await _sdk_key(collector, settings.admin_token.reveal())
        requests = _traffic(plan.rate, plan.seconds, sdk_key, seed=15)
        await tail.start()
        loading = asyncio.create_task(_offer(collector.url, requests, plan.rate, report, accepted))
        faults = asyncio.create_task(_faults(plan, roles, settings, report, loading))
        await loading
        drain_start = time.monotonic()
        await _drain(tail, accepted, plan.drain_timeout, report, worker)
        # Recovery: from each restart until the first decision produced after it.
        for restarted in await faults:
            first = tail.first_produced_after(restarted)
            if first is not None:
                report.recovery_s.append((first - restarted) / 1000)
        rows = await _wait_rows(settings, accepted, plan.drain_timeout)
        report.drain_s = time.monotonic() - drain_start
        await asyncio.sleep(3)  # a late duplicate decision or row would have landed by now
        rows = await asyncio.to_thread(_rows_per_install, settings, True)
        await asyncio.to_thread(_optimize, settings)
        optimized = await asyncio.to_thread(_rows_per_install, settings, False)
    finally:
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
        ids = tail.ids.get(event_id, [])
        distinct = len(set(ids))
        report.decisions_lost += distinct == 0
        report.decisions_duplicated += max(0, distinct - 1)
        report.decisions_replayed += len(ids) - distinct
        report.rows_lost += rows.get(event_id, 0) == 0
        report.rows_duplicated += max(0, rows.get(event_id, 0) - 1)
        report.rows_lost_optimized += optimized.get(event_id, 0) == 0
        report.rows_duplicated_optimized += max(0, optimized.get(event_id, 0) - 1)
    return report
