"""Abuse of the front door (issue 15): slow clients, huge headers, too many
connections, floods of unknown apps and wrong SDK keys.

The collector runs as in production (:func:`attrib.web.server.serve_collector`,
real sockets on loopback, the real broker behind it); the slow clients speak
raw HTTP/1.1 over asyncio streams so that they can stop mid-request. The
memory test runs ``attrib collector`` as its own process and reads its RSS.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.web.server import serve_collector

from .conftest import ANDROID_APP, SDK_KEY, register_apps

ATTRIB = str(Path(sys.executable).parent / "attrib")
INSTALL = f"/v1/sdk/{ANDROID_APP}/install"
GOOD_BODY = json.dumps(
    {"event_id": "ev-abuse-1", "device": {"advertising_id": "38400000-8cf0-11bd-b23e-10b96e40000d"}}
).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def registered(settings: Settings) -> None:
    """The test apps, stored before the collector starts (its cache loads them)."""
    cache = AppConfigCache(settings)
    writer = AppRegistryWriter(settings, cache)
    await cache.start()
    await writer.start()
    try:
        await register_apps(writer)
    finally:
        await writer.stop()
        await cache.stop()


async def wait_ready(url: str, within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    async with aiohttp.ClientSession() as session:
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            assert time.monotonic() < deadline, "the collector did not become ready"
            await asyncio.sleep(0.1)


Collector = Callable[..., Awaitable[str]]


@pytest.fixture
async def collector(
    isolated_settings: Settings, collector_topics: list[str]
) -> AsyncIterator[Collector]:
    """Start ``serve_collector`` with some settings changed; returns its base URL."""
    await registered(isolated_settings)
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(**overrides: Any) -> str:
        port = free_port()
        settings = dataclasses.replace(
            isolated_settings, collector_port=port, **overrides
        ).validate()
        stop = asyncio.Event()
        task = asyncio.create_task(
            serve_collector(settings, host="127.0.0.1", port=port, stop=stop, announce=str)
        )
        running.append((stop, task))
        url = f"http://127.0.0.1:{port}"
        await wait_ready(url)
        return url

    yield start
    for stop, task in running:
        stop.set()
        await asyncio.wait_for(task, 30)


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def good_install(session: aiohttp.ClientSession, url: str) -> tuple[int, float]:
    """One good SDK install: its status and how long it took."""
    started = time.perf_counter()
    async with session.post(
        url + INSTALL,
        data=GOOD_BODY,
        headers={"X-Attrib-Key": SDK_KEY, "Content-Type": "application/json"},
    ) as response:
        await response.read()
        return response.status, time.perf_counter() - started


async def read_answer(reader: asyncio.StreamReader, within_s: float) -> bytes:
    """Everything the server sends until it closes (fails if it does not close in time)."""
    return await asyncio.wait_for(reader.read(), within_s)


def status_and_json(raw: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


async def slowloris(port: int, interval_s: float, stop_after_s: float) -> tuple[float, bytes]:
    """Headers trickled a line at a time, never finished: (seconds until closed, answer)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: collector\r\n")
    answer = b""
    try:
        for n in range(int(stop_after_s / interval_s)):
            writer.write(b"X-Slow-%d: x\r\n" % n)
            with contextlib.suppress(asyncio.TimeoutError):
                answer = await asyncio.wait_for(reader.read(), interval_s)
                break
        else:
            return time.monotonic() - started, b"<still open>"
    except ConnectionError:
        pass
    finally:
        writer.close()
    return time.monotonic() - started, answer


async def test_slowloris_connections_are_closed_at_the_read_timeout_good_clients_served(
    collector: Collector,
) -> None:
    url = await collector(collector_read_timeout="1s")
    slow = [
        asyncio.create_task(slowloris(port_of(url), interval_s=0.2, stop_after_s=6.0))
        for _ in range(200)
    ]
    await asyncio.sleep(0.3)  # all of them connected and trickling
    async with aiohttp.ClientSession() as session:
        answers = [await good_install(session, url) for _ in range(20)]
    closed = await asyncio.gather(*slow)

    assert [status for status, _ in answers] == [202] * 20
    assert max(seconds for _, seconds in answers) < 1.0
    answered = 0
    for seconds, answer in closed:
        assert 0.9 <= seconds <= 3.0, seconds
        if not answer:
            # The client went on trickling lines after the server's 408: closing
            # with unread bytes makes the kernel send a reset, and a reset that
            # arrives first discards the answer on the client's side.
            continue
        status, body = status_and_json(answer)
        assert (status, body["error"]) == (408, "request_timeout")
        answered += 1
    # How many answers the resets discard depends on the kernel's timing (71 to
    # 200 of 200 seen): that the 408 is sent is what is checked here.
    assert answered >= 1, f"none of {len(closed)} got its 408"


async def test_a_body_sent_byte_by_byte_is_cut_at_the_read_timeout_with_408(
    collector: Collector,
) -> None:
    url = await collector(collector_read_timeout="1s")
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(url))
    started = time.monotonic()
    writer.write(
        b"POST " + INSTALL.encode() + b" HTTP/1.1\r\nHost: collector\r\n"
        b"X-Attrib-Key: " + SDK_KEY.encode() + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(GOOD_BODY)
    )

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            for byte in GOOD_BODY:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.1)

    sender = asyncio.create_task(trickle())
    answer = await read_answer(reader, within_s=5.0)
    elapsed = time.monotonic() - started
    sender.cancel()
    writer.close()

    status, body = status_and_json(answer)
    assert (status, body["error"]) == (408, "request_timeout")
    assert b"connection: close" in answer.lower()
    assert 0.9 <= elapsed <= 3.0
    # The same body sent at once is accepted: only slowness was refused.
    async with aiohttp.ClientSession() as session:
        assert (await good_install(session, url))[0] == 202


