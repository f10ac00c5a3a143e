"""Attribution engine benchmark: decisions/s over a backlog, latency, and the ceiling.

Run against the local broker (``attrib local up --only kafka``)::

    .venv/bin/python bench/engine.py                     # 100k touches, 10k installs
    .venv/bin/python bench/engine.py --touches 1000000   # the issue's 1 M backlog
    .venv/bin/python bench/engine.py --profile           # + where the worker's time goes
    .venv/bin/python bench/engine.py --deliver           # + postbacks and pushes in the worker
    .venv/bin/python bench/engine.py --deliver-compare   # decisions/s, postbacks off vs on

In one run, on the same broker and the same records:

1. ceiling: raw aiokafka consume -> produce pass-through of the backlog;
   floor: the steps any worker of this design must take, alone
   (``bench/floor.py``: decode, index keys, envelopes, RocksDB puts);
2. backlog: one ``attrib worker`` process decides every install of a
   pre-filled backlog (10 touches per install), timed from ready to the last
   decision; also the RocksDB bytes per indexed touch after it;
3. latency: installs offered at a steady rate to a live worker
   (``decision_delay=0s``), p50/p99 of decided_time - received_time.

With ``--deliver`` the worker runs its delivery stage and the benchmark's app
has an install postback for every network its touches name, and a push
endpoint, both pointing at a receiver the benchmark starts on loopback (its
own process, answers 200 at once); the report adds the requests it got.

``--deliver-compare`` runs only the backlog, ``--pairs`` rounds of each
``--modes`` configuration: delivery ``off``, in the ``worker``, and in a
``role`` process of its own (``attrib deliver``), each on fresh topics
(deleted after it) with the same app configuration and the same records
(the touches are filed before the installs are offered, so every run decides
the same installs), and prints decisions/s per mode and the drop of each
delivery mode against ``off`` (the goal of issue 12: at most 10%).

Numbers on a shared 2-core machine are noisy: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import floor as floor_bench
import hop_latency
from aiokafka import TopicPartition
from bench_cpu import MachineTimes, cpu_seconds, thread_cpu_seconds, thread_cpu_shares
from bench_topics import delete_run_topics
from rocksdict import AccessType, Rdict

from attrib.avro import codec
from attrib.config import validate_app_config
from attrib.engine.simulation import EngineSimulation
from attrib.kafka.client import ensure_topics, make_consumer, make_producer
from attrib.keys import device_record_key, touch_record_key
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings, load_settings
from attrib.topics import INPUTS, TopicSpec, topic_specs

APP = "bench.app"
UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile"
SOURCES = ["netA", "netA", "netA", "netB", "netB", "netC", "netD"]


def now_ms() -> int:
    return int(time.time() * 1000)


def progress(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


def make_records(installs: int, touches_per_install: int, t0: int) -> tuple[list, list]:
    """Touches and installs: each install shares an id with some of its touches."""
    rng = random.Random(7)
    touches, install_records = [], []
    for i in range(installs):
        gaid = str(uuid.UUID(int=rng.getrandbits(128)))
        ip = f"10.{i % 250}.{(i // 250) % 250}.{i % 97}"
        for j in range(touches_per_install):
            matched = j < 3
            ids = {"advertising_id": gaid} if matched else {}
            touches.append(
                {
                    "touch_id": f"t{i}-{j}",
                    "touch_type": "click" if j % 3 else "impression",
                    "app_id": APP,
                    "device_key": f"advertising_id:{gaid}" if matched else None,
                    "media_source": rng.choice(SOURCES),
                    "campaign": "c1",
                    "campaign_id": None,
                    "adset": None,
                    "adset_id": None,
                    "ad": None,
                    "ad_id": None,
                    "site_id": "s1",
                    "sub_site_id": None,
                    "network_click_id": None,
                    "advertising_id": ids.get("advertising_id"),
                    "idfa": None,
                    "android_id": None,
                    "oaid": None,
                    "ip": ip if j == 5 else f"172.16.{j}.{i % 250}",
                    "user_agent": UA,
                    "is_retargeting": False,
                    "click_lookback_ms": None,
                    "view_lookback_ms": None,
                    "touch_time": t0 - rng.randint(60_000, 6 * 86_400_000),
                    "received_time": t0,
                }
            )
        install_records.append(install(i, gaid, ip, t0))
    return touches, install_records


def live_touch(i: int) -> dict[str, Any]:
    """A click of a device no install names, timed now (the steady phase's load)."""
    gaid = str(uuid.uuid4())
    at = now_ms()
    return {
        **make_records(1, 1, at)[0][0],
        "touch_id": f"live{i}-{uuid.uuid4().hex[:8]}",
        "touch_type": "click",
        "device_key": f"advertising_id:{gaid}",
        "advertising_id": gaid,
        "ip": f"192.0.{i % 250}.{(i // 250) % 250}",
        "touch_time": at,
        "received_time": at,
    }


def install(i: int, gaid: str, ip: str, t0: int, received: int | None = None) -> dict[str, Any]:
    return {
        "event_id": f"e{i}-{uuid.uuid4().hex[:8]}",
        "app_id": APP,
        "device_key": f"advertising_id:{gaid}",
        "advertising_id": gaid,
        "idfa": None,
        "idfv": None,
        "android_id": None,
        "oaid": None,
        "customer_user_id": None,
        "platform": "android",
        "app_version": "1.0",
        "os_version": "14",
        "ip": ip,
        "user_agent": None,
        "install_referrer": None,
        "install_begin_ts": None,
        "event_time": t0,
        "received_time": received or t0,
    }


async def produce(settings: Settings, touches: list, installs: list) -> None:
    producer = make_producer(settings, linger_ms=20, max_batch_size=512 * 1024)
    await producer.start()
    try:
        futures = []
        for n, t in enumerate(touches):
            topic = settings.topic("clicks" if t["touch_type"] == "click" else "impressions")
            key = touch_record_key(APP, t["device_key"], t["touch_id"])
            futures.append(await producer.send(topic, codec.encode("Touch", t), key=key))
            if n % 50_000 == 0:
                progress(f"produced {n:,} touches")
        for i in installs:
            key = device_record_key(APP, i["device_key"])
            futures.append(
                await producer.send(settings.topic("installs"), codec.encode("Install", i), key=key)
            )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def ceiling(settings: Settings, total: int) -> tuple[float, float | None]:
    """Raw aiokafka consume -> produce of every backlog record: records/s, and CPU
    seconds per record of this process while it ran (None: unknown)."""
    out = settings.topic("bench-passthrough")
    await ensure_topics(settings, [TopicSpec(out, settings.topic_partitions, 1)])
    consumer = make_consumer(settings, max_poll_records=5_000)
    producer = make_producer(settings, linger_ms=20, max_batch_size=512 * 1024)
    await consumer.start()
    await producer.start()
    try:
        tps = [
            TopicPartition(settings.topic(name), p)
            for name in ("clicks", "impressions", "installs")
            for p in range(settings.topic_partitions)
        ]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        seen, started, futures = 0, time.perf_counter(), []
        cpu_before = cpu_seconds(os.getpid())
        while seen < total:
            batch = await consumer.getmany(timeout_ms=500, max_records=5_000)
            for records in batch.values():
                for r in records:
                    futures.append(await producer.send(out, r.value, key=r.key))
                seen += sum(len(v) for v in batch.values())
            if len(futures) > 20_000:
                await asyncio.gather(*futures)
                futures.clear()
        await asyncio.gather(*futures)
        rate = seen / (time.perf_counter() - started)
        cpu_after = cpu_seconds(os.getpid())
        per_record = None
        if cpu_before is not None and cpu_after is not None:
            per_record = (cpu_after - cpu_before) / max(1, seen)
        return rate, per_record
    finally:
        await consumer.stop()
        await producer.stop()


async def count_records(settings: Settings, topic: str, want: int, deadline_s: float) -> list:
    consumer = make_consumer(settings, max_poll_records=10_000)
    await consumer.start()
    try:
        tps = [TopicPartition(settings.topic(topic), p) for p in range(settings.topic_partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out: list = []
        deadline = time.monotonic() + deadline_s
        last = 0
        while len(out) < want and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                out.extend(records)
            if len(out) - last >= max(1, want // 10):
                progress(f"{topic}: {len(out):,}/{want:,}")
                last = len(out)
        return out
    finally:
        await consumer.stop()


def worker_env(settings: Settings, *, deliver: bool) -> dict[str, str]:
    """The environment of this run's ``attrib worker`` (and ``attrib deliver``) processes."""
    env = dict(os.environ)
    env.update(
        ATTRIB_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        ATTRIB_TOPIC_PREFIX=settings.topic_prefix,
        ATTRIB_FAUST_APP_ID=settings.faust_app_id,
        ATTRIB_DATA_DIR=settings.data_dir,
        ATTRIB_TOPIC_PARTITIONS=str(settings.topic_partitions),
        ATTRIB_DECISION_DELAY="0s",
        ATTRIB_WORKER_SINK="false",  # measure the join alone
        # Postback/push delivery in the worker: off unless --deliver (its cost apart).
        ATTRIB_WORKER_DELIVER="true" if deliver else "false",
    )
    return env


class Worker:
    def __init__(
        self, settings: Settings, *, profile: Path | None = None, deliver: bool = False
    ) -> None:
        self.port = 16600 + random.randint(0, 300)
        self.env = worker_env(settings, deliver=deliver)
        argv = [sys.executable]
        if profile is not None:
            argv += ["-m", "cProfile", "-o", str(profile)]
        argv += ["-m", "attrib.cli", "worker", "--port", str(self.port)]
        self.log = open(Path(settings.data_dir) / "bench-worker.log", "ab")  # noqa: SIM115
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, env=self.env, stdout=self.log, stderr=self.log)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("worker not ready")

    def consumed(self) -> float:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("attrib_worker_records_consumed_total{")
        )

    #: Gauges printed each second of the steady phase (``--latency-series``): which of
    #: the decision's gates holds installs back (docs/operations.md).
    GATES = (
        "attrib_touch_watermark_age_seconds",
        "attrib_lookups_held",
        "attrib_lookup_envelopes_waiting_for_index",
        "attrib_pending_installs",
    )
    #: Counters printed as their increase over each second of the steady phase.
    RATES = ("attrib_touch_index_keys_swept_total",)

    def gates(self) -> dict[str, float]:
        """The :data:`GATES` gauges now (summed over labels), the :data:`RATES` counters
        and the index entries consumed so far (``touch-index``)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
        out: dict[str, float] = {}
        for line in text.splitlines():
            name = line.split("{", 1)[0].split(" ", 1)[0]
            if name in self.GATES or name in self.RATES:
                out[name] = out.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
            elif name == "attrib_agent_seconds_total":  # busy share of each agent's phase
                agent = line.split('agent="', 1)[1].split('"', 1)[0]
                phase = line.split('phase="', 1)[1].split('"', 1)[0]
                out[f"{agent}:{phase}"] = float(line.rsplit(" ", 1)[1])
            elif name == "attrib_worker_records_consumed_total" and "touch-index" in line:
                out["index_entries_filed"] = out.get("index_entries_filed", 0.0) + float(
                    line.rsplit(" ", 1)[1]
                )
        return out

    def envelope_delays(self) -> dict[str, tuple[float, float]]:
        """``{topic: (sum of seconds, count)}`` of the worker's envelope delay histogram."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
        out: dict[str, list[float]] = {}
        for line in text.splitlines():
            for suffix, slot in (("_sum{", 0), ("_count{", 1)):
                if line.startswith("attrib_envelope_delay_seconds" + suffix):
                    topic = line.split('topic="', 1)[1].split('"', 1)[0]
                    out.setdefault(topic, [0.0, 0.0])[slot] = float(line.rsplit(" ", 1)[1])
        return {topic: (v[0], v[1]) for topic, v in out.items()}

    def wait_idle(self, quiet_s: float = 3.0, timeout: float = 3_600) -> None:
        """Until the worker consumed nothing new for ``quiet_s`` seconds."""
        deadline = time.monotonic() + timeout
        last, since = -1.0, time.monotonic()
        while time.monotonic() < deadline:
            now = self.consumed()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return
            time.sleep(0.5)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)


PROJECT = str(Path(__file__).resolve().parents[1]) + "/"


def _function_of(frame: str) -> str:
    """``function (file)`` of a py-spy frame ``function (path:line)``."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1].split(':', 1)[0]})"


class Sampler:
    """py-spy sampling one process (``--py-spy``): raw folded stacks, summarised."""

    def __init__(self, py_spy: str, pid: int, out: Path, phase: str = "the backlog") -> None:
        self.out = out
        self.phase = phase
        argv = [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "250",
            "--format",
            "raw",
            "--full-filenames",
        ]
        self.proc = subprocess.Popen(
            [*argv, "--nonblocking", "--output", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self, top: int = 30) -> list[str]:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)
        own: dict[str, int] = {}
        inclusive: dict[str, int] = {}
        total = 0
        for line in self.out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = stack.split(";")
            leaf = _function_of(frames[-1])
            own[leaf] = own.get(leaf, 0) + n
            for frame in {_function_of(f) for f in frames if PROJECT in f}:  # ours only
                inclusive[frame] = inclusive.get(frame, 0) + n
        lines = [f"\npy-spy over {self.phase}: {total:,} samples (idle included)"]
        for title, counts in (("own", own), ("inclusive (this project's functions)", inclusive)):
            lines.append(f"  top {top} by {title} samples:")
            for frame, n in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
                lines.append(f"  {n / max(1, total):6.1%}  {frame}")
        return lines


class DeliverRole:
    """``attrib deliver``: the delivery stage in a process of its own (as the chart's
    optional ``deliver`` Deployment runs it), for ``--deliver-compare``'s ``role`` mode."""

    def __init__(self, settings: Settings) -> None:
        env = worker_env(settings, deliver=False)
        self.log = open(Path(settings.data_dir) / "bench-deliver.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "attrib.cli", "deliver"],
            env=env,
            stdout=self.log,
            stderr=self.log,
        )

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def records_produced(settings: Settings) -> int:
    """Records in every topic of this run except the five inputs: outputs, the
    worker's internal topics and changelogs, dead letters (a machine-independent
    measure of what the engine writes per input record)."""
    consumer = make_consumer(settings)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        names = [
            t
            for t in cluster.topics()
            if (t.startswith(settings.topic_prefix) or t.startswith(settings.faust_app_id))
            and t
            not in {
                settings.topic(n)
                for n in (*INPUTS, "app-config", "bench-passthrough", *floor_bench.TOPICS)
            }
        ]
        tps = [TopicPartition(t, p) for t in names for p in cluster.partitions_for_topic(t) or ()]
        if not tps:
            return 0
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        return sum(ends[tp] - starts[tp] for tp in tps)
    finally:
        await consumer.stop()


async def end_offsets_total(settings: Settings, names: list[str]) -> int:
    consumer = make_consumer(settings)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [
            TopicPartition(t, p)
            for t in cluster.topics()
            if any(n in t for n in names)
            for p in cluster.partitions_for_topic(t) or ()
        ]
        return sum((await consumer.end_offsets(tps)).values()) if tps else 0
    finally:
        await consumer.stop()


async def quix_peer(
    settings: Settings, clicks: int, installs: int, tag: str, python: str
) -> dict[str, float] | None:
    """Run ``bench/quix_peer.py`` with ``python`` over this run's clicks and installs
    (own process); None when that interpreter has no quixstreams (the optional
    ``bench`` extra). Its topics' names hold ``quix-peer-<tag>``."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    has_quix = subprocess.run([python, "-c", "import quixstreams"], capture_output=True)  # noqa: ASYNC221
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # What importing it costs (part of the peer's CPU from its start, not of its work).
    import_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    if has_quix.returncode != 0:
        return None
    group, output = f"quix-peer-{tag}", settings.topic(f"quix-peer-{tag}")
    state = Path(settings.data_dir) / "quix-state"
    argv = [
        python,
        str(Path(__file__).with_name("quix_peer.py")),
        settings.kafka_bootstrap,
        settings.topic("clicks"),
        settings.topic("installs"),
        output,
        group,
        str(state),
    ]
    log = open(Path(settings.data_dir) / "quix-peer.log", "ab")  # noqa: SIM115, ASYNC230
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=log, stderr=log)  # noqa: ASYNC220
    try:
        consumer = make_consumer(settings)
        await consumer.start()
        first = last = 0.0
        seen = 0
        cpu: float | None = None  # the peer's CPU seconds at its last output
        try:
            while seen < installs and time.perf_counter() - started < 1_800:
                if proc.poll() is not None:
                    raise RuntimeError("the Quix peer exited; see quix-peer.log")
                cluster = await consumer._client.fetch_all_metadata()
                parts = cluster.partitions_for_topic(output) or ()
                ends = await consumer.end_offsets([TopicPartition(output, p) for p in parts])
                now_seen = sum(ends.values())
                if now_seen and not first:
                    first = time.perf_counter()
                if now_seen != seen:
                    last = time.perf_counter()
                    cpu = cpu_seconds(proc.pid)
                    progress(f"quix peer: {now_seen:,}/{installs:,} joined")
                seen = now_seen
                await asyncio.sleep(0.2)
        finally:
            await consumer.stop()
    finally:
        proc.terminate()  # it commits its changelog on the way out
        proc.wait(timeout=60)
    produced = await end_offsets_total(settings, [group, output])
    elapsed = last - started
    inputs = clicks + installs
    return {
        "records_ps": inputs / elapsed,
        "records_ps_after_first_output": inputs / max(1e-9, last - first),
        "produced_per_input": produced / inputs,
        # From its process start (imports, Kafka setup and recovery included).
        "cpu_per_input": None if cpu is None else cpu / inputs,
        "import_cpu_per_input": import_cpu / inputs,
        "joined": seen,
    }


def processors_alone(touches: list, installs: list, partitions: int) -> tuple[float, int]:
    """The engine's own processors over the same records, without Kafka, Faust or
    RocksDB: :class:`EngineSimulation` (the worker's wiring on in-memory tables), fed
    the backlog in the intake's batches of 5,000 as the worker reads it (touches, then
    installs). Returns this process's CPU seconds per input record and the decisions."""
    config = validate_app_config(APP, app_body())
    batches = [
        ("clicks", [codec.encode("Touch", t) for t in touches if t["touch_type"] == "click"]),
        ("impressions", [codec.encode("Touch", t) for t in touches if t["touch_type"] != "click"]),
        ("installs", [codec.encode("Install", i) for i in installs]),
    ]
    sim = EngineSimulation(
        {APP: config}, start_ms=now_ms(), decision_delay_ms=0, partitions=partitions
    )
    started = time.process_time()
    for topic, values in batches:
        for at in range(0, len(values), 5_000):
            sim.pipe_raw(topic, values[at : at + 5_000])
    sim.advance(1_000)  # the lookups' timers: every install decided
    cpu = time.process_time() - started
    return cpu / (len(touches) + len(installs)), len(sim.outputs["attributions"])


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


#: The push endpoint's HMAC key (the receiver does not check signatures).
PUSH_SECRET = "bench-push-secret"


def serve(port_file: str) -> None:
    """The postback/push receiver (its own process): 200 at once, counts requests."""
    from aiohttp import web

    stats: dict[str, Any] = {"postbacks": 0, "pushes": 0, "by_network": {}, "last": None}

    async def postback(request: web.Request) -> web.Response:
        stats["postbacks"] += 1
        stats["last"] = time.time()
        net = parse_qs(request.query_string).get("net", ["?"])[0]
        stats["by_network"][net] = stats["by_network"].get(net, 0) + 1
        return web.Response(text="ok")

    async def push(request: web.Request) -> web.Response:
        await request.read()
        stats["pushes"] += 1
        stats["last"] = time.time()
        return web.Response(text="ok")

    async def read(_: web.Request) -> web.Response:
        return web.json_response(stats)

    async def reset(_: web.Request) -> web.Response:
        stats.update(postbacks=0, pushes=0, by_network={}, last=None)
        return web.json_response({})

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/pb", postback)
        app.router.add_post("/push", push)
        app.router.add_get("/stats", read)
        app.router.add_post("/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        Path(port_file).write_text(str(port))  # noqa: ASYNC240 - once, at start
        await asyncio.Event().wait()

    asyncio.run(run())


class Receiver:
    """The receiver process of ``--deliver``, on a loopback port of its own."""

    def __init__(self, folder: Path) -> None:
        port_file = folder / "receiver.port"
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the postback receiver did not start")
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{port_file.read_text()}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base}/stats", timeout=10) as resp:
            return json.loads(resp.read())

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.base}/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()

    def wait(self, postbacks: int, pushes: int, quiet_s: float = 10.0) -> dict[str, Any]:
        """The stats once ``postbacks`` and ``pushes`` arrived, or nothing came for ``quiet_s``."""
        last: dict[str, Any] = {}
        since = time.monotonic()
        while True:
            seen = self.stats()
            if seen["postbacks"] >= postbacks and seen["pushes"] >= pushes:
                return seen
            if (seen["postbacks"], seen["pushes"]) != (last.get("postbacks"), last.get("pushes")):
                last, since = seen, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return seen
            time.sleep(0.5)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def app_body(receiver_base: str | None = None) -> dict[str, Any]:
    """The benchmark app's configuration; with a receiver, an install postback for
    every network the touches name and a push endpoint, all at the receiver."""
    body: dict[str, Any] = {
        "platform": "android",
        "store_url": "https://play.google.com/store/apps/details?id=x",
    }
    if receiver_base is not None:
        body["postbacks"] = [
            {"media_source": net, "install_url": f"{receiver_base}/pb?net={net}&id={{delivery_id}}"}
            for net in sorted(set(SOURCES))
        ]
        body["push_endpoints"] = [{"url": f"{receiver_base}/push", "secret": PUSH_SECRET}]
    return body


