"""Postback delivery throughput and latency, against a bare aiohttp client in the same run.

    .venv/bin/python bench/postbacks.py [--deliveries 20000] [--rate 500] [--seconds 10]

Needs the local Kafka broker (``attrib local up --only kafka,clickhouse``). In
one run, with a fresh topic prefix:

1. starts a receiver in its own process (aiohttp, answers 200 at once,
   counts requests and times the first and the last);
2. registers an app whose network gets an install postback for every
   install, and produces N attribution records (not timed);
3. the ceiling: a bare aiohttp client in this process sends N GETs of the same
   shape to the same receiver with the same concurrency per host
   (``ATTRIB_DELIVERY_MAX_PER_HOST``, 16), measured at the receiver, first to
   last request; once before step 4 and once after it (the load of a shared
   machine drifts), the ceiling being the mean of the two;
4. starts ``attrib deliver`` (its own process, as Kubernetes runs it) and
   measures deliveries/s at the receiver the same way, and the stage's CPU
   per delivery twice: from its start (imports and group join included) and
   over the backlog alone (from the first request the receiver saw);
5. latency: produces attributions at ``--rate`` per second for ``--seconds``
   (each carrying its write time in ``{clickid}``) while ``attrib deliver``
   runs, and prints p50/p99 from the decision record's write to the receiver's
   answer (the goal: p99 at most 1 s, i.e. 1 s above ``decision_delay``).

It prints deliveries/s of each and the stage's share of the bare client (goal:
at least 50%). The engine's decisions/s with postbacks on vs off is measured
by bench/engine.py (the delivery stage runs in the worker unless
``ATTRIB_WORKER_DELIVER=false``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from attrib.avro.codec import default_codec
from attrib.config import validate_app_config
from attrib.kafka.client import ensure_topics, make_producer
from attrib.keys import device_record_key
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings, load_settings
from attrib.topics import topic_specs

APP = "com.example.bench.postbacks"
T0 = 1_764_000_000_000
PER_HOST = 16


# ---- the receiver (its own process) -------------------------------------------------
def serve(port_file: str) -> None:
    from aiohttp import web

    stats: dict[str, Any] = {"count": 0, "first": None, "last": None, "latencies": []}

    async def handle(request: web.Request) -> web.Response:
        now = time.time()
        stats["count"] += 1
        stats["first"] = stats["first"] or now
        stats["last"] = now
        sent = parse_qs(request.query_string).get("c", ["0"])[0]
        if sent != "0":
            stats["latencies"].append(now * 1000 - int(sent))
        return web.Response(text="ok")

    async def read(_: web.Request) -> web.Response:
        return web.json_response(stats)

    async def reset(_: web.Request) -> web.Response:
        stats.update(count=0, first=None, last=None, latencies=[])
        return web.json_response({})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/stats", read)
        app.router.add_post("/reset", reset)
        app.router.add_get("/pb", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        Path(port_file).write_text(str(port))  # noqa: ASYNC240 - once, at start
        await asyncio.Event().wait()

    asyncio.run(main())


def stats(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/stats", timeout=10) as resp:
        return json.loads(resp.read())


def reset(base: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{base}/reset", method="POST"), timeout=10)


def wait_count(
    base: str, count: int, within: float, *, cpu_of: int | None = None, poll: float = 0.2
) -> dict[str, Any]:
    """The receiver's stats once it got ``count`` requests.

    With ``cpu_of``, also ``backlog_cpu`` (and ``backlog_loop_cpu``): the CPU
    seconds process ``cpu_of`` (its main thread, the event loop's) spent from
    the first poll that saw a request to the last one, and ``backlog_count``:
    the requests received in between.
    """
    deadline = time.monotonic() + within
    seen: dict[str, Any] = {}
    first: tuple[int, float, float] | None = None
    while time.monotonic() < deadline:
        seen = stats(base)
        cpu = loop_cpu = 0.0
        if cpu_of is not None:
            cpu, loop_cpu = cpu_seconds(cpu_of), cpu_seconds(cpu_of, main_thread=True)
        if first is None and seen["count"] > 0:
            first = (seen["count"], cpu, loop_cpu)
        if seen["count"] >= count:
            if cpu_of is not None and first is not None:
                seen["backlog_count"] = seen["count"] - first[0]
                seen["backlog_cpu"] = cpu - first[1]
                seen["backlog_loop_cpu"] = loop_cpu - first[2]
            return seen
        time.sleep(poll)
    raise SystemExit(f"the receiver got {seen.get('count')} of {count} requests in {within}s")


# ---- records --------------------------------------------------------------------------
def attribution(i: int, clickid: str) -> dict[str, Any]:
    return {
        "attribution_id": f"a-{uuid.uuid4()}",
        "app_id": APP,
        "device_key": f"advertising_id:{uuid.UUID(int=i << 20)}",
        "install_event_id": f"ev-{i}",
        "conversion_type": "install",
        "status": "non_organic",
        "install_time": T0,
        "received_time": T0,
        "decided_time": T0,
        "touch_id": f"t-{i}",
        "touch_type": "click",
        "touch_time": T0 - 60_000,
        "match_type": "id",
        "media_source": "netA",
        "campaign": "bench",
        "campaign_id": None,
        "adset": None,
        "adset_id": None,
        "ad": None,
        "ad_id": None,
        "site_id": None,
        "sub_site_id": None,
        "network_click_id": clickid,
        "is_retargeting": False,
        "ctit_seconds": 60,
        "lookback": "7d",
        "contributors": [],
        "blocked_reason": None,
        "rejected_touches": [],
        "platform": "android",
        "app_version": None,
        "os_version": None,
        "ip": None,
        "user_agent": None,
        "advertising_id": str(uuid.UUID(int=i << 20)),
        "idfa": None,
        "idfv": None,
        "android_id": None,
        "oaid": None,
        "customer_user_id": None,
    }


async def register(settings: Settings, base: str) -> None:
    cache = AppConfigCache(settings)
    await cache.start()
    writer = AppRegistryWriter(settings, cache)
    await writer.start()
    try:
        url = f"{base}/pb?c={{clickid}}&t={{install_unix_ts}}&id={{delivery_id}}"
        body = {
            "platform": "android",
            "store_url": "https://play.google.com/store/apps/details?id=bench",
            "postbacks": [{"media_source": "netA", "install_url": url}],
        }
        await writer.put(validate_app_config(APP, body))
    finally:
        await writer.stop()
        await cache.stop()


async def prefill(settings: Settings, count: int) -> None:
    codec = default_codec()
    producer = make_producer(settings, linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    try:
        topic = settings.topic("attributions")
        futures = []
        for i in range(count):
            record = attribution(i, "0")
            key = device_record_key(APP, record["device_key"])
            futures.append(await producer.send(topic, codec.encode("Attribution", record), key=key))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def offer(settings: Settings, rate: float, seconds: float) -> int:
    """Attributions at ``rate`` per second, each with its write time in its click id."""
    codec = default_codec()
    producer = make_producer(settings)
    await producer.start()
    topic = settings.topic("attributions")
    sent = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < seconds:
            due = int((time.monotonic() - started) * rate)
            while sent < due:
                record = attribution(1_000_000 + sent, str(time.time_ns() // 1_000_000))
                key = device_record_key(APP, record["device_key"])
                await producer.send(topic, codec.encode("Attribution", record), key=key)
                sent += 1
            await asyncio.sleep(0.002)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def bare_client(base: str, count: int) -> None:
    """The ceiling: the same GETs from one aiohttp session, ``PER_HOST`` at a time."""
    import aiohttp

    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    connector = aiohttp.TCPConnector(limit=256, limit_per_host=PER_HOST)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def lane() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                url = f"{base}/pb?c=0&t={T0 // 1000}&id={uuid.UUID(int=i)}"
                async with session.get(url, allow_redirects=False) as response:
                    await response.read()

        await asyncio.gather(*(lane() for _ in range(PER_HOST)))


def measure_bare(base: str, count: int) -> tuple[float, float]:
    """Deliveries/s and CPU seconds of the bare client sending ``count`` GETs."""
    reset(base)
    cpu_before = time.process_time()
    asyncio.run(bare_client(base, count))
    cpu = time.process_time() - cpu_before
    seen = wait_count(base, count, within=60)
    reset(base)
    return rate_of(seen), cpu


def cpu_seconds(pid: int, *, main_thread: bool = False) -> float:
    """User + system CPU time of process ``pid`` (or its main thread) so far (Linux /proc)."""
    path = f"/proc/{pid}/task/{pid}/stat" if main_thread else f"/proc/{pid}/stat"
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rate_of(seen: dict[str, Any]) -> float:
    span = (seen["last"] or 0) - (seen["first"] or 0)
    return seen["count"] / span if span > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--profile", metavar="FILE", help="cProfile attrib deliver into FILE")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    tag = uuid.uuid4().hex[:8]
    data_dir = Path(f"/tmp/attrib-bench-postbacks-{tag}")
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = dataclasses.replace(
        load_settings(),
        topic_prefix=f"bench{tag}.",
        faust_app_id=f"attrib-bench-{tag}",
        data_dir=str(data_dir),
    )
    port_file = data_dir / "receiver.port"
    receiver = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
    deliver: subprocess.Popen[bytes] | None = None
    try:
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        asyncio.run(ensure_topics(settings, topic_specs(settings)))
        asyncio.run(register(settings, base))
        print(f"prefilling {args.deliveries:,} attributions ...", file=sys.stderr)
        asyncio.run(prefill(settings, args.deliveries))

        env = dict(
            os.environ,
            ATTRIB_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
            ATTRIB_TOPIC_PREFIX=settings.topic_prefix,
            ATTRIB_FAUST_APP_ID=settings.faust_app_id,
            ATTRIB_DATA_DIR=settings.data_dir,
            ATTRIB_TOPIC_PARTITIONS=str(settings.topic_partitions),
        )
        log = open(data_dir / "deliver.log", "wb")  # noqa: SIM115 - closed at exit
        command = [sys.executable, "-m", "attrib.cli", "deliver"]
        if args.profile:
            command[1:1] = ["-m", "cProfile", "-o", args.profile]
        # the ceiling before and after the stage: the machine's load drifts
        print("bare aiohttp client ...", file=sys.stderr)
        bare_before, bare_cpu_before = measure_bare(base, args.deliveries)

        deliver = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        cpu_before = cpu_seconds(deliver.pid)
        stage = wait_count(base, args.deliveries, within=600, cpu_of=deliver.pid, poll=0.1)
        stage_rate = rate_of(stage)
        stage_cpu = cpu_seconds(deliver.pid) - cpu_before

        print("bare aiohttp client again ...", file=sys.stderr)
        bare_after, bare_cpu_after = measure_bare(base, args.deliveries)
        bare_rate = (bare_before + bare_after) / 2
        bare_cpu = (bare_cpu_before + bare_cpu_after) / 2

        reset(base)
        print(f"offering {args.rate:g} decisions/s for {args.seconds:g}s ...", file=sys.stderr)
        offered = asyncio.run(offer(settings, args.rate, args.seconds))
        steady = wait_count(base, offered, within=120)
        latencies = steady["latencies"]
    finally:
        if deliver is not None:
            deliver.send_signal(signal.SIGTERM)
            try:
                deliver.wait(timeout=30)
            except subprocess.TimeoutExpired:
                deliver.kill()
        receiver.kill()
        receiver.wait()

    n = args.deliveries
    in_backlog = max(1, stage.get("backlog_count", 0))
    backlog_cpu = stage.get("backlog_cpu", float("nan")) / in_backlog
    loop_cpu = stage.get("backlog_loop_cpu", float("nan")) / in_backlog
    print(f"{'':<24}{'deliveries/s':>14}{'CPU us/delivery':>18}{'over the backlog':>18}")
    print(
        f"{'attrib deliver':<24}{stage_rate:>14,.0f}{stage_cpu / n * 1e6:>18,.0f}"
        f"{backlog_cpu * 1e6:>18,.0f}"
    )
    print(f"{'bare aiohttp client':<24}{bare_rate:>14,.0f}{bare_cpu / n * 1e6:>18,.0f}")
    print(f"  (before the stage: {bare_before:,.0f}/s, after it: {bare_after:,.0f}/s)")
    print(f"attrib deliver's event loop over the backlog: {loop_cpu * 1e6:,.0f} us/delivery")
    print(f"delivery/bare ratio: {stage_rate / bare_rate:.1%} (goal: at least 50%)")
    print(
        f"decision -> delivered at {args.rate:g}/s ({offered:,} decisions): "
        f"p50 {percentile(latencies, 0.5):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms "
        "(goal: p99 at most 1000 ms above decision_delay)"
    )


if __name__ == "__main__":
    main()