async def raw_request(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    try:
        return await read_answer(reader, within_s=5.0)
    finally:
        writer.close()


async def test_header_lines_over_the_limit_are_431_json(collector: Collector) -> None:
    url = await collector(collector_header_limit=2048)

    def healthz(header_bytes: int) -> bytes:
        return (
            b"GET /healthz HTTP/1.1\r\nHost: collector\r\nConnection: close\r\n"
            b"X-Big: " + b"a" * header_bytes + b"\r\n\r\n"
        )

    status, _ = status_and_json(await raw_request(port_of(url), healthz(1500)))
    assert status == 200
    status, body = status_and_json(await raw_request(port_of(url), healthz(3000)))
    assert (status, body["error"]) == (431, "request_header_fields_too_large")
    long_path = b"GET /healthz?" + b"q" * 3000 + b" HTTP/1.1\r\nHost: c\r\n\r\n"
    status, body = status_and_json(await raw_request(port_of(url), long_path))
    assert status == 431


async def test_connections_over_the_cap_are_refused_and_slots_come_back(
    collector: Collector,
) -> None:
    url = await collector(collector_max_connections=20)
    held = [await asyncio.open_connection("127.0.0.1", port_of(url)) for _ in range(20)]
    await asyncio.sleep(0.1)
    healthz = b"GET /healthz HTTP/1.1\r\nHost: collector\r\nConnection: close\r\n\r\n"

    status, body = status_and_json(await raw_request(port_of(url), healthz))
    assert (status, body["error"]) == (503, "unavailable")

    for _, writer in held[:5]:
        writer.close()
    await asyncio.sleep(0.2)
    status, _ = status_and_json(await raw_request(port_of(url), healthz))
    assert status == 200
    for _, writer in held[5:]:
        writer.close()


async def test_an_idle_keepalive_connection_is_closed_after_the_keepalive_timeout(
    collector: Collector,
) -> None:
    url = await collector(collector_keepalive_timeout="500ms", collector_read_timeout="10s")
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(url))
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: collector\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 200")
    started = time.monotonic()
    rest = await read_answer(reader, within_s=5.0)  # the body, then EOF at the timeout
    elapsed = time.monotonic() - started
    writer.close()
    assert rest.endswith(b"}")
    assert 0.4 <= elapsed <= 3.0


# ---- floods against a collector process: fast 4xx, bounded memory -----------


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def flood(
    url: str, requests: list[tuple[str, dict[str, str]]], concurrency: int = 64
) -> list[tuple[int, str, float]]:
    """Send every ``(path, headers)`` as an SDK install: ``(status, error code, seconds)``."""
    queue = iter(requests)
    out: list[tuple[int, str, float]] = []

    async def one_client(session: aiohttp.ClientSession) -> None:
        for path, headers in queue:
            started = time.perf_counter()
            async with session.post(url + path, data=GOOD_BODY, headers=headers) as response:
                body = await response.json()
            out.append((response.status, body["error"], time.perf_counter() - started))

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(one_client(session) for _ in range(concurrency)))
    return out


def bad_traffic(count: int, start: int = 0) -> list[tuple[str, dict[str, str]]]:
    """Half unknown apps (each a new name), half the known app with a new wrong key."""
    json_type = {"Content-Type": "application/json"}
    out: list[tuple[str, dict[str, str]]] = []
    for n in range(start, start + count):
        if n % 2:
            out.append((f"/v1/sdk/com.unknown.app{n}/install", {**json_type, "X-Attrib-Key": "k"}))
        else:
            out.append((INSTALL, {**json_type, "X-Attrib-Key": f"wrong-key-{n:08d}"}))
    return out


def start_collector_process(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [ATTRIB, "collector", "--port", str(port)], env=env, stdout=log, stderr=log
        )


@pytest.mark.integration
@pytest.mark.timeout(300)
async def test_floods_of_unknown_apps_and_wrong_keys_get_fast_4xx_and_bounded_memory(
    isolated_settings: Settings, collector_topics: list[str], tmp_path: Path
) -> None:
    await registered(isolated_settings)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIB_")}
    env.update(
        ATTRIB_KAFKA_BOOTSTRAP=isolated_settings.kafka_bootstrap,
        ATTRIB_TOPIC_PREFIX=isolated_settings.topic_prefix,
        ATTRIB_TOPIC_PARTITIONS=str(isolated_settings.topic_partitions),
        ATTRIB_ADMIN_TOKEN=isolated_settings.admin_token.reveal(),
        ATTRIB_DATA_DIR=isolated_settings.data_dir,
    )
    proc = start_collector_process(port, env, tmp_path / "collector.log")
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url, within_s=60)
        await flood(url, bad_traffic(2_000))  # warm up: pools, caches, allocator arenas
        before = rss_bytes(proc.pid)
        answers = await flood(url, bad_traffic(20_000, start=2_000))
        after = rss_bytes(proc.pid)
        async with aiohttp.ClientSession() as session:
            good = await good_install(session, url)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    codes = {(status, code) for status, code, _ in answers}
    assert codes == {(404, "unknown_app"), (401, "unauthorized")}, codes
    assert len(answers) == 20_000
    latencies = sorted(seconds for _, _, seconds in answers)
    # 64 requests in flight at once on a shared machine: generous, yet far
    # below what a per-request broker round trip or a leak would cost.
    assert latencies[len(latencies) // 2] < 0.1
    assert after - before < 50 << 20, f"RSS grew by {(after - before) >> 20} MiB"
    assert good[0] == 202
