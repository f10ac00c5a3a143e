"""The latency bound of the engine's topology: records relayed through Kafka hops.

Between its reception and its decision an install crosses four Kafka topics
(the input topic, the intake's ``device-inputs`` envelope, the lookup, the
candidates), each produced with the worker's linger and acknowledgement
settings and fetched by one Python process. This lane measures what those
hops alone cost at the engine's offered load, with no engine work at all: a
relay process (one event loop, like the worker) forwards each measured
record through ``--hops`` topics, and background records (the touches) from
the first topic to a side topic it reads and drops, as the intake routes
touches to ``store-touches``. The bench process offers both rates and reads
the last topic; the latency is its arrival there minus its send.

``--durable`` adds the engine's commit discipline to each hop (docs/architecture.md,
State): the relay waits until every record a fetched batch produced is acknowledged,
then writes one changelog record and waits for its acknowledgement too, before it
takes the next batch, as every agent does. That is the bound of any engine that keeps
the engine's promise (a crash repeats outputs, never records a state whose outputs
were lost) over these four topics; the bare topics are the bound of one that does
not.

``bench/engine.py --hop-bound`` runs both in the same invocation as the engine's
latency phase. On its own::

    .venv/bin/python bench/hop_latency.py --rate 1000 --background 10000 --seconds 10 [--durable]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
import uuid

from aiokafka import TopicPartition
from bench_topics import delete_run_topics

from attrib.kafka.client import ensure_topics, make_consumer, make_producer
from attrib.settings import Settings, load_settings
from attrib.topics import TopicSpec

PAYLOAD = 300  # about a touch's or an install's Avro value
MEASURED = b"m"
BACKGROUND = b"b"


def topic_names(prefix: str, hops: int) -> list[str]:
    """The ``hops`` topics a measured record crosses (read by the bench from the last),
    and the background records' sink."""
    return [f"{prefix}hop-{i}" for i in range(hops)] + [f"{prefix}hop-side"]


def changelog_name(prefix: str) -> str:
    return f"{prefix}hop-changelog"


async def relay(settings: Settings, names: list[str], changelog: str | None = None) -> None:
    """Forward each measured record from topic i to topic i+1, and hop-0's background to
    the side topic, which is read and dropped: all on this process's one event loop.
    With ``changelog``, each batch commits as an agent does (module docstring)."""
    hops = len(names) - 1
    side = names[-1]
    producer = make_producer(settings)  # the workers' settings: acks=all, linger 2 ms
    await producer.start()
    sources = [*names[: max(1, hops - 1)], side]
    consumers = []
    for source in sources:
        consumer = make_consumer(settings, fetch_max_wait_ms=5)
        await consumer.start()
        parts = range(settings.topic_partitions)
        consumer.assign([TopicPartition(source, p) for p in parts])
        await consumer.seek_to_end()
        consumers.append(consumer)

    async def forward(i: int) -> None:
        consumer = consumers[i]
        is_side = sources[i] == side
        while True:
            batch = await consumer.getmany(timeout_ms=100, max_records=2_000)
            sent = []
            if not is_side:  # the side's records are read and dropped (store-touches files them)
                for records in batch.values():
                    for r in records:
                        if r.value[:1] == BACKGROUND:
                            sent.append(await producer.send(side, r.value, key=r.key))
                        elif i + 1 < hops:
                            sent.append(await producer.send(names[i + 1], r.value, key=r.key))
            if changelog is not None and batch:
                await asyncio.gather(*sent)  # the batch's outputs are acknowledged,
                await (await producer.send(changelog, b"c" * 64, key=b"%d" % i))  # then its state

    print("ready", flush=True)
    await asyncio.gather(*(forward(i) for i in range(len(consumers))))


