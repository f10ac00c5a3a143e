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
3b. the bound: the same client and GETs, plus the least any durable delivery
   stage must do per delivery beyond its request (:func:`bound_client`): it
   consumes the decision record (librdkafka consumer polled by a thread, the
   topic the stage reads, offsets committed once written) and produces the
   attempt's two records as the stage does (``postback-deliveries`` record,
   retry-topic tombstone; ``AckedProducer.send_many``, batched); no decode,
   planning, macros, metrics or retries. Also once before and once after
   step 4, the mean taken;
4. starts ``attrib deliver`` (its own process, as Kubernetes runs it) and
   measures deliveries/s at the receiver the same way, and the stage's CPU
   per delivery twice: from its start (imports and group join included) and
   over the backlog alone (from the first request the receiver saw);
5. latency: produces attributions at ``--rate`` per second for ``--seconds``
   (each carrying its write time in ``{clickid}``) while ``attrib deliver``
   runs, and prints p50/p99 from the decision record's write to the receiver's
   answer (the goal: p99 at most 1 s, i.e. 1 s above ``decision_delay``).

It prints deliveries/s of each, the stage's share of the bare client (goal:
at least 50%), the bound's share of it (about the most a durable stage could
reach) and the stage's share of the bound. At the end it deletes the run's
topics (``--keep`` keeps them): the local broker is shared and long-lived.
The engine's decisions/s with postbacks on vs off is measured by
bench/engine.py (the delivery stage runs in the worker unless
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
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from bench_cpu import cpu_seconds
from bench_topics import delete_run_topics

from attrib.avro.codec import default_codec
from attrib.config import validate_app_config
from attrib.delivery.batch import BATCH_MAX, BATCH_WINDOW_S
from attrib.delivery.service import (
    POLL_RECORDS,
    PRODUCE_LINGER_MS,
    PRODUCE_TIMEOUT_S,
    retry_topic,
    retry_topic_spec,
)
from attrib.kafka.acked import (
    LIBRDKAFKA_LOG,
    AckedProducer,
    Record,
    librdkafka_config,
    producer_config,
)
from attrib.kafka.client import ensure_topics, make_producer
from attrib.keys import device_record_key
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings, load_settings
from attrib.topics import POSTBACK_DELIVERIES, topic_specs

APP = "com.example.bench.postbacks"
T0 = 1_764_000_000_000
PER_HOST = 16
APP_KEY = APP.encode()
#: The bound lane's ``postback-deliveries`` (same configuration, its own name).
BOUND_DELIVERIES = "bound-postback-deliveries"


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


# ---- the bound: the bare client plus what any durable stage must do per delivery ----
class _Batch:
    """One read batch of decision records: its next offsets, committed once every
    delivery of it (and of the batches before it) is written."""

    __slots__ = ("left", "offsets")

    def __init__(self, left: int, offsets: list[Any]) -> None:
        self.left = left
        self.offsets = offsets


async def bound_client(settings: Settings, base: str, count: int, group: str) -> None:
    """The bound: the bare client's GETs (same 16 lanes), plus, per delivery, the least
    a durable delivery stage must do beyond the request.

    - the decision record is consumed from the topic the stage reads, by a
      librdkafka consumer polled by a thread (as the stage does), its offsets
      committed by that thread once the batch's records are acknowledged;
    - after the GET, the attempt's two records are produced as the stage
      produces them (``AckedProducer.send_many``, batches of up to
      ``BATCH_WINDOW_S`` / ``BATCH_MAX``): every ``postback-deliveries``
      record (Avro ``PostbackDelivery``) of the batch acknowledged first, then
      the retry-topic tombstones.

    No decode, planning, macros, metrics, per-attempt task or retry logic.
    The records go to topics of the bound's own (same configuration).
    """
    import queue
    import threading

    import aiohttp
    from confluent_kafka import OFFSET_BEGINNING, Consumer
    from confluent_kafka import TopicPartition as KafkaPartition

    loop = asyncio.get_running_loop()
    codec = default_codec()
    host = base.removeprefix("http://")
    source = settings.topic("attributions")
    deliveries_topic = settings.topic(BOUND_DELIVERIES)
    retries = retry_topic(bound_settings(settings))
    producer = AckedProducer(
        producer_config(
            settings, timeout_s=PRODUCE_TIMEOUT_S, linger_ms=PRODUCE_LINGER_MS, client_id=group
        )
    )
    await producer.start(PRODUCE_TIMEOUT_S)
    consumer = Consumer(
        {
            **librdkafka_config(settings),
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 50,
            "logger": LIBRDKAFKA_LOG,
        }
    )
    consumer.assign(
        [KafkaPartition(source, p, OFFSET_BEGINNING) for p in range(settings.topic_partitions)]
    )
    inbox: asyncio.Queue[tuple[Any, Any]] = asyncio.Queue()
    commits: queue.SimpleQueue[list[Any] | None] = queue.SimpleQueue()
    halt = threading.Event()

    def take(records: list[Any]) -> None:  # on the loop: one call per read batch
        nexts: dict[tuple[str, int], int] = {}
        for record in records:
            nexts[record.topic(), record.partition()] = record.offset() + 1
        batch = _Batch(len(records), [KafkaPartition(t, p, o) for (t, p), o in nexts.items()])
        read.append(batch)
        for record in records:
            inbox.put_nowait((record, batch))

    def poll() -> None:  # the consumer thread: read, and commit what the loop says is written
        taken = 0
        while True:  # until the loop says all is written (None)
            while True:
                try:
                    offsets = commits.get_nowait()
                except queue.Empty:
                    break
                if offsets is None:
                    return
                consumer.commit(offsets=offsets, asynchronous=False)
            if taken >= count:
                halt.wait(0.005)
                continue
            first = consumer.poll(0.05)
            if first is None:
                continue
            messages = [first, *consumer.consume(POLL_RECORDS - 1, 0)]
            records = [m for m in messages if m.error() is None]
            taken += len(records)
            if records:
                loop.call_soon_threadsafe(take, records)

    read: deque[_Batch] = deque()  # in reading order, not yet committed
    outcomes: list[tuple[Record, Record, _Batch]] = []
    timer: asyncio.TimerHandle | None = None
    writing: set[asyncio.Task[None]] = set()
    done: asyncio.Future[None] = loop.create_future()
    delivered = 0

    def written(batch: list[tuple[Record, Record, _Batch]]) -> None:
        nonlocal delivered
        for _, _, of in batch:
            of.left -= 1
        delivered += len(batch)
        while read and read[0].left == 0:  # offsets committed in reading order
            commits.put(read.popleft().offsets)
        if delivered >= count and not done.done():
            done.set_result(None)

    async def write(batch: list[tuple[Record, Record, _Batch]]) -> None:
        try:
            await producer.send_many([d for d, _, _ in batch])
            await producer.send_many([r for _, r, _ in batch])
        except Exception as exc:
            if not done.done():
                done.set_exception(exc)
            return
        written(batch)

    def flush() -> None:
        nonlocal timer, outcomes
        if timer is not None:
            timer.cancel()
            timer = None
        batch, outcomes = outcomes, []
        if batch:
            task = loop.create_task(write(batch))
            writing.add(task)
            task.add_done_callback(writing.discard)

    connector = aiohttp.TCPConnector(limit=256, limit_per_host=PER_HOST)
    reader = asyncio.ensure_future(asyncio.to_thread(poll))

    def reader_gone(task: asyncio.Future[None]) -> None:  # a failed thread must not hang us
        if not done.done():
            exc = None if task.cancelled() else task.exception()
            done.set_exception(exc or RuntimeError("the bound's consumer thread stopped"))

    reader.add_done_callback(reader_gone)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:

            async def lane() -> None:
                nonlocal timer
                while True:
                    record, batch = await inbox.get()
                    if record is None:
                        return
                    i = record.offset() << 3 | record.partition()
                    ident = str(uuid.UUID(int=i))
                    url = f"{base}/pb?c=0&t={T0 // 1000}&id={ident}"
                    started = time.time_ns() // 1_000_000
                    async with session.get(url, allow_redirects=False) as response:
                        await response.read()
                        status = response.status
                    outcome = {
                        "delivery_id": ident,
                        "attempt": 1,
                        "app_id": APP,
                        "kind": "install",
                        "media_source": "netA",
                        "endpoint": "",
                        "host": host,
                        "status": "delivered",
                        "http_status": status,
                        "latency_ms": time.time_ns() // 1_000_000 - started,
                        "attempted_at": started,
                        "next_attempt_at": None,
                        "error": None,
                        "subject_id": ident,
                    }
                    value = codec.encode("PostbackDelivery", outcome)
                    outcomes.append(
                        (
                            (deliveries_topic, APP_KEY, value, None),
                            (retries, ident.encode(), None, record.partition()),
                            batch,
                        )
                    )
                    if len(outcomes) >= BATCH_MAX:
                        flush()
                    elif timer is None:
                        timer = loop.call_later(BATCH_WINDOW_S, flush)

            lanes = [asyncio.create_task(lane()) for _ in range(PER_HOST)]
            await done
            for _ in lanes:
                inbox.put_nowait((None, None))
            await asyncio.gather(*lanes)
    finally:
        commits.put(None)
        halt.set()
        await reader
        consumer.close()
        await producer.stop(PRODUCE_TIMEOUT_S)


def bound_settings(settings: Settings) -> Settings:
    """The bound's retry topic is named after this app id (not the stage's)."""
    return dataclasses.replace(settings, faust_app_id=f"{settings.faust_app_id}-bound")


async def bound_topics(settings: Settings) -> None:
    specs = [s for s in topic_specs(settings) if s.name == settings.topic(POSTBACK_DELIVERIES)]
    spec = dataclasses.replace(specs[0], name=settings.topic(BOUND_DELIVERIES))
    await ensure_topics(settings, [spec, retry_topic_spec(bound_settings(settings))])


def measure_bound(settings: Settings, base: str, count: int, group: str) -> tuple[float, float]:
    """Deliveries/s and CPU seconds of the bound lane over ``count`` decisions."""
    reset(base)
    cpu_before = time.process_time()
    asyncio.run(bound_client(settings, base, count, group))
    cpu = time.process_time() - cpu_before
    seen = wait_count(base, count, within=60)
    reset(base)
    return rate_of(seen), cpu


def measure_bare(base: str, count: int) -> tuple[float, float]:
    """Deliveries/s and CPU seconds of the bare client sending ``count`` GETs."""
    reset(base)
    cpu_before = time.process_time()
    asyncio.run(bare_client(base, count))
    cpu = time.process_time() - cpu_before
    seen = wait_count(base, count, within=60)
    reset(base)
    return rate_of(seen), cpu


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
    parser.add_argument(
        "--keep", action="store_true", help="keep the run's topics (deleted at the end otherwise)"
    )
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
        # the ceiling and the bound before and after the stage: the machine's load drifts
        print("bare aiohttp client ...", file=sys.stderr)
        bare_before, bare_cpu_before = measure_bare(base, args.deliveries)
        asyncio.run(bound_topics(settings))
        print("bound lane (bare client + its Kafka records) ...", file=sys.stderr)
        group = f"{settings.faust_app_id}-bound"
        bound_before, bound_cpu_before = measure_bound(settings, base, args.deliveries, group)

        deliver = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        cpu_before = cpu_seconds(deliver.pid)
        stage = wait_count(base, args.deliveries, within=600, cpu_of=deliver.pid, poll=0.1)
        stage_rate = rate_of(stage)
        stage_cpu = cpu_seconds(deliver.pid) - cpu_before

        print("bound lane again ...", file=sys.stderr)
        bound_after, bound_cpu_after = measure_bound(
            settings, base, args.deliveries, f"{group}-again"
        )
        print("bare aiohttp client again ...", file=sys.stderr)
        bare_after, bare_cpu_after = measure_bare(base, args.deliveries)

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
        if not args.keep:  # the broker is shared and long-lived: no topics left behind
            prefixes = (settings.topic_prefix, settings.faust_app_id)
            deleted = asyncio.run(delete_run_topics(settings, prefixes))
            print(f"deleted this run's {deleted} topics", file=sys.stderr)

    n = args.deliveries
    in_backlog = max(1, stage.get("backlog_count", 0))
    print(
        summary(
            Lanes(
                stage_rate=stage_rate,
                stage_cpu_us=stage_cpu / n * 1e6,
                stage_backlog_cpu_us=stage.get("backlog_cpu", float("nan")) / in_backlog * 1e6,
                stage_loop_cpu_us=stage.get("backlog_loop_cpu", float("nan")) / in_backlog * 1e6,
                bare_before=bare_before,
                bare_after=bare_after,
                bare_cpu_us=(bare_cpu_before + bare_cpu_after) / 2 / n * 1e6,
                bound_before=bound_before,
                bound_after=bound_after,
                bound_cpu_us=(bound_cpu_before + bound_cpu_after) / 2 / n * 1e6,
            ),
            rate=args.rate,
            offered=offered,
            latencies=latencies,
        )
    )


@dataclasses.dataclass(frozen=True)
class Lanes:
    """Deliveries/s and CPU µs per delivery of the three lanes of one run."""

    stage_rate: float
    stage_cpu_us: float  # from the process's start
    stage_backlog_cpu_us: float  # from the first request to the last
    stage_loop_cpu_us: float  # the same, its event loop's thread alone
    bare_before: float
    bare_after: float
    bare_cpu_us: float
    bound_before: float
    bound_after: float
    bound_cpu_us: float

    @property
    def bare_rate(self) -> float:
        return (self.bare_before + self.bare_after) / 2

    @property
    def bound_rate(self) -> float:
        return (self.bound_before + self.bound_after) / 2


def summary(lanes: Lanes, *, rate: float, offered: int, latencies: list[float]) -> str:
    """The report's lines (tests/bench/test_postbacks.py reads them)."""
    stage, bare, bound = lanes.stage_rate, lanes.bare_rate, lanes.bound_rate
    return "\n".join(
        [
            f"{'':<24}{'deliveries/s':>14}{'CPU us/delivery':>18}{'over the backlog':>18}",
            f"{'attrib deliver':<24}{stage:>14,.0f}{lanes.stage_cpu_us:>18,.0f}"
            f"{lanes.stage_backlog_cpu_us:>18,.0f}",
            f"{'bare aiohttp client':<24}{bare:>14,.0f}{lanes.bare_cpu_us:>18,.0f}",
            f"  (before the stage: {lanes.bare_before:,.0f}/s,"
            f" after it: {lanes.bare_after:,.0f}/s)",
            f"{'bound (bare + Kafka)':<24}{bound:>14,.0f}{lanes.bound_cpu_us:>18,.0f}",
            f"  (before the stage: {lanes.bound_before:,.0f}/s,"
            f" after it: {lanes.bound_after:,.0f}/s)",
            "attrib deliver's event loop over the backlog: "
            f"{lanes.stage_loop_cpu_us:,.0f} us/delivery",
            f"delivery/bare ratio: {stage / bare:.1%} (goal: at least 50%)",
            f"bound/bare ratio: {bound / bare:.1%} (bare + the Kafka work of any durable stage)",
            f"delivery/bound ratio: {stage / bound:.1%}",
            f"decision -> delivered at {rate:g}/s ({offered:,} decisions): "
            f"p50 {percentile(latencies, 0.5):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms "
            "(goal: p99 at most 1000 ms above decision_delay)",
        ]
    )


if __name__ == "__main__":
    main()
