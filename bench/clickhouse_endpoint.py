"""Throughput of the chdb-backed ClickHouse endpoint, through clickhouse-connect.

    .venv/bin/python bench/clickhouse_endpoint.py [--rows N] [--compress lz4] [--url URL]

Starts its own endpoint on a free port with a temporary data directory (or
uses ``--url``, e.g. the local stack's ``http://127.0.0.1:8123``, where it
creates and drops a scratch table), inserts N rows shaped like attribution
events in one ``client.insert`` call and prints rows/s, then prints the
latency of a GROUP BY over them (median and worst of several runs) and of a
trivial query (the per-request overhead).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from attrib.chserver.child import EndpointProcess

TABLE = "bench_events"
DDL = f"""
CREATE TABLE {TABLE} (
    event_id String,
    app_id LowCardinality(String),
    media_source LowCardinality(String),
    event_time DateTime64(3),
    revenue Float64,
    device_key String,
    installs UInt64
) ENGINE = MergeTree ORDER BY (app_id, event_time)
"""
GROUP_BY = f"""
SELECT app_id, media_source, toDate(event_time) AS day, count(), sum(installs), sum(revenue)
FROM {TABLE} GROUP BY app_id, media_source, day ORDER BY app_id, media_source, day
"""


def columns(n: int) -> list[list[Any]]:
    t0 = datetime(2025, 1, 1)
    apps = [f"com.example.app{i}" for i in range(20)]
    sources = ["organic", "netA", "netB", "netC", "netD"]
    return [
        [f"01JD5ZC2X7{i:016d}" for i in range(n)],
        [apps[i % 20] for i in range(n)],
        [sources[i % 5] for i in range(n)],
        [t0 + timedelta(seconds=i) for i in range(n)],
        [(i % 100) * 0.01 for i in range(n)],
        [f"advertising_id:{i:032x}" for i in range(n)],
        [1] * n,
    ]


def timed(fn: Any, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def run(client: Client, rows: int) -> None:
    client.command(f"DROP TABLE IF EXISTS {TABLE}")
    client.command(DDL)
    data = columns(rows)
    names = [
        "event_id",
        "app_id",
        "media_source",
        "event_time",
        "revenue",
        "device_key",
        "installs",
    ]
    start = time.perf_counter()
    client.insert(TABLE, data, column_names=names, column_oriented=True)
    elapsed = time.perf_counter() - start
    assert client.command(f"SELECT count() FROM {TABLE}") == rows
    print(f"insert   {rows:>9,} rows  {elapsed:6.2f} s  {rows / elapsed:>10,.0f} rows/s")

    group_by = timed(lambda: client.query(GROUP_BY), 7)
    print(
        f"group by {rows:>9,} rows  median {statistics.median(group_by) * 1000:6.1f} ms"
        f"  max {max(group_by) * 1000:6.1f} ms"
    )
    trivial = timed(lambda: client.command("SELECT 1"), 50)
    print(f"SELECT 1 round trip      median {statistics.median(trivial) * 1000:6.2f} ms")
    client.command(f"DROP TABLE {TABLE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--compress", default="lz4", help="clickhouse-connect compress=")
    parser.add_argument("--url", help="an endpoint already running (default: start one)")
    args = parser.parse_args()
    compress: bool | str = {"true": True, "false": False}.get(args.compress, args.compress)

    if args.url:
        url = urlparse(args.url)
        client = clickhouse_connect.get_client(
            host=url.hostname, port=url.port or 8123, compress=compress
        )
        run(client, args.rows)
        return
    with tempfile.TemporaryDirectory(prefix="chserver-bench-") as tmp:
        server = EndpointProcess(Path(tmp) / "data")
        server.start()
        try:
            print(f"endpoint {server.url} compress={args.compress}")
            run(server.client(compress=compress), args.rows)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
