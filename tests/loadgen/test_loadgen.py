"""The load generator: plausible identities, mixes, and an open-loop sender."""

from __future__ import annotations

import json
import random
import time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from attrib.identifiers import device_key, normalise_identifiers
from attrib.loadgen.identities import ZERO_UUID, new_device
from attrib.loadgen.sender import Stats, send
from attrib.loadgen.traffic import Mix, RandomTraffic


def test_devices_carry_ids_the_platform_accepts() -> None:
    rng = random.Random(3)
    for platform in ("android", "ios"):
        for _ in range(200):
            device = new_device(rng, platform, lat_share=0.2)
            assert normalise_identifiers(device.ids) == {
                k: v.lower() for k, v in device.ids.items()
            }
            assert device_key(normalise_identifiers(device.ids)) is not None
            assert ZERO_UUID not in device.ids.values()


def test_limited_ad_tracking_share_has_no_advertising_id() -> None:
    rng = random.Random(5)
    devices = [new_device(rng, "android", lat_share=0.5) for _ in range(400)]
    without = sum("advertising_id" not in d.ids for d in devices)
    assert 120 < without < 280


def test_mix_parses_and_refuses_unknown_kinds() -> None:
    assert Mix.parse("clicks=1,installs=2") == Mix(
        clicks=1, impressions=0, installs=2, sessions=0, events=0
    )
    with pytest.raises(ValueError, match="unknown kind"):
        Mix.parse("conversions=1")


def test_random_traffic_follows_the_mix() -> None:
    traffic = RandomTraffic(
        "app",
        "key",
        "android",
        Mix(clicks=1, impressions=0, installs=1, sessions=0, events=0),
        seed=2,
    )
    kinds = [traffic.next(0).kind for _ in range(1_000)]
    assert set(kinds) == {"click", "install"}
    assert 400 < kinds.count("click") < 600
    install = next(r for r in (traffic.next(0) for _ in range(50)) if r.kind == "install")
    body = json.loads(install.body or b"{}")
    assert body["device"]
    assert install.headers["X-Attrib-Key"] == "key"


def test_stats_percentiles() -> None:
    stats = Stats(latencies_ms=[float(i) for i in range(1, 101)])
    assert stats.percentile(50) == 51
    assert stats.percentile(99) == 100


async def test_sender_offers_the_rate_and_counts_answers() -> None:
    seen = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(status=202 if request.method == "POST" else 204)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app)
    await server.start_server()
    traffic = RandomTraffic("app", "key", "ios", Mix(), seed=9)
    requests = [traffic.next(0) for _ in range(100)]
    started = time.perf_counter()
    stats = await send(str(server.make_url("")), requests, rate=200, concurrency=8)
    elapsed = time.perf_counter() - started
    await server.close()
    assert stats.sent == 100
    assert len(seen) == 100
    assert stats.errors == 0
    assert stats.accepted == 100
    assert 0.4 < elapsed < 3.0  # 100 requests at 200/s take about half a second
