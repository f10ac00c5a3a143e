"""Good-traffic latency of the collector with and without abuse, and its memory.

    .venv/bin/python bench/abuse.py [--seconds 10] [--rate 200] [--slow 500] [--flood 32]

Needs the local broker (``attrib local up --only kafka``). One ``attrib
collector`` process (scratch topic prefix, default front-door settings
except ``--read-timeout``) is asked, in one run:

1. ``quiet``: good SDK installs (valid key, Kafka-acknowledged 202) at
   ``--rate`` requests/s over 8 keep-alive connections, for ``--seconds``;
2. ``abused``: the same good traffic while ``--slow`` slowloris connections
   trickle header lines (reopened as soon as the read timeout closes them)
   and ``--flood`` connections send installs with invalid SDK keys and
   unknown app ids as fast as they are answered;
3. ``quiet`` again (the collector recovered).

For each phase: good requests answered 2xx, their p50/p99/max latency, abuse
requests answered (by status) and the collector's RSS at the end. Prints
numbers, asserts nothing; the load generator shares the machine with the
collector and the broker, so compare the phases of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from collector import (
    APP_ID,
    SDK_KEY,
    delete_topics,
    free_port,
    server_env,
    start_collector,
    stop,
)

GOOD_BODY = b'{"event_id": "%s", "device": {"advertising_id": "%s"}}'


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def install_request(port: int, app_id: str, key: str, body: bytes) -> bytes:
    return (
        f"POST /v1/sdk/{app_id}/install HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"X-Attrib-Key: {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """Send one request on a keep-alive connection and read its answer: the status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return int(head.split(b" ", 2)[1])


async def good_traffic(port: int, rate: float, seconds: float) -> tuple[list[float], Counter]:
    """Paced good installs over 8 connections: latencies (s) and statuses."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    connections = 8
    interval = connections / rate
    deadline = time.monotonic() + seconds

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        next_at = time.monotonic()
        try:
            while next_at < deadline:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                body = GOOD_BODY % (uuid.uuid4().hex.encode(), str(uuid.uuid4()).encode())
                started = time.perf_counter()
                try:
                    status = await exchange(
                        reader, writer, install_request(port, APP_ID, SDK_KEY, body)
                    )
                except (ConnectionError, asyncio.IncompleteReadError):
                    statuses["closed"] += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[status] += 1
                next_at += interval
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    return latencies, statuses


async def slowloris(port: int, stop_at: float, counts: Counter) -> None:
    """One slow client: header lines trickled every second, reconnecting when closed."""
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            counts["connect_failed"] += 1
            await asyncio.sleep(0.5)
            continue
        counts["opened"] += 1
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: slow\r\n")
            while time.monotonic() < stop_at:
                writer.write(b"X-Slow: 1\r\n")
                try:
                    await asyncio.wait_for(reader.read(), 1.0)  # returns at EOF only
                except TimeoutError:
                    continue
                counts["closed_by_server"] += 1
                break
        except ConnectionError:
            counts["closed_by_server"] += 1
        finally:
            writer.close()


async def bad_flood(port: int, stop_at: float, counts: Counter) -> None:
    """Installs with a wrong key or an unknown app, back to back on one connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    try:
        while time.monotonic() < stop_at:
            n += 1
            body = GOOD_BODY % (b"bad", b"00000000-0000-0000-0000-000000000001")
            if n % 2:
                request = install_request(port, f"com.unknown.{uuid.uuid4().hex}", "k", body)
            else:
                request = install_request(port, APP_ID, f"wrong-{uuid.uuid4().hex}", body)
            try:
                counts[await exchange(reader, writer, request)] += 1
            except (ConnectionError, asyncio.IncompleteReadError):
                counts["closed"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def phase(name: str, port: int, pid: int, args: argparse.Namespace, abuse: bool) -> None:
    stop_at = time.monotonic() + args.seconds
    slow: Counter = Counter()
    flood: Counter = Counter()
    tasks: list[asyncio.Task[None]] = []
    if abuse:
        tasks += [asyncio.create_task(slowloris(port, stop_at, slow)) for _ in range(args.slow)]
        tasks += [asyncio.create_task(bad_flood(port, stop_at, flood)) for _ in range(args.flood)]
        await asyncio.sleep(0.5)  # the slow connections are open before measuring
    latencies, statuses = await good_traffic(port, args.rate, args.seconds)
    await asyncio.gather(*tasks)
    ms = [x * 1000 for x in latencies]
    print(
        f"{name:8} good {sum(v for k, v in statuses.items() if k in (200, 202)):6d} 2xx "
        f"(other {dict((k, v) for k, v in statuses.items() if k not in (200, 202))}) "
        f"p50 {percentile(ms, 0.5):6.1f} ms  p99 {percentile(ms, 0.99):6.1f} ms  "
        f"max {max(ms, default=float('nan')):6.1f} ms  | "
        f"bad answered {dict(flood)} ({sum(flood.values()) / args.seconds:,.0f}/s)  "
        f"slow {dict(slow)}  | collector RSS {rss_mib(pid):6.1f} MiB",
        flush=True,
    )


async def run(args: argparse.Namespace, port: int, pid: int) -> None:
    print(f"collector RSS at start {rss_mib(pid):.1f} MiB", flush=True)
    await phase("quiet", port, pid, args, abuse=False)
    await phase("abused", port, pid, args, abuse=True)
    await phase("quiet", port, pid, args, abuse=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0, help="good requests/s")
    parser.add_argument("--slow", type=int, default=500, help="slowloris connections")
    parser.add_argument("--flood", type=int, default=32, help="invalid-key flood connections")
    parser.add_argument("--read-timeout", default="10s", help="ATTRIB_COLLECTOR_READ_TIMEOUT")
    args = parser.parse_args()
    prefix = f"bench-abuse-{uuid.uuid4().hex[:8]}."
    env = server_env(prefix, linger_ms=1.0)
    env["ATTRIB_COLLECTOR_READ_TIMEOUT"] = args.read_timeout
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env["ATTRIB_DATA_DIR"] = tmp
        proc = start_collector(port, env, Path(tmp) / "collector.log")
        try:
            print(
                json.dumps(vars(args) | {"pid": proc.pid, "port": port}),
                flush=True,
            )
            asyncio.run(run(args, port, proc.pid))
        finally:
            stop(proc)
            asyncio.run(delete_topics(prefix))


if __name__ == "__main__":
    main()
