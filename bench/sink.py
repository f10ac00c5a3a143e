"""Throughput of the ClickHouse sink: attributions from the topic to queryable rows.

    .venv/bin/python bench/sink.py [--records 200000] [--partitions 4]

Needs the local stack (``attrib local up --only kafka,clickhouse``) or
``ATTRIB_KAFKA_BOOTSTRAP`` / ``ATTRIB_CLICKHOUSE_URL``. In one run it:

1. produces N attribution records to a fresh topic (not timed);
2. times the sink (:class:`attrib.analytics.sink.SinkService`, batches of at
   most 50,000 rows) from its start until ``count()`` of the table reaches N;
3. times the ceiling: a raw clickhouse-connect ``insert(column_oriented=True)``
   of the same rows, already decoded and in columns, in 50,000-row inserts
   into an identical empty table (each run 5 times, medians compared);
4. for reference, times a raw insert of the same rows in the sink's own wire
   format (Avro containers, :mod:`attrib.analytics.framing`) without Kafka.

It prints rows/s of each and the sink's share of the ceiling (goal: 80%),
then drops the databases it created (the topic stays; its prefix is unique).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import time
import uuid
from typing import Any

from clickhouse_connect.driver.client import Client

from attrib import topics
from attrib.analytics import clickhouse
from attrib.analytics.framing import INSERT_SETTINGS, ContainerFramer
from attrib.analytics.migrations import Target, apply_migrations
from attrib.analytics.sink import MAX_BATCH_ROWS, SinkService
from attrib.analytics.targets import ATTRIBUTIONS, TARGETS
from attrib.avro import records
from attrib.avro.codec import default_codec
from attrib.kafka.client import ensure_topics, make_producer
from attrib.settings import Settings, load_settings
from attrib.topics import topic_specs

T0 = 1_764_000_000_000
SOURCES = ["netA", "netB", "netC", "organic"]


def attribution(i: int) -> dict[str, Any]:
    organic = SOURCES[i % 4] == "organic"
    install = T0 + i * 1_000
    return {
        "attribution_id": f"a-{uuid.UUID(int=i)}",
        "app_id": f"com.example.app{i % 10}",
        "device_key": f"advertising_id:{uuid.UUID(int=i << 20)}",
        "install_event_id": f"ev-{uuid.UUID(int=i)}",
        "conversion_type": "install",
        "status": "organic" if organic else "non_organic",
        "install_time": install,
        "received_time": install + 40,
        "decided_time": install + 1_040,
        "touch_id": None if organic else f"t-{i}",
        "touch_type": None if organic else "click",
        "touch_time": None if organic else install - 90_000,
        "match_type": None if organic else "id",
        "media_source": SOURCES[i % 4],
        "campaign": None if organic else f"campaign-{i % 17}",
        "campaign_id": None if organic else f"c-{i % 17}",
        "adset": None,
        "adset_id": None,
        "ad": None,
        "ad_id": None,
        "site_id": None if organic else f"site-{i % 31}",
        "sub_site_id": None,
        "network_click_id": None if organic else f"nclk-{i}",
        "is_retargeting": False,
        "ctit_seconds": None if organic else 90,
        "lookback": None if organic else "7d",
        "contributors": []
        if i % 3
        else [
            {
                "touch_id": f"t-{i}-c",
                "touch_type": "impression",
                "touch_time": install - 300_000,
                "media_source": "netB",
                "campaign": None,
                "match_type": "id",
            }
        ],
        "blocked_reason": None,
        "rejected_touches": [],
        "platform": "android",
        "app_version": "1.2.0",
        "os_version": "14",
        "ip": f"198.51.{i % 250}.{i % 200}",
        "user_agent": "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UD1A.230803.041)",
        "advertising_id": str(uuid.UUID(int=i << 20)),
        "idfa": None,
        "idfv": None,
        "android_id": None,
        "oaid": None,
        "customer_user_id": f"user-{i}" if i % 2 else None,
    }


def columns(decoded: list[dict[str, Any]], names: list[str]) -> list[list[Any]]:
    """Column-oriented data for ``client.insert``: nested records as tuples."""
    out = []
    for name in names:
        column = [row[name] for row in decoded]
        if name in ("contributors", "rejected_touches"):
            column = [[tuple(item.values()) for item in value] for value in column]
        out.append(column)
    return out


async def produce(settings: Settings, values: list[bytes]) -> float:
    producer = make_producer(settings, linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    started = time.perf_counter()
    try:
        topic = settings.topic(topics.ATTRIBUTIONS)
        pending = []
        for i, value in enumerate(values):
            pending.append(await producer.send(topic, value=value, key=b"%d" % i))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def time_sink(settings: Settings, client: Client, expected: int) -> tuple[float, float]:
    """(seconds to start and join, seconds from then until every row is queryable)."""
    table = f"`{settings.clickhouse_database}`.attributions"
    service = SinkService(settings, topic_names=[topics.ATTRIBUTIONS])
    started = time.perf_counter()
    await service.start()
    try:
        await service.wait_ready(60)
        ready = time.perf_counter()
        while True:
            if client.command(f"SELECT count() FROM {table}") >= expected:
                break
            await asyncio.sleep(0.02)
        done = time.perf_counter()
    finally:
        await service.stop()
    assert client.command(f"SELECT count() FROM {table} FINAL") == expected
    return ready - started, done - ready


def time_column_insert(client: Client, database: str, values: list[bytes]) -> float:
    codec = default_codec()
    decoded = codec.decode_many(values, expect=records.ATTRIBUTION)
    names = [f["name"] for f in codec.schema(records.ATTRIBUTION)["fields"]]
    data = columns(decoded, names)
    started = time.perf_counter()
    for start in range(0, len(values), MAX_BATCH_ROWS):
        block = [column[start : start + MAX_BATCH_ROWS] for column in data]
        client.insert(f"`{database}`.attributions", block, column_names=names, column_oriented=True)
    return time.perf_counter() - started


def time_avro_insert(client: Client, database: str, values: list[bytes]) -> float:
    framer = ContainerFramer(default_codec().schemas, TARGETS[ATTRIBUTIONS].renames)
    fingerprint = values[0][2:10]
    started = time.perf_counter()
    for start in range(0, len(values), MAX_BATCH_ROWS):
        body = framer.frame(fingerprint, values[start : start + MAX_BATCH_ROWS])
        client.raw_insert(
            f"`{database}`.attributions", None, body, settings=INSERT_SETTINGS, fmt="Avro"
        )
    return time.perf_counter() - started


def fresh_database(client: Client, database: str) -> None:
    client.command(f"DROP DATABASE IF EXISTS `{database}`")
    apply_migrations(client, Target(database))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; medians compared")
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    base = dataclasses.replace(
        load_settings(), topic_prefix=f"bench{tag}.", topic_partitions=args.partitions
    )
    n = args.records
    codec = default_codec()
    values = codec.encode_many(records.ATTRIBUTION, (attribution(i) for i in range(n)))
    client = clickhouse.connect(base, database="")
    databases = [f"bench_sink_{tag}", f"bench_ceiling_{tag}", f"bench_avro_{tag}"]
    sink_times, ceiling_times, avro_times = [], [], []
    try:
        await ensure_topics(
            base, [s for s in topic_specs(base) if s.name.endswith(topics.ATTRIBUTIONS)]
        )
        produced = await produce(base, values)
        print(f"produced {n:,} attributions to {args.partitions} partitions in {produced:.2f} s")
        for run in range(args.repeat):
            for database in databases:
                fresh_database(client, database)
            settings = dataclasses.replace(
                base, faust_app_id=f"bench-{tag}-{run}", clickhouse_database=databases[0]
            )
            join, sink = await time_sink(settings, client, n)
            ceiling = time_column_insert(client, databases[1], values)
            avro = time_avro_insert(client, databases[2], values)
            sink_times.append(sink)
            ceiling_times.append(ceiling)
            avro_times.append(avro)
            print(
                f"run {run + 1}: sink {n / sink:,.0f} rows/s (after {join:.2f} s to start),"
                f" ceiling {n / ceiling:,.0f} rows/s, sink's format raw {n / avro:,.0f} rows/s"
            )
        sink, ceiling, avro = (
            statistics.median(t) for t in (sink_times, ceiling_times, avro_times)
        )
        print(f"median of {args.repeat} runs of {n:,} rows:")
        print(f"  sink, topic -> queryable rows    {n / sink:>10,.0f} rows/s")
        print(f"  ceiling: insert(column_oriented) {n / ceiling:>10,.0f} rows/s")
        print(f"  raw insert of the sink's format  {n / avro:>10,.0f} rows/s")
        print(f"  sink / ceiling = {ceiling / sink:.0%}   (goal: at least 80%)")
    finally:
        for database in databases:
            client.command(f"DROP DATABASE IF EXISTS `{database}`")
        client.close()


if __name__ == "__main__":
    asyncio.run(main())