async def measure(
    settings: Settings,
    *,
    hops: int,
    rate: int,
    background: int,
    seconds: float,
    durable: bool = False,
) -> list[float]:
    """Latencies (ms) of ``rate`` records/s through ``hops`` hops, beside ``background``
    (``durable``: each hop commits as an agent does)."""
    prefix = f"{settings.topic_prefix}bench-{uuid.uuid4().hex[:8]}-"
    names = topic_names(prefix, hops)
    created = [*names, changelog_name(prefix)] if durable else names
    await ensure_topics(settings, [TopicSpec(n, settings.topic_partitions, 1) for n in created])
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--relay",
        str(hops),
        prefix,
        *(["--durable"] if durable else []),
        env=settings_env(settings),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
        if line.strip() != b"ready":
            raise RuntimeError("the hop relay did not start")
        await asyncio.sleep(1.0)  # its consumers have positioned themselves
        return await _offer(settings, names, rate=rate, background=background, seconds=seconds)
    finally:
        proc.terminate()
        await proc.wait()
        await delete_run_topics(settings, (prefix,))


async def _offer(
    settings: Settings, names: list[str], *, rate: int, background: int, seconds: float
) -> list[float]:
    last = names[-2]  # the last hop (the side topic is the last name)
    sink = make_consumer(settings, fetch_max_wait_ms=5)
    await sink.start()
    sink.assign([TopicPartition(last, p) for p in range(settings.topic_partitions)])
    await sink.seek_to_end()
    producer = make_producer(settings)
    await producer.start()
    latencies: list[float] = []
    sent = 0
    all_read = asyncio.Event()

    async def read() -> None:
        while True:
            batch = await sink.getmany(timeout_ms=100)
            now = time.time_ns()
            for records in batch.values():
                for r in records:
                    if r.value[:1] == MEASURED:  # (with one hop, the background is there too)
                        latencies.append((now - int.from_bytes(r.value[1:9], "big")) / 1e6)
            if sent and len(latencies) >= sent:
                all_read.set()

    reader = asyncio.create_task(read())
    try:
        start = time.perf_counter()
        measured = extra = 0
        pad = b"x" * (PAYLOAD - 9)
        while time.perf_counter() - start < seconds:
            elapsed = time.perf_counter() - start
            while extra < int(elapsed * background):
                value = BACKGROUND + time.time_ns().to_bytes(8, "big") + pad
                await producer.send(names[0], value, key=str(extra).encode())
                extra += 1
            while measured < int(elapsed * rate):
                value = MEASURED + time.time_ns().to_bytes(8, "big") + pad
                await producer.send(names[0], value, key=str(measured).encode())
                measured += 1
            await asyncio.sleep(0.005)
        sent = measured
        await producer.flush()
        with contextlib.suppress(TimeoutError):  # what came is measured; the count says
            await asyncio.wait_for(all_read.wait(), timeout=30)
    finally:
        reader.cancel()
        await producer.stop()
        await sink.stop()
    return latencies


def settings_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ATTRIB_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        ATTRIB_TOPIC_PARTITIONS=str(settings.topic_partitions),
    )
    return env


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0


def main() -> None:
    if sys.argv[1:2] == ["--relay"]:
        hops, prefix = int(sys.argv[2]), sys.argv[3]
        changelog = changelog_name(prefix) if "--durable" in sys.argv[4:] else None
        asyncio.run(relay(load_settings(), topic_names(prefix, hops), changelog))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hops", type=int, default=4, help="topics crossed")
    parser.add_argument("--rate", type=int, default=1_000)
    parser.add_argument("--background", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--durable", action="store_true", help="each hop commits as an agent does")
    args = parser.parse_args()
    latencies = asyncio.run(
        measure(
            load_settings(),
            hops=args.hops,
            rate=args.rate,
            background=args.background,
            seconds=args.seconds,
            durable=args.durable,
        )
    )
    kind = "durable hops" if args.durable else "hops"
    print(
        f"{args.hops} {kind} at {args.rate}+{args.background}/s: {len(latencies):,} records,"
        f" p50 {pct(latencies, 50):.0f} ms, p99 {pct(latencies, 99):.0f} ms"
    )


if __name__ == "__main__":
    main()
