"""Metrics and readiness of the collector."""

from __future__ import annotations

import time

import pytest
from aiohttp.test_utils import TestClient

from attrib.collector.producer import BrokerUnavailable, RecordProducer
from attrib.settings import load_settings

from .conftest import ANDROID_APP, SDK_KEY


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text ``text`` (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.integration
async def test_metrics_count_records_requests_and_latency(client: TestClient) -> None:
    before = await (await client.get("/metrics")).text()
    await client.get(f"/v1/click/{ANDROID_APP}", params={"pid": "n"}, allow_redirects=False)
    await client.get(f"/v1/click/{ANDROID_APP}", params={"pid": ""}, allow_redirects=False)
    await client.post(
        f"/v1/sdk/{ANDROID_APP}/session",
        json={"event_id": "s", "device": {"oaid": "oa-1"}},
        headers={"X-Attrib-Key": SDK_KEY},
    )
    after = await (await client.get("/metrics")).text()
    produced = "attrib_collector_records_produced_total"
    requests = "attrib_collector_requests_total"
    assert metric(after, produced, topic="clicks") - metric(before, produced, topic="clicks") == 1
    assert (
        metric(after, produced, topic="sessions") - metric(before, produced, topic="sessions") == 1
    )
    route = "/v1/click/{app_id}"
    for status in ("302", "400"):
        assert (
            metric(after, requests, route=route, status=status)
            - metric(before, requests, route=route, status=status)
            == 1
        )
    assert metric(after, "attrib_collector_request_seconds_count", route=route) >= 2
    assert 'attrib_collector_produce_errors_total{reason="timeout",topic="clicks"}' in after


@pytest.mark.integration
async def test_readyz_is_200_once_the_producer_is_connected(client: TestClient) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
    assert (await response.json())["status"] == "ready"


async def test_an_unconnected_producer_is_not_ready_and_refuses_at_once() -> None:
    producer = RecordProducer(load_settings(env={}))
    ok, detail = producer.readiness()
    assert not ok
    assert "not connected" in detail
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable) as caught:
        await producer.produce("installs", b"k", b"v")
    assert time.monotonic() - started < 0.1
    assert caught.value.status == 503
    assert caught.value.headers == {"Retry-After": "5"}
    with pytest.raises(BrokerUnavailable):
        await producer.produce_many([("clicks", b"k", b"v"), ("clicks", b"k2", b"v")])
    await producer.produce_many([])  # nothing to write is not an error
