"""Collector throughput against the ceiling of a bare aiohttp handler, on this machine.

    .venv/bin/python bench/collector.py [--concurrency 64] [--seconds 4] [--linger-ms 1]

Needs the local broker (``attrib local up --only kafka``). In one run, ``--rounds`` times over:

1. ``bare``: an aiohttp app whose handler answers 204 at once, in its own
   process: the most this machine's aiohttp can answer with this client
   (asked with the click requests);
2. ``bare-post``: the same handler asked with the install requests (POST
   with a JSON body): the ceiling for exactly the install's request;
3. ``click``: ``attrib collector`` (its own process, a scratch topic prefix)
   answering ``GET /v1/click/{app_id}`` with a 302 after Kafka acknowledged
   the touch (acks=all, idempotent producer);
4. ``install``: the same collector answering ``POST /v1/sdk/{app_id}/install``
   with 202 after Kafka acknowledged the install;
5. ``kafka-only``: an aiohttp handler (own process) that writes one prebuilt
   install record (a fresh key per request) through the collector's
   producer and answers the collector's 202 once Kafka acknowledged it, with
   none of the collector's own work (no key check, JSON, validation or
   Avro encoding): the most any collector on this producer, this broker and
   this concurrency can answer. The gap between it and ``bare`` is the
   price of waiting for Kafka; the gap between ``install`` and it is ours.

``--linger-ms`` sets the producer's linger (``ATTRIB_COLLECTOR_LINGER_MS``,
default the setting's default) for ``click``, ``install`` and
``kafka-only``: with a fixed number of connections each waiting for its
answer, the time a record waits in its batch bounds the requests answered
per second.

Each scenario runs ``--concurrency`` keep-alive connections from one
load-generating process (a minimal HTTP/1.1 client over asyncio streams, far
cheaper per request than an HTTP library) for ``--seconds`` after a warm-up,
and reports accepted requests per second (2xx/3xx) with p50/p99 latency and
the server process's CPU time per accepted request; then the ratio of each
collector scenario to the bare ceiling of the same round, and of the best
rounds. The goal is at least 50% (req/s). The CPU ratio (bare µs per request
over collector µs per request) says the same with far less noise when other
work shares the machine. The scratch topics are deleted at the end.

The load generator is this process; every server runs in a process of its
own. ``loadgen`` is the load generator's CPU time over the measured seconds
as a share of one core: well under 100% means the client is not what limits
a scenario (it needs far less CPU per request than either server).
``broker µs`` is the local Kafka broker's CPU time per accepted request
(when the broker is the one ``attrib local up`` started): it shares the
machine too.

Server, load generator and broker share the machine's cores (and whatever
else runs on it), so numbers are for comparing runs on one machine, not
absolute capacity; the rounds interleave the scenarios so that a burst of
other work does not fall on one scenario only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from bench_cpu import cpu_seconds

from attrib.kafka.client import security_kwargs
from attrib.settings import load_settings

APP_ID = "com.bench.app"
SDK_KEY = "bench-sdk-key-0123456789"
ADMIN_TOKEN = "bench-admin-token"
ATTRIB = str(Path(sys.executable).parent / "attrib")
#: Distinct devices per scenario, so that caches keyed by device do not flatter the numbers.
DEVICES = 50_000
GAIDS = [str(uuid.UUID(int=i + 1, version=4)) for i in range(DEVICES)]
UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36"


# ---- the bare ceiling ---------------------------------------------------------------
def serve_bare(port: int) -> None:
    """Run the ceiling server: every route answers 204 without looking at the request."""
    from aiohttp import web

    async def no_content(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/v1/click/{app_id}", no_content)
    app.router.add_post("/v1/sdk/{app_id}/install", no_content)
    app.router.add_get("/healthz", no_content)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def serve_kafka_only(port: int) -> None:
    """Run the Kafka-only server (scenario ``kafka-only``); settings come from the environment."""
    from aiohttp import web

    from attrib import topics
    from attrib.avro.records import INSTALL
    from attrib.collector.encoding import encode_record
    from attrib.collector.producer import RecordProducer
    from attrib.collector.sdk import accepted
    from attrib.collector.sdk_records import sdk_record

    body = json.loads(install_requests(port)[0].split(b"\r\n\r\n", 1)[1])
    value = encode_record(
        INSTALL,
        sdk_record(
            "install",
            body,
            app_id=APP_ID,
            received_ms=int(time.time() * 1000),
            ip=None,
            user_agent="okhttp/4.12",
        ),
    )
    event_id = body["event_id"]
    records = RecordProducer(load_settings())
    sent = 0

    async def install(request: web.Request) -> web.Response:
        nonlocal sent
        sent += 1
        await records.produce(topics.INSTALLS, b"%s|%d" % (APP_ID.encode(), sent), value)
        return accepted(event_id)

    async def ready(request: web.Request) -> web.Response:
        await records.wait_connected()
        return web.Response(status=204)

    async def lifecycle(app: web.Application):  # type: ignore[no-untyped-def]
        records.start()
        yield
        await records.stop()

    app = web.Application()
    app.router.add_post("/v1/sdk/{app_id}/install", install)
    app.router.add_get("/healthz", ready)
    app.cleanup_ctx.append(lifecycle)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# ---- the load generator ---------------------------------------------------------------
@dataclass
class Result:
    name: str
    accepted: int
    seconds: float
    statuses: Counter[int]
    latencies_ms: list[float]
    server_cpu_s: float | None = None
    client_cpu_s: float | None = None
    broker_cpu_s: float | None = None

    @property
    def cpu_us_per_request(self) -> float | None:
        """Server CPU per accepted request: unlike req/s, hardly moved by other work."""
        if self.server_cpu_s is None or not self.accepted:
            return None
        return self.server_cpu_s / self.accepted * 1e6

    @property
    def broker_us_per_request(self) -> float | None:
        """The Kafka broker's CPU per accepted request (it shares the machine)."""
        if self.broker_cpu_s is None or not self.accepted:
            return None
        return self.broker_cpu_s / self.accepted * 1e6

    @property
    def client_core_share(self) -> float | None:
        """The load generator's CPU over the run, as a share of one core (1.0: saturated)."""
        return None if self.client_cpu_s is None else self.client_cpu_s / self.seconds

    @property
    def rps(self) -> float:
        return self.accepted / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def click_requests(port: int) -> list[bytes]:
    return [
        (
            f"GET /v1/click/{APP_ID}?pid=netA&c=spring&af_adset=lal&af_ad=video15"
            f"&clickid=n{i}&advertising_id={gaid} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nUser-Agent: {UA}\r\n\r\n"
        ).encode()
        for i, gaid in enumerate(GAIDS)
    ]