async def register(settings: Settings, receiver_base: str | None = None) -> None:
    await ensure_topics(settings, topic_specs(settings))
    cache = AppConfigCache(settings)
    await cache.start()
    writer = AppRegistryWriter(settings, cache)
    await writer.start()
    try:
        await writer.put(validate_app_config(APP, app_body(receiver_base)))
    finally:
        await writer.stop()
        await cache.stop()


def owed(decisions: list) -> tuple[int, int]:
    """(install postbacks, pushes) the decisions owe: one postback per non-organic
    install won by one of the networks, one push per decision."""
    decoded = [codec.decode(r.value) for r in decisions]
    postbacks = sum(
        1
        for a in decoded
        if a["status"] == "non_organic"
        and a["conversion_type"] in ("install", "reattribution")  # (plan's posted ones)
        and a["media_source"] in SOURCES
    )
    return postbacks, len(decoded)


def deliveries_lines(seen: dict[str, Any], postbacks: int, pushes: int) -> list[str]:
    nets = ", ".join(f"{k} {v:,}" for k, v in sorted(seen.get("by_network", {}).items()))
    return [
        f"{'postback requests received':<44}{seen['postbacks']:>14,}",
        f"  (owed {postbacks:,}; by network: {nets or 'none'})",
        f"{'push requests received':<44}{seen['pushes']:>14,}",
        f"  (owed {pushes:,})",
    ]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def run_settings(base: Settings, tag: str, data_dir: Path) -> Settings:
    """A run's settings: topics, consumer group and data folder of its own."""
    return load_settings(
        env={},
        kafka_bootstrap=base.kafka_bootstrap,
        topic_prefix=f"bench{tag}.",
        faust_app_id=f"attrib-bench-{tag}",
        data_dir=str(data_dir),
        topic_partitions=4,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--touches", type=int, default=100_000)
    parser.add_argument("--per-install", type=int, default=10)
    parser.add_argument("--rate", type=int, default=100, help="installs/s offered for latency")
    parser.add_argument("--seconds", type=int, default=15, help="length of the latency run")
    parser.add_argument(
        "--touch-rate", type=int, default=0, help="clicks/s offered beside the installs"
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--latency-series", action="store_true", help="latency per second of the steady phase"
    )
    parser.add_argument(
        "--hop-bound",
        action="store_true",
        help="after the latency phase, the same offered load across the 4 Kafka topics of a"
        " decision, relayed by one process doing nothing else (bench/hop_latency.py), then"
        " the same with each hop committing as an agent does (--durable)",
    )
    parser.add_argument(
        "--py-spy",
        metavar="PATH",
        help="sample the worker with this py-spy binary over the backlog, then over the steady"
        " phase, and print where its time went (own and inclusive samples per function)",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the Quix Streams peer")
    parser.add_argument(
        "--peer-python",
        default=sys.executable,
        help="interpreter of the Quix Streams peer: a venv with quixstreams and this project"
        " (quixstreams pins its own confluent-kafka; keep it out of the project's venv)",
    )
    parser.add_argument(
        "--deliver",
        action="store_true",
        help="run the postback/push delivery in the worker, to a loopback receiver",
    )
    parser.add_argument(
        "--deliver-compare",
        action="store_true",
        help="only the backlog's decisions/s, delivery off and on alternately (fresh topics each)",
    )
    parser.add_argument("--pairs", type=int, default=3, help="rounds of --deliver-compare")
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help="--deliver-compare's configurations, in each round's order (off first)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the data folder, logs and the run's topics"
    )
    args = parser.parse_args()

    base = load_settings()
    tmp = Path(tempfile.mkdtemp(prefix="attrib-bench-"))
    receiver = Receiver(tmp) if args.deliver or args.deliver_compare else None
    try:
        if args.deliver_compare:
            assert receiver is not None
            await compare(args, base, tmp, receiver)
            return
        tag = uuid.uuid4().hex[:8]
        settings = run_settings(base, tag, tmp)
        try:
            await measure(args, settings, tmp, tag, receiver)
        finally:
            if not args.keep:  # the broker is shared and long-lived: no topics left behind
                deleted = await delete_run_topics(
                    settings, (settings.topic_prefix, settings.faust_app_id), (f"quix-peer-{tag}",)
                )
                progress(f"deleted this run's {deleted} topics")
    finally:
        if receiver is not None:
            receiver.stop()


def local_broker_pid(settings: Settings) -> int | None:
    """The pid of the local stack's Kafka broker (``attrib local up``), if it runs here."""
    try:
        return int((Path(settings.data_dir) / "kafka" / "kafka.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def cpu_used_main(pid: int, before: float | None) -> float | None:
    """CPU seconds of ``pid``'s main thread (its event loop) since ``before``."""
    after = cpu_seconds(pid, main_thread=True)
    return after - before if after is not None and before is not None else None


def cpu_used(pid: int | None, before: float | None) -> float | None:
    """CPU seconds process ``pid`` spent since it had spent ``before`` (None: unknown)."""
    after = cpu_seconds(pid) if pid else None
    return None if after is None or before is None else after - before


#: ``--deliver-compare``'s configurations: no delivery, the delivery stage inside the
#: worker (``ATTRIB_WORKER_DELIVER=true``, the default deployment), and in a process
#: of its own (``attrib deliver``, the chart's optional Deployment).
MODES = ("off", "worker", "role")


async def backlog_run(
    args: argparse.Namespace, base: Settings, tmp: Path, receiver: Receiver, mode: str
) -> dict[str, Any]:
    """One configuration of ``--deliver-compare``: decisions/s over a backlog of
    installs, on fresh topics (deleted at the end), the app's postbacks and push
    endpoint registered in every mode; with delivery, also what the receiver got.

    The touches are produced first and the worker files them all before the
    installs are produced: every run then decides the same installs the same
    way (when installs and touches were read side by side, 16-84% of the
    installs found their touches, depending on the order of consumption).
    """
    tag = uuid.uuid4().hex[:8]
    data_dir = tmp / f"run-{tag}"
    data_dir.mkdir()
    settings = run_settings(base, tag, data_dir)
    installs_n = args.touches // args.per_install
    receiver.reset()
    try:
        await register(settings, receiver.base)
        touches, installs = make_records(installs_n, args.per_install, now_ms())
        await produce(settings, touches, [])
        worker = Worker(settings, deliver=mode == "worker")
        role = DeliverRole(settings) if mode == "role" else None
        try:
            worker.wait_ready()
            worker.wait_idle(quiet_s=2.0)  # every touch filed
            progress(f"{len(touches):,} touches filed; producing {installs_n:,} installs")
            pids = {"worker": worker.proc.pid, "role": role.proc.pid if role else None}
            cpu_before = {name: cpu_seconds(pid) if pid else None for name, pid in pids.items()}
            machine_before = MachineTimes.now()
            started = time.perf_counter()
            await produce(settings, [], installs)
            decided = await count_records(settings, "attributions", installs_n, deadline_s=1_800)
            elapsed = time.perf_counter() - started
            busy = MachineTimes.now().busy_since(machine_before)
            cpu = {name: cpu_used(pid, cpu_before[name]) for name, pid in pids.items()}
            postbacks, pushes = owed(decided)
            seen = receiver.wait(postbacks, pushes) if mode != "off" else receiver.stats()
        finally:
            worker.stop()
            if role is not None:
                role.stop()
        return {
            "mode": mode,
            "decisions": len(decided),
            "decisions_ps": len(decided) / elapsed,
            "owed_postbacks": postbacks,
            "owed_pushes": pushes,
            "postbacks": seen["postbacks"],
            "pushes": seen["pushes"],
            # while deciding: the share of all CPUs busy, and CPU seconds per process
            "machine_busy": busy,
            "worker_cpu_s": cpu["worker"],
            "role_cpu_s": cpu["role"],
        }
    finally:
        if not args.keep:
            deleted = await delete_run_topics(
                settings, (settings.topic_prefix, settings.faust_app_id)
            )
            progress(f"deleted this run's {deleted} topics")
            shutil.rmtree(data_dir, ignore_errors=True)


async def compare(args: argparse.Namespace, base: Settings, tmp: Path, receiver: Receiver) -> None:
    runs: list[dict[str, Any]] = []
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if "off" not in modes or not set(modes) <= set(MODES):
        raise SystemExit(f"--modes: some of {', '.join(MODES)}, off included")
    for round_ in range(args.pairs):
        for mode in modes:
            progress(f"round {round_ + 1}/{args.pairs}, delivery {mode}")
            run = await backlog_run(args, base, tmp, receiver, mode)
            progress(
                f"delivery {mode}: {run['decisions_ps']:,.0f} decisions/s, "
                f"{run['postbacks']:,} postbacks, {run['pushes']:,} pushes"
            )
            runs.append(run)
    progress(f"bare aiohttp client: {BARE_REQUESTS:,} GETs to the same receiver")
    bare_us = await bare_client_cpu_us(receiver)
    installs_n = args.touches // args.per_install
    print()
    print(compare_summary(runs, touches=installs_n * args.per_install, installs=installs_n))
    print(bound_lines(runs, bare_us))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")


#: Requests of the bare client lane of ``--deliver-compare``.
BARE_REQUESTS = 20_000


async def bare_client_cpu_us(receiver: Receiver) -> float:
    """CPU µs per request of a bare aiohttp client (bench/postbacks.py's ceiling lane:
    one session, 16 requests at a time) to the run's receiver, in this process."""
    from postbacks import bare_client

    receiver.reset()
    before = time.process_time()
    await bare_client(receiver.base, BARE_REQUESTS)
    return (time.process_time() - before) / BARE_REQUESTS * 1e6


def bound_lines(runs: list[dict[str, Any]], bare_us: float) -> str:
    """The bound of the drop with delivery inside the worker: the worker runs on one
    event loop, so every delivery's request costs it at least a bare client's CPU."""
    offs = [r for r in runs if r["mode"] == "off" and r.get("worker_cpu_s")]
    ons = [r for r in runs if r["mode"] != "off"]
    if not offs or not ons:
        return ""
    off_us = sum(r["worker_cpu_s"] / r["decisions"] * 1e6 for r in offs) / len(offs)
    per_decision = sum((r["postbacks"] + r["pushes"]) / r["decisions"] for r in ons) / len(ons)
    least = bare_us * per_decision
    return "\n".join(
        [
            f"bare aiohttp client: {bare_us:,.0f} µs CPU per request (this run, same receiver);"
            f" {per_decision:.2f} deliveries per decision",
            f"bound, delivery in the worker: its one event loop spends at least"
            f" {least:,.0f} µs more per decision ({off_us:,.0f} without), so the rate of a"
            f" saturated worker drops by at least {least / (off_us + least):.1%}",
        ]
    )


def compare_summary(runs: list[dict[str, Any]], *, touches: int, installs: int) -> str:
    """``--deliver-compare``'s report: per round decisions/s of each mode and the drop of
    each delivery mode against ``off`` of the same round, then the drops of the means."""
    modes = [m for m in MODES if any(r["mode"] == m for r in runs)]
    by_mode = {m: [r for r in runs if r["mode"] == m] for m in modes}
    on_modes = [m for m in modes if m != "off"]
    header = f"{'round':<7}{'off, dec/s':>12}"
    for m in on_modes:
        header += f"{m + ', dec/s':>15}{'drop':>8}"
    header += f"{'won':>8}" + "".join(f"{m + ' delivered':>20}" for m in on_modes)
    lines = [
        f"engine decisions/s, delivery off vs on: {touches:,} touches filed first, then"
        f" {installs:,} installs, per configuration",
        header,
    ]
    rounds = zip(*(by_mode[m] for m in modes), strict=True)
    for n, row in enumerate(rounds, 1):
        runs_of = dict(zip(modes, row, strict=True))
        off = runs_of["off"]
        line = f"{n:<7}{off['decisions_ps']:>12,.0f}"
        for m in on_modes:
            on = runs_of[m]
            line += (
                f"{on['decisions_ps']:>15,.0f}{1 - on['decisions_ps'] / off['decisions_ps']:>8.1%}"
            )
        line += f"{off['owed_postbacks']:>8,}"
        for m in on_modes:
            on = runs_of[m]
            line += f"{str(on['postbacks']) + ' + ' + str(on['pushes']):>20}"
        lines.append(line)
    means = {m: sum(r["decisions_ps"] for r in by_mode[m]) / len(by_mode[m]) for m in modes}
    for m in modes:
        lines.append(f"{'decisions/s, delivery ' + m + ' (mean)':<44}{means[m]:>14,.0f}")
    for m in on_modes:
        drop = 1 - means[m] / means["off"]
        verdict = "met" if drop <= 0.10 else "not met"
        ons = by_mode[m]
        lines += [
            f"drop with delivery {m}: {drop:.1%} (goal: at most 10%: {verdict})",
            f"  deliveries: {sum(r['postbacks'] for r in ons):,} of"
            f" {sum(r['owed_postbacks'] for r in ons):,} postbacks owed,"
            f" {sum(r['pushes'] for r in ons):,} of {sum(r['owed_pushes'] for r in ons):,}"
            " pushes owed",
        ]
    lines += cpu_lines(by_mode, modes)
    lines.append(
        "(won: installs won by a network, each owing a postback; delivered: postback +"
        " push requests the receiver got; CPU: from the installs offered to the last"
        " decision)"
    )
    return "\n".join(lines)


def cpu_lines(by_mode: dict[str, list[dict[str, Any]]], modes: list[str]) -> list[str]:
    """Per mode: how busy the machine was while deciding, and the CPU each process spent
    per decision (the worker's is the engine's cost per decision, whatever the load)."""

    def mean(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return sum(known) / len(known) if known else None

    def fmt(value: float | None, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    lines: list[str] = []
    for m in modes:
        runs = by_mode[m]
        busy = mean([r.get("machine_busy") for r in runs])
        worker_us = mean(
            [
                r["worker_cpu_s"] / r["decisions"] * 1e6 if r.get("worker_cpu_s") else None
                for r in runs
            ]
        )
        role_us = mean(
            [r["role_cpu_s"] / r["decisions"] * 1e6 if r.get("role_cpu_s") else None for r in runs]
        )
        line = (
            f"delivery {m}: machine busy {fmt(busy, '.0%')} while deciding;"
            f" worker CPU per decision {fmt(worker_us, ',.0f')} µs"
        )
        if role_us is not None:
            line += f", attrib deliver's {role_us:,.0f} µs"
        lines.append(line)
    return lines


async def measure(
    args: argparse.Namespace, settings: Settings, tmp: Path, tag: str, receiver: Receiver | None
) -> None:
    installs_n = args.touches // args.per_install
    t0 = now_ms()
    progress(f"registering {APP}, producing {args.touches:,} touches + {installs_n:,} installs")
    await register(settings, receiver.base if receiver is not None else None)
    touches, installs = make_records(installs_n, args.per_install, t0)
    await produce(settings, touches, installs)
    total = len(touches) + len(installs)

    progress("ceiling: raw aiokafka pass-through")
    ceiling_rps, ceiling_cpu = await ceiling(settings, total)
    progress("floor: the required steps alone (decode, index keys, envelopes, RocksDB)")
    floor_cpu = (await floor_bench.floor(settings, total, APP)).cpu_per_record
    progress("the engine's processors alone, in memory (no Kafka, Faust or RocksDB)")
    alone_cpu, alone_decided = processors_alone(touches, installs, settings.topic_partitions)

    inputs_before = await records_produced(settings)
    progress("backlog: one worker process")
    profile = tmp / "worker.prof" if args.profile else None
    worker = Worker(settings, profile=profile, deliver=args.deliver)
    worker.wait_ready()
    spy = Sampler(args.py_spy, worker.proc.pid, tmp / "backlog.spy") if args.py_spy else None
    machine_before = MachineTimes.now()
    worker_cpu_before = cpu_seconds(worker.proc.pid)
    main_cpu_before = cpu_seconds(worker.proc.pid, main_thread=True)
    started = time.perf_counter()
    decided = await count_records(settings, "attributions", installs_n, deadline_s=3_600)
    finished = time.perf_counter()
    worker_cpu = cpu_used(worker.proc.pid, worker_cpu_before)
    main_cpu = cpu_used_main(worker.proc.pid, main_cpu_before)
    machine_after = MachineTimes.now()
    machine_busy = machine_after.busy_since(machine_before)
    machine_iowait = machine_after.iowait_since(machine_before)
    spy_lines = spy.stop() if spy is not None else []
    elapsed = finished - started
    from_start_ps = total / (finished - worker.started)
    decisions_ps = len(decided) / elapsed
    records_ps = total / elapsed

    progress("waiting until the worker is idle (index caught up)")
    worker.wait_idle()
    produced = await records_produced(settings) - inputs_before
    peer = None
    if not args.no_peer:
        progress("peer: Quix Streams join_asof over the same clicks and installs")
        worker_paused = worker.proc
        worker_paused.send_signal(signal.SIGSTOP)  # the peer gets the machine to itself
        try:
            clicks_n = sum(1 for t in touches if t["touch_type"] == "click")
            peer = await quix_peer(settings, clicks_n, installs_n, tag, args.peer_python)
        finally:
            worker_paused.send_signal(signal.SIGCONT)
    progress(f"latency: {args.rate} installs/s + {args.touch_rate} touches/s for {args.seconds}s")
    delays_before = worker.envelope_delays()
    latencies: list[float] = []
    by_second: dict[int, list[float]] = {}  # received second -> latencies (--latency-series)
    producer = make_producer(settings)
    await producer.start()
    steady_machine = MachineTimes.now()
    steady_cpu = cpu_seconds(worker.proc.pid)
    steady_main = cpu_seconds(worker.proc.pid, main_thread=True)
    steady_threads = thread_cpu_seconds(worker.proc.pid)
    broker_pid = local_broker_pid(load_settings())  # the stack's data folder, not the run's
    steady_broker = cpu_seconds(broker_pid) if broker_pid else None
    steady_self = cpu_seconds(os.getpid())
    steady_started = time.perf_counter()
    steady_spy = (
        Sampler(args.py_spy, worker.proc.pid, tmp / "steady.spy", "the steady phase")
        if args.py_spy
        else None
    )
    gate_series: list[dict[str, float]] = []
    try:
        sent = 0
        touches_sent = 0
        latency_ids: set[str] = set()
        start = time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            elapsed = time.perf_counter() - start
            due = int(elapsed * args.rate)
            touches_due = int(elapsed * args.touch_rate)
            while touches_sent < touches_due:
                touch = live_touch(touches_sent)
                await producer.send(
                    settings.topic("clicks"),
                    codec.encode("Touch", touch),
                    key=touch_record_key(APP, touch["device_key"], touch["touch_id"]),
                )
                touches_sent += 1
            while sent < due:
                rec = install(10_000_000 + sent, str(uuid.uuid4()), "10.9.9.9", now_ms(), now_ms())
                latency_ids.add(rec["event_id"])
                await producer.send(
                    settings.topic("installs"),
                    codec.encode("Install", rec),
                    key=device_record_key(APP, rec["device_key"]),
                )
                sent += 1
            if args.latency_series and int(elapsed) >= len(gate_series):
                gate_series.append(await asyncio.to_thread(worker.gates))
            await asyncio.sleep(0.005)
        await producer.flush()
    finally:
        await producer.stop()
    records = await count_records(settings, "attributions", installs_n + sent, deadline_s=120)
    # The steady phase, until its last decision: how busy the machine (this load generator,
    # the broker and the worker on the same cores) and the worker's loop were.
    steady_end = MachineTimes.now()
    steady_busy = steady_end.busy_since(steady_machine)
    steady_iowait = steady_end.iowait_since(steady_machine)
    steady_s = time.perf_counter() - steady_started
    steady_worker_cpu = cpu_used(worker.proc.pid, steady_cpu)
    steady_main_cpu = cpu_used_main(worker.proc.pid, steady_main)
    steady_shares = thread_cpu_shares(steady_threads, thread_cpu_seconds(worker.proc.pid), steady_s)
    broker_cpu = cpu_used(broker_pid, steady_broker)
    self_cpu = cpu_used(os.getpid(), steady_self)
    if steady_spy is not None:
        spy_lines += steady_spy.stop()
    for r in records:
        a = codec.decode(r.value)
        if a["install_event_id"] in latency_ids:  # partition order mixes backlog and live
            latencies.append(a["decided_time"] - a["received_time"])
            by_second.setdefault(a["received_time"] // 1000, []).append(latencies[-1])
    delays_after = worker.envelope_delays()
    # Per internal topic (its last name part), the steady phase's total wait of envelopes
    # before their agent and how many envelopes the agent took: Faust's per-message cost
    # is paid once per envelope, so fewer envelopes per input record is less of it.
    steady_delays = {
        topic.rsplit("-", 1)[-1]: (
            total - delays_before.get(topic, (0.0, 0.0))[0],
            count - delays_before.get(topic, (0.0, 0.0))[1],
        )
        for topic, (total, count) in delays_after.items()
    }
    hop_delays = {t: total / max(1.0, n) for t, (total, n) in steady_delays.items()}
    hop_envelopes = {t: n for t, (_, n) in steady_delays.items()}
    steady_inputs = sent + touches_sent
    hop_bound: list[float] = []
    durable_bound: list[float] = []
    if args.hop_bound:
        worker.proc.send_signal(signal.SIGSTOP)  # the relay gets the machine the worker had
        try:
            for durable in (False, True):
                kind = "with the agents' commits" if durable else "alone"
                progress(f"bound: 4 Kafka topics {kind}, at {args.rate}+{args.touch_rate}/s")
                measured = await hop_latency.measure(
                    settings,
                    hops=4,
                    rate=args.rate,
                    background=args.touch_rate,
                    seconds=args.seconds,
                    durable=durable,
                )
                (durable_bound if durable else hop_bound).extend(measured)
        finally:
            worker.proc.send_signal(signal.SIGCONT)
    deliveries: list[str] = []
    if receiver is not None:
        progress("waiting for the postbacks and pushes the decisions owe")
        postbacks, pushes = owed(records)
        deliveries = deliveries_lines(receiver.wait(postbacks, pushes), postbacks, pushes)
    worker.stop()
    tables_dir = tmp / "worker" / "tables"
    stores = [p for p in tables_dir.rglob("touches-*.db") if p.is_dir()]
    index_bytes = sum(du(p) for p in stores)
    logical_bytes = 0
    index_key_set: set[bytes] = set()
    index_entries = 0
    for path in stores:
        db = Rdict(str(path), access_type=AccessType.read_only())
        for k, v in db.items():
            logical_bytes += len(k) + len(v)
            if k[:1].isalpha():  # an index entry (not the expiry index, not Faust's offset)
                index_entries += 1
                index_key_set.add(k.split(b"\x00", 1)[0])
        db.close()

    print()
    print(
        f"engine benchmark: {total:,} records ({len(touches):,} touches, {installs_n:,} installs)"
    )

    def row(label: str, value: float, spec: str) -> None:
        print(f"{label:<44}{value:>14{spec}}")

    print(f"{'measure':<44}{'value':>14}")
    row("raw aiokafka pass-through (ceiling), rec/s", ceiling_rps, ",.0f")
    row("worker backlog, records/s", records_ps, ",.0f")
    row("worker backlog, decisions/s", decisions_ps, ",.0f")
    row("  (from process start, records/s)", from_start_ps, ",.0f")
    row("ratio worker / ceiling", records_ps / ceiling_rps, ".1%")
    if worker_cpu is not None and main_cpu is not None:
        # Machine-independent-ish: what one input record costs the worker's CPU,
        # all threads (librdkafka's and RocksDB's included) and its event loop alone.
        row("worker CPU per input record, µs", worker_cpu / total * 1e6, ",.1f")
        if ceiling_cpu:
            row("  raw pass-through's, µs", ceiling_cpu * 1e6, ",.1f")
            row("  ratio raw / worker CPU per record", ceiling_cpu / (worker_cpu / total), ".1%")
        if floor_cpu:
            row("  floor's: the required steps alone, µs", floor_cpu * 1e6, ",.1f")
            if ceiling_cpu:
                row("  ratio raw / floor CPU per record", ceiling_cpu / floor_cpu, ".1%")
            row("  ratio floor / worker CPU per record", floor_cpu / (worker_cpu / total), ".1%")
        # The worker's own logic without Kafka, Faust and RocksDB: what is left of the
        # worker's figure once those are taken away.
        row("  processors alone (in memory), µs", alone_cpu * 1e6, ",.1f")
        row("    the installs they decided", alone_decided, ",.0f")
        row("  its event loop's (main thread), µs", main_cpu / total * 1e6, ",.1f")
        row("  event loop busy during the backlog", main_cpu / (finished - started), ".0%")
    if machine_busy is not None:
        row("machine busy during the backlog (all cores)", machine_busy, ".0%")
        if machine_iowait is not None:
            row("  in iowait (idle, disk I/O outstanding)", machine_iowait, ".0%")
    row("Kafka records produced per input record", produced / total, ".2f")
    if peer is None:
        print("Quix Streams peer: not run (--no-peer, or no quixstreams: --peer-python)")
    else:
        row("Quix join_asof peer, records/s", peer["records_ps"], ",.0f")
        row("  (from its first output, records/s)", peer["records_ps_after_first_output"], ",.0f")
        row("  Kafka records produced per input record", peer["produced_per_input"], ".2f")
        if peer["cpu_per_input"] is not None:
            row("  its CPU per input record (from start), µs", peer["cpu_per_input"] * 1e6, ",.1f")
            row(
                "    of which importing quixstreams, µs", peer["import_cpu_per_input"] * 1e6, ",.1f"
            )
            if ceiling_cpu:
                row("  ratio raw / Quix CPU per record", ceiling_cpu / peer["cpu_per_input"], ".1%")
        row("ratio worker / Quix peer", records_ps / peer["records_ps"], ".2f")
        row("  (both from process start)", from_start_ps / peer["records_ps"], ".2f")
    if latencies:
        for p in (50, 99):
            label = f"decision latency p{p} at {args.rate}+{args.touch_rate}/s, ms"
            print(f"{label:<44}{pct(latencies, p):>14,.0f}")
    if latencies and steady_busy is not None:
        steady_records = max(1, sent + touches_sent)
        row("  machine busy in the steady phase", steady_busy, ".0%")
        if steady_iowait is not None:
            row("  machine in iowait in the steady phase", steady_iowait, ".0%")
        if steady_worker_cpu is not None and steady_main_cpu is not None:
            row(
                "  worker CPU per steady input record, µs",
                steady_worker_cpu / steady_records * 1e6,
                ",.1f",
            )
            row("  its event loop busy in the steady phase", steady_main_cpu / steady_s, ".0%")
        shares = ", ".join(f"{name} {share:.0%}" for name, share in steady_shares if share >= 0.005)
        print(f"  worker threads in the steady phase (share of a core): {shares}")
        if broker_cpu is not None and self_cpu is not None:
            print(
                "  beside it on the same cores (share of a core): the broker"
                f" {broker_cpu / steady_s:.0%}, this load generator {self_cpu / steady_s:.0%}"
            )
    if hop_delays:
        waits = ", ".join(f"{t} {ms * 1000:,.0f}" for t, ms in sorted(hop_delays.items()))
        print(f"  mean wait of envelopes before their agent, ms: {waits}")
        per_input = ", ".join(
            f"{t} {n / max(1, steady_inputs):.3f}" for t, n in sorted(hop_envelopes.items())
        )
        print(f"  envelopes per steady input record: {per_input}")
    if args.latency_series:
        for second in sorted(by_second):
            values = by_second[second]
            print(
                f"  received at +{second - min(by_second)} s: {len(values):>6,} decisions,"
                f" p50 {pct(values, 50):,.0f} ms, p99 {pct(values, 99):,.0f} ms"
            )
        counters = {*Worker.RATES, "index_entries_filed"}
        for second, gates in enumerate(gate_series):
            before = gate_series[second - 1] if second else gates
            shown = ", ".join(
                f"{n.removeprefix('attrib_')} {v - before.get(n, 0.0) if n in counters else v:,.0f}"
                for n, v in sorted(gates.items())
                if ":" not in n
            )
            print(f"  gauges (counters: increase) at +{second} s: {shown}")
            phases = ", ".join(
                f"{n} {v - before.get(n, 0.0):.0%}" for n, v in sorted(gates.items()) if ":" in n
            )
            if phases:
                print(f"    agents' time in that second (agent:phase): {phases}")
    if hop_bound:
        for p in (50, 99):
            label = f"  bound: its 4 Kafka topics alone, p{p}, ms"
            print(f"{label:<44}{pct(hop_bound, p):>14,.0f}")
    if durable_bound:
        for p in (50, 99):
            label = f"  bound: with the agents' commits, p{p}, ms"
            print(f"{label:<44}{pct(durable_bound, p):>14,.0f}")
    indexed = len(touches) + touches_sent  # the backlog's and the steady phase's
    per_touch = index_bytes / max(1, indexed)
    print(f"{'RocksDB bytes on disk per indexed touch':<44}{per_touch:>14,.0f}")
    per_touch = logical_bytes / max(1, indexed)
    print(f"{'index key+value bytes per indexed touch':<44}{per_touch:>14,.0f}")
    print(f"{'index keys':<44}{len(index_key_set):>14,}")
    print(f"{'index entries (touch x key kept)':<44}{index_entries:>14,}")
    per_entry = index_bytes / max(1, index_entries)
    print(f"{'RocksDB bytes on disk per index entry':<44}{per_entry:>14,.0f}")
    for line in deliveries:
        print(line)
    for line in spy_lines:
        print(line)
    if profile is not None and profile.exists():
        print("\nworker profile (top 25 by own time):")
        pstats.Stats(str(profile)).sort_stats("tottime").print_stats(25)
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:  # the receiver process of --deliver
        serve(sys.argv[2])
    else:
        asyncio.run(main())
