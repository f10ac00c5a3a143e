"""Through the real engine: the worker's delivery stage posts a decision once (R26, R32).

A real worker process (``ATTRIB_WORKER_DELIVER`` on, its default) decides a
click and an install sent twice with the same ``event_id``; the network's
receiver gets one install postback and the advertiser one push.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from tests.delivery.broker import delivery_settings, register, wait_deliveries
from tests.delivery.receivers import wait_for
from tests.delivery.records import SECRET
from tests.engine.harness import (
    WorkerProcess,
    install_record,
    metric_value,
    now_ms,
    produce_installs,
    produce_touches,
    touch_record,
    wait_indexed,
)

pytestmark = pytest.mark.integration

APP = "com.example.e2e.deliver"


async def test_repeated_install_event_is_posted_once(isolated_settings, receivers) -> None:
    settings = delivery_settings(isolated_settings)
    network = await receivers()
    advertiser = await receivers(secret=SECRET)
    await register(
        settings,
        APP,
        {
            "postbacks": [
                {
                    "media_source": "netA",
                    "install_url": network.url("/i?c={clickid}&id={delivery_id}"),
                }
            ],
            "push_endpoints": [{"url": advertiser.url("/push"), "secret": SECRET}],
        },
    )
    worker = WorkerProcess(
        settings,
        decision_delay="500ms",
        ATTRIB_WORKER_DELIVER="true",
        ATTRIB_DELIVERY_RETRY_SCHEDULE=settings.delivery_retry_schedule,
    )
    await asyncio.to_thread(worker.start)
    try:
        ids = {"advertising_id": str(uuid.uuid4())}
        t0 = now_ms() - 10_000
        await produce_touches(settings, [touch_record(APP, touch_time=t0 - 60_000, ids=ids)])
        await asyncio.to_thread(wait_indexed, worker, 1)
        install = install_record(APP, install_time=t0, ids=ids)
        await produce_installs(settings, [install, dict(install)])  # the same event_id twice
        await wait_for(lambda: network.seen and advertiser.seen, within=60, what="deliveries")
        await asyncio.sleep(3.0)  # time for a second decision's deliveries, were there one
        found = await wait_deliveries(settings, 2)
        delivered = metric_value(
            worker, "attrib_postback_attempts_total", 'kind="install",status="delivered"'
        )
        latency_count = metric_value(worker, "attrib_postback_latency_seconds_count", 'kind="push"')
    finally:
        await asyncio.to_thread(worker.stop)
    assert len(network.seen) == 1, worker.log_tail()
    assert len(advertiser.seen) == 1
    assert network.seen[0].query == {"c": "nc-1", "id": network.seen[0].delivery_id}
    body = json.loads(advertiser.seen[0].body)
    assert body["event_name"] == "install"
    assert body["media_source"] == "netA"
    assert advertiser.bad_signatures == 0
    assert delivered == 1  # the worker's /metrics
    assert latency_count == 1
    assert sorted((r["kind"], r["status"]) for r in found) == [
        ("install", "delivered"),
        ("push", "delivered"),
    ]