def install_requests(port: int) -> list[bytes]:
    out = []
    for i, gaid in enumerate(GAIDS):
        body = json.dumps(
            {
                "event_id": str(uuid.UUID(int=DEVICES + i, version=4)),
                "device": {"advertising_id": gaid, "idfv": None},
                "platform": "android",
                "app_version": "1.2.0",
                "os_version": "14",
                "install_referrer": "attrib_touch_id=06H1KXYKG3PXZ5MCDQRC1A85N0&pid=netA",
            }
        ).encode()
        head = (
            f"POST /v1/sdk/{APP_ID}/install HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"X-Attrib-Key: {SDK_KEY}\r\nContent-Type: application/json\r\n"
            f"User-Agent: okhttp/4.12\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        out.append(head + body)
    return out


async def _connection(
    port: int,
    requests: list[bytes],
    offset: int,
    measure_from: float,
    until: float,
    statuses: Counter[int],
    latencies: list[float],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    clock = time.perf_counter
    try:
        while True:
            started = clock()
            if started >= until:
                return
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            marker = head.lower().find(b"content-length:")
            if marker >= 0:
                length = int(head[marker + 15 : head.index(b"\r\n", marker)])
                if length:
                    await reader.readexactly(length)
            if started >= measure_from:
                statuses[status] += 1
                latencies.append((clock() - started) * 1000)
    finally:
        writer.close()


async def load(
    name: str,
    port: int,
    requests: list[bytes],
    concurrency: int,
    warmup: float,
    seconds: float,
    server_pid: int | None = None,
    broker_pid: int | None = None,
) -> Result:
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    start = time.perf_counter()
    measure_from, until = start + warmup, start + warmup + seconds
    connections = [
        asyncio.create_task(
            _connection(port, requests, n, measure_from, until, statuses, latencies)
        )
        for n in range(concurrency)
    ]
    await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
    cpu_before = cpu_seconds(server_pid) if server_pid else None
    broker_before = cpu_seconds(broker_pid) if broker_pid else None
    client_before = _own_cpu_seconds()
    await asyncio.gather(*connections)
    client_used = _own_cpu_seconds() - client_before
    cpu_after = cpu_seconds(server_pid) if server_pid else None
    broker_after = cpu_seconds(broker_pid) if broker_pid else None
    accepted = sum(count for status, count in statuses.items() if 200 <= status < 400)
    used = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    broker_used = (
        None if broker_before is None or broker_after is None else broker_after - broker_before
    )
    return Result(name, accepted, seconds, statuses, latencies, used, client_used, broker_used)


def _own_cpu_seconds() -> float:
    """User + system CPU seconds of this (load-generating) process so far."""
    times = os.times()
    return times.user + times.system


# ---- processes ------------------------------------------------------------------------------
def local_broker_pid() -> int | None:
    """The pid of the broker ``attrib local up`` started, if it is that one (for its CPU time)."""
    from attrib.local.kafka import KafkaBroker

    try:
        return KafkaBroker(root=load_settings().data_path / "kafka").pid()
    except Exception:
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, within_s: float = 60.0) -> None:
    deadline = time.monotonic() + within_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 300:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer within {within_s:.0f}s")
        time.sleep(0.2)


def _once_ready(
    proc: subprocess.Popen[bytes], ready: Callable[[], None]
) -> subprocess.Popen[bytes]:
    """``proc`` after ``ready()`` returned; stopped (not left running) when it raised."""
    try:
        ready()
    except BaseException:
        stop(proc)
        raise
    return proc


def start_bare(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve-bare", str(port)])
    return _once_ready(proc, lambda: wait_http(f"http://127.0.0.1:{port}/healthz"))


def server_env(prefix: str, linger_ms: float) -> dict[str, str]:
    """Environment of the collector and Kafka-only server: scratch topics, no other ATTRIB_."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIB_")}
    env.update(
        ATTRIB_KAFKA_BOOTSTRAP=load_settings().kafka_bootstrap,
        ATTRIB_TOPIC_PREFIX=prefix,
        ATTRIB_ADMIN_TOKEN=ADMIN_TOKEN,
        ATTRIB_LOG_LEVEL="warning",
        ATTRIB_COLLECTOR_LINGER_MS=str(linger_ms),
    )
    return env


def start_kafka_only(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start the Kafka-only server (after the collector, which created the scratch topics)."""
    proc = subprocess.Popen([sys.executable, __file__, "--serve-kafka-only", str(port)], env=env)
    return _once_ready(proc, lambda: wait_http(f"http://127.0.0.1:{port}/healthz"))


def start_collector(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [ATTRIB, "collector", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    return _once_ready(proc, lambda: register_bench_app(port))


def register_bench_app(port: int) -> None:
    """Wait for the collector's readiness, then register the app the requests name."""
    wait_http(f"http://127.0.0.1:{port}/readyz")
    body = json.dumps(
        {
            "platform": "android",
            "store_url": "https://play.google.com/store/apps/details?id=com.bench.app",
            "sdk_key": SDK_KEY,
        }
    ).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/apps/{APP_ID}",
        data=body,
        method="PUT",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def delete_topics(prefix: str) -> None:
    settings = load_settings()
    admin = AIOKafkaAdminClient(**security_kwargs(settings))
    await admin.start()
    try:
        doomed = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


def report(result: Result, ceiling: Result | None) -> str:
    ratio = f"{result.rps / ceiling.rps:6.1%}" if ceiling else "     -"
    cpu = result.cpu_us_per_request
    cpu_text = f"{cpu:10.1f}" if cpu is not None else "         -"
    cpu_ratio = "     -"
    if ceiling is not None and cpu is not None and ceiling.cpu_us_per_request is not None:
        cpu_ratio = f"{ceiling.cpu_us_per_request / cpu:6.1%}"
    other = {s: c for s, c in result.statuses.items() if not 200 <= s < 400}
    share = result.client_core_share
    client = f"{share:>9.0%}" if share is not None else "        -"
    broker_cpu = result.broker_us_per_request
    broker = f"{broker_cpu:>8.1f}" if broker_cpu is not None else "       -"
    return (
        f"{result.name:<10} {result.rps:>9,.0f} {result.percentile(0.50):>8.2f} "
        f"{result.percentile(0.99):>8.2f} {ratio:>9} {cpu_text} {cpu_ratio:>9} {client}"
        f" {broker}" + (f"  other statuses: {other}" if other else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--linger-ms",
        type=float,
        default=load_settings(env={}).collector_linger_ms,
        help="the collector producer's linger (default: the setting's default)",
    )
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--serve-kafka-only", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    if args.serve_kafka_only:
        serve_kafka_only(args.serve_kafka_only)
        return

    bare_port, collector_port, kafka_only_port = free_port(), free_port(), free_port()
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    env = server_env(prefix, args.linger_ms)
    log = Path(f"/tmp/attrib-bench-collector-{collector_port}.log")
    broker_pid = local_broker_pid()
    servers: list[subprocess.Popen[bytes]] = []  # stopped whatever happens, even mid-start
    rounds: list[dict[str, Result]] = []
    try:
        bare = start_bare(bare_port)
        servers.append(bare)
        collector = start_collector(collector_port, env, log)
        servers.append(collector)
        kafka_only = start_kafka_only(kafka_only_port, env)
        servers.append(kafka_only)
        scenarios = [
            ("bare", bare_port, click_requests(bare_port), bare.pid),
            ("bare-post", bare_port, install_requests(bare_port), bare.pid),
            ("click", collector_port, click_requests(collector_port), collector.pid),
            ("install", collector_port, install_requests(collector_port), collector.pid),
            ("kafka-only", kafka_only_port, install_requests(kafka_only_port), kafka_only.pid),
        ]
        for _ in range(args.rounds):
            rounds.append(
                {
                    name: asyncio.run(
                        load(
                            name,
                            port,
                            requests,
                            args.concurrency,
                            args.warmup,
                            args.seconds,
                            pid,
                            broker_pid,
                        )
                    )
                    for name, port, requests, pid in scenarios
                }
            )
    finally:
        for server in reversed(servers):
            stop(server)
        asyncio.run(delete_topics(prefix))

    print(
        f"concurrency {args.concurrency}, {args.rounds} rounds of {args.seconds:g}s per scenario "
        f"after {args.warmup:g}s warm-up, producer linger {args.linger_ms:g} ms, "
        f"{os.cpu_count()} cores shared with the load generator and the broker"
    )
    print(
        f"{'scenario':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'of bare':>9} "
        f"{'cpu µs/req':>8} {'of bare':>9} {'loadgen':>9} {'broker µs':>8}"
    )
    for number, results in enumerate(rounds, 1):
        print(f"round {number}")
        for name, *_ in scenarios:
            print(report(results[name], None if name == "bare" else results["bare"]))
    # Other work on the machine only ever lowers a number, so each scenario's
    # best round is the closest to what this machine can do.
    best = {name: max((r[name] for r in rounds), key=lambda r: r.rps) for name, *_ in scenarios}
    print("best round of each scenario")
    for name, *_ in scenarios:
        print(report(best[name], None if name == "bare" else best["bare"]))
    worst = min(best["click"].rps, best["install"].rps) / best["bare"].rps
    print(f"collector/bare ratio (worse of click and install): {worst:.1%} (goal: at least 50%)")
    same = best["install"].rps / best["bare-post"].rps
    print(
        f"install against the bare handler given the same POST (bare-post): {same:.1%}; "
        f"CPU per request, bare/collector: click {cpu_ratio(best, 'click', 'bare')}, "
        f"install {cpu_ratio(best, 'install', 'bare-post')}"
    )
    floor = best["kafka-only"].rps / best["bare"].rps
    print(
        f"kafka-only (the collector's producer, none of its work): {floor:.1%} of bare; "
        f"install {best['install'].rps / best['kafka-only'].rps:.1%} of kafka-only"
    )


def cpu_ratio(best: dict[str, Result], name: str, ceiling: str) -> str:
    ours, bare = best[name].cpu_us_per_request, best[ceiling].cpu_us_per_request
    return "-" if ours is None or bare is None else f"{bare / ours:.1%}"


if __name__ == "__main__":
    main()
