"""``attrib archive``'s rows/s vs a bare pyarrow write of the same rows, in one run.

Touches (the archive's most common record) are produced to a fresh set of
topics, then archived five ways:

- ``archive``: the archiver itself (:class:`attrib.archive.service.Archiver`,
  ``--once``'s loop) from Kafka to a local folder: consuming, decoding, files
  per app and event hour, intent, fsync, manifest, commit. Timed from its
  partitions' assignment to its last commit (the group join is left out).
- ``archive, no Kafka``: the same flushes (:func:`attrib.archive.flush.write_flush`)
  over the same records already in memory.
- ``bare consume+decode+write``: the same records consumed with librdkafka
  (no group bookkeeping, no commits), decoded with fastavro, then
  ``pa.Table.from_pylist`` + ``pq.write_table`` (zstd) of the same columns in
  files of the same size: the least any archiver of these topics must do.
- ``bare decode+write``: the same without Kafka (records already in memory).
- ``bare write``: ``from_pylist`` + ``write_table`` of the rows already decoded
  (the ceiling of writing alone).
- ``decode only``: fastavro decoding alone: the bound that decoding puts on any
  Python archiver, printed as the most it allows of ``bare write``.

Prints numbers, asserts nothing. Needs the local broker
(``.venv/bin/attrib local up --only kafka``):
``.venv/bin/python bench/archive.py [--touches 200000] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from confluent_kafka import Consumer, Producer
from fastavro import schemaless_reader

from attrib.archive.columns import topic_schema
from attrib.archive.flush import Flush, write_flush
from attrib.archive.service import Archiver, FlushPolicy
from attrib.archive.store import LocalStore
from attrib.avro import codec
from attrib.kafka.acked import librdkafka_config
from attrib.kafka.client import ensure_topics, make_consumer
from attrib.settings import load_settings
from attrib.topics import topic_specs

T0 = 1_764_547_200_000
HOUR_MS = 3_600_000
PARTITIONS = 4
FLUSH_ROWS = 50_000


def touch_values(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        record = {
            "touch_id": f"t-{i:012d}",
            "touch_type": "click",
            "app_id": f"app-{i % 3}",
            "device_key": f"gaid:{i:032x}",
            "media_source": f"network{i % 11}",
            "campaign": f"campaign-{i % 97}",
            "campaign_id": str(i % 97),
            "adset": "adset",
            "site_id": f"site{i % 1000}",
            "network_click_id": f"ck{i:016x}",
            "advertising_id": f"{i:032x}",
            "ip": f"10.{i % 256}.{i // 256 % 256}.{i % 7}",
            "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36",
            "touch_time": T0 + (i % 24) * HOUR_MS + i,
            "received_time": T0 + (i % 24) * HOUR_MS + i + 20,
        }
        out.append(codec.encode("Touch", record))
    return out


def produce(settings, values: list[bytes]) -> None:
    asyncio.run(
        ensure_topics(settings, [s for s in topic_specs(settings) if s.name.endswith("clicks")])
    )
    producer = Producer({**librdkafka_config(settings), "linger.ms": 20, "acks": "all"})
    topic = settings.topic("clicks")
    for i, value in enumerate(values):
        while True:
            try:
                producer.produce(topic, value, key=f"d{i}".encode())
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    assert producer.flush(60) == 0, "records not acknowledged"


async def consumed(settings) -> list[tuple[int, int, int, bytes | None, bytes | None]]:
    """The records as Kafka holds them (partition, offset, timestamp, key, value)."""
    consumer = make_consumer(settings, settings.topic("clicks"), group_id=None)
    await consumer.start()
    out = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=2000, max_records=50_000)
            if not batch:
                break
            for tp, records in batch.items():
                out.extend((tp.partition, r.offset, r.timestamp, r.key, r.value) for r in records)
    finally:
        await consumer.stop()
    return out


def run_archiver(settings, root: Path) -> tuple[float, int]:
    archiver = Archiver(
        dataclasses.replace(settings, archive_url=str(root)),
        topics=("clicks",),
        policy=FlushPolicy(rows=FLUSH_ROWS, bytes=1 << 30, seconds=3600),
    )
    thread = threading.Thread(target=archiver.run, kwargs={"until_end": True})
    thread.start()
    thread.join()
    if archiver.failure is not None:
        raise archiver.failure
    return time.monotonic() - archiver.assigned_at, archiver.archived


def bare_from_kafka(settings, n: int, root: Path) -> float:
    """Consume (librdkafka, as the archiver), decode and write the same rows: seconds."""
    consumer = Consumer(
        {
            **librdkafka_config(settings),
            "group.id": f"{settings.faust_app_id}-bare",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([settings.topic("clicks")])
    records = []
    started = None
    try:
        while len(records) < n:
            messages = consumer.consume(5_000, 1.0)
            if messages and started is None:
                started = time.perf_counter()
            records.extend(
                (m.partition(), m.offset(), m.timestamp()[1], m.key(), m.value()) for m in messages
            )
    finally:
        consumer.close()
    assert started is not None
    rows = decode_rows(records)
    bare_write(rows, root)
    return time.perf_counter() - started


def archive_in_memory(records, root: Path) -> float:
    store = LocalStore(root)
    by_partition: dict[int, list] = {}
    for partition, offset, ts, key, value in records:
        by_partition.setdefault(partition, []).append((offset, ts, key, value))
    started = time.perf_counter()
    decoder = codec.default_codec()
    for partition, raws in by_partition.items():
        for start in range(0, len(raws), FLUSH_ROWS):
            chunk = raws[start : start + FLUSH_ROWS]
            write_flush(store, Flush("clicks", partition, chunk[0][0], chunk), decoder)
    return time.perf_counter() - started


def decode_rows(records) -> list[dict]:
    entry = codec.default_codec()._readers[records[0][4][2:10]]
    rows = []
    for partition, offset, ts, key, value in records:
        buf = io.BytesIO(value)
        buf.seek(10)
        row = schemaless_reader(buf, entry.writer, None)
        row["_partition"], row["_offset"], row["_timestamp_ms"] = partition, offset, ts
        row["_key"], row["_value"] = key, value
        rows.append(row)
    return rows


def bare_write(rows: list[dict], root: Path) -> float:
    schema = topic_schema("clicks")
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for n, start in enumerate(range(0, len(rows), FLUSH_ROWS)):
        table = pa.Table.from_pylist(rows[start : start + FLUSH_ROWS], schema=schema)
        pq.write_table(table, root / f"{n}.parquet", compression="zstd")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--touches", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    settings = load_settings(
        topic_prefix=f"bench-archive-{tag}.",
        topic_partitions=PARTITIONS,
        faust_app_id=f"bench-archive-{tag}",
    )
    print(f"producing {args.touches:,} touches to {PARTITIONS} partitions ...", flush=True)
    values = touch_values(args.touches)
    produce(settings, values)
    records = asyncio.run(consumed(settings))
    assert len(records) == args.touches, len(records)
    work = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    n = len(records)
    results: dict[str, list[float]] = {}
    try:
        for round_ in range(args.rounds):
            print(f"round {round_ + 1}/{args.rounds} ...", flush=True)
            group = dataclasses.replace(settings, faust_app_id=f"bench-archive-{tag}-{round_}")
            seconds, archived = run_archiver(group, work / f"archive-{round_}")
            assert archived == n, (archived, n)
            results.setdefault("archive", []).append(n / seconds)
            memory = archive_in_memory(records, work / f"memory-{round_}")
            results.setdefault("archive, no Kafka", []).append(n / memory)
            seconds = bare_from_kafka(group, n, work / f"bare-kafka-{round_}")
            results.setdefault("bare consume+decode+write", []).append(n / seconds)
            started = time.perf_counter()
            rows = decode_rows(records)
            decoding = time.perf_counter() - started
            writing = bare_write(rows, work / f"bare-{round_}")
            results.setdefault("bare decode+write", []).append(n / (decoding + writing))
            results.setdefault("bare write", []).append(n / writing)
            results.setdefault("decode only", []).append(n / decoding)
            del rows
    finally:
        shutil.rmtree(work, ignore_errors=True)
        asyncio.run(_delete_topics(settings))
    best = {name: max(rates) for name, rates in results.items()}
    print(
        f"\n{n:,} touches, {PARTITIONS} partitions, files of {FLUSH_ROWS:,} rows;"
        f" best of {args.rounds}"
    )
    print(f"{'':28}{'rows/s':>10}{'vs consume+decode+write':>25}{'vs bare write':>15}")
    for name, rate in best.items():
        a = rate / best["bare consume+decode+write"]
        b = rate / best["bare write"]
        print(f"{name:28}{rate:10,.0f}{a:25.0%}{b:15.0%}")
    bound = 1 / (1 + best["bare write"] / best["decode only"])
    print(f"\ndecoding bounds any archiver of these bytes at {bound:.0%} of bare write")
    print("per round:", {k: [round(r) for r in v] for k, v in results.items()})


async def _delete_topics(settings) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        names = [n for n in await admin.list_topics() if n.startswith(settings.topic_prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


if __name__ == "__main__":
    main()
