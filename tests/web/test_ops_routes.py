"""Health, readiness, metrics and the JSON error guarantee of the web front door."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.web.app import create_app
from attrib.web.handlers import api_route

pytestmark = pytest.mark.integration

AUTH = {"Authorization": "Bearer test-admin-token"}


async def test_readyz_is_503_until_the_cache_is_loaded(
    isolated_settings: Settings, app_config_topic: str
) -> None:
    # No grace: not ready from the first failed broker probe (the default waits 15 s).
    isolated_settings = dataclasses.replace(isolated_settings, broker_unreachable_grace="0s")
    cache = AppConfigCache(isolated_settings)
    writer = AppRegistryWriter(isolated_settings, cache)
    app = create_app(isolated_settings, cache=cache, writer=writer)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/healthz")).status == 200
        response = await client.get("/readyz")
        assert response.status == 503
        answer = await response.json()
        assert answer["error"] == "not_ready"
        assert "loading" in answer["detail"]
        # Admin reads would be wrong before the load: refused, not 404.
        response = await client.get("/v1/apps/com.example", headers=AUTH)
        assert response.status == 503
        assert "Retry-After" in response.headers

        await cache.start()
        try:
            response = await client.get("/readyz")
            assert response.status == 200
            assert (await response.json())["status"] == "ready"
            assert (await client.get("/v1/apps/com.example", headers=AUTH)).status == 404
        finally:
            await cache.stop()
        # A stopped cache has no broker connection: not ready any more once the
        # background probe (every 0.2 s with no grace) has seen it.
        deadline = asyncio.get_running_loop().time() + 3
        while (response := await client.get("/readyz")).status == 200:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        assert response.status == 503
        assert "broker" in (await response.json())["detail"]


async def test_metrics_count_requests_by_route_and_status(client: TestClient) -> None:
    await client.get("/v1/apps/com.nothing", headers=AUTH)
    await client.get("/v1/apps/com.other", headers=AUTH)
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    line = next(
        row
        for row in text.splitlines()
        if row.startswith("attrib_collector_requests_total{")
        and 'route="/v1/apps/{app_id}"' in row
        and 'status="404"' in row
    )
    assert float(line.rsplit(" ", 1)[1]) >= 2
    assert "com.nothing" not in text  # route templates, never raw paths
    assert 'attrib_collector_request_seconds_bucket{le="0.005",route="/v1/apps/{app_id}"}' in text


async def test_an_unexpected_exception_is_a_json_500(
    isolated_settings: Settings, registry: tuple[AppConfigCache, AppRegistryWriter]
) -> None:
    cache, writer = registry
    app = create_app(isolated_settings, cache=cache, writer=writer)

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals")

    app.router.add_get("/boom", api_route(boom))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/boom")
        assert response.status == 500
        assert response.content_type == "application/json"
        answer = await response.json()
        assert answer["error"] == "internal_error"
        assert "secret internals" not in answer["detail"]


def test_request_metrics_expose_what_prometheus_client_would() -> None:
    """The plain-number request metrics give the samples of a Counter and a Histogram."""
    import re

    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

    from attrib.web.request_metrics import LATENCY_BUCKETS, RequestMetrics

    ours_registry, reference_registry = CollectorRegistry(), CollectorRegistry()
    ours = RequestMetrics(ours_registry)
    counter = Counter(
        "attrib_collector_requests_total",
        "HTTP requests answered by the collector, by route template, method and status",
        ["route", "method", "status"],
        registry=reference_registry,
    )
    histogram = Histogram(
        "attrib_collector_request_seconds",
        "HTTP request latency at the collector, by route template",
        ["route"],
        buckets=LATENCY_BUCKETS,
        registry=reference_registry,
    )
    observations = [
        ("/v1/click/{app_id}", "GET", 302, 0.0004),
        ("/v1/click/{app_id}", "GET", 302, 0.0025),  # on a bucket bound
        ("/v1/apps/{app_id}", "PUT", 404, 0.001),
        ("unmatched", "GET", 404, 20.0),  # above every bound
        ("/v1/click/{app_id}", "GET", 400, 0.0),
    ]
    for route, method, status, seconds in observations:
        cell, latency = ours.series(route, method, status)
        ours.observe(cell, latency, seconds)
        counter.labels(route, method, str(status)).inc()
        histogram.labels(route).observe(seconds)

    def without_creation_times(text: bytes) -> str:
        return re.sub(r"(?m)^(\S*_created\{.*\}) \S+$", r"\1 T", text.decode())

    assert without_creation_times(generate_latest(ours_registry)) == without_creation_times(
        generate_latest(reference_registry)
    )
