"""The chaos run's load: seeded clicks and installs of fresh devices, offered at a steady rate."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import deque

import aiohttp

from attrib.loadgen.identities import Device, new_device
from attrib.loadgen.traffic import Request, sdk, touch
from tests.chaos.report import Report

APP = "com.example.chaos"
NETWORK = "facebook_ads"


def seeded_traffic(rate: float, seconds: float, sdk_key: str, seed: int) -> list[Request]:
    """Pairs of requests: a click of a fresh device, then the install of the device
    clicked two pairs before; every fourth pair an organic install (no click) instead."""
    rng = random.Random(seed)
    clicked: deque[Device] = deque()
    out: list[Request] = []
    now = int(time.time() * 1000)
    pairs = 0
    while len(out) < int(rate * seconds):
        device = new_device(rng, "android", lat_share=0.0)
        pairs += 1
        if pairs % 4 == 0:
            out.append(sdk(APP, "install", device, sdk_key, ts=now))
        else:
            # Two minutes before its install: a click-to-install time no fraud rule minds.
            out.append(touch(APP, "click", device, source=NETWORK, ts=now - 120_000))
            clicked.append(device)
        if len(clicked) > 2:
            out.append(sdk(APP, "install", clicked.popleft(), sdk_key, ts=now))
    return out


async def offer(
    url: str, requests: list[Request], rate: float, report: Report, accepted: dict[str, float]
) -> None:
    """Open loop at ``rate``: record the installs answered 2xx by their event id."""
    connector = aiohttp.TCPConnector(limit=128)
    timeout = aiohttp.ClientTimeout(total=30)
    gate = asyncio.Semaphore(128)
    start = time.perf_counter()
    pending: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as session:

        async def one(req: Request) -> None:
            try:
                async with session.request(
                    req.method, req.path, data=req.body, headers=req.headers, allow_redirects=False
                ) as resp:
                    body = await resp.read()
                    report.statuses[resp.status] += 1
                    if 200 <= resp.status < 300:
                        report.accepted += 1
                        if req.kind == "install":
                            accepted[json.loads(body)["event_id"]] = time.time()
            except (aiohttp.ClientError, TimeoutError):
                report.client_errors += 1
            finally:
                gate.release()

        for i, req in enumerate(requests):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await gate.acquire()
            task = asyncio.create_task(one(req))
            pending.add(task)
            task.add_done_callback(pending.discard)
            report.sent += 1
        if pending:
            await asyncio.gather(*pending)
    report.load_s = time.perf_counter() - start
