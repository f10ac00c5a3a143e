"""R23 by referrer, end to end on the real broker: click → deep-linked session → re-engagement.

A retargeting network whose clicks carry no device id (a deep link in an
e-mail, a web banner) can only be credited through the link that opened the
app: the collector reads ``attrib_touch_id`` out of the session's
``deep_link`` (Session v2) and the worker matches the click by ``referrer``.
Everything here goes through the real collector (in process) and a real
``attrib worker`` process.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from attrib.collector.context import PRODUCER
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.web.app import create_app
from tests.engine.harness import (
    ANDROID_APP,
    WorkerProcess,
    now_ms,
    read_records,
    setup_deployment,
    wait_indexed,
    wait_metric,
)

pytestmark = pytest.mark.integration

APP = "com.example.deeplink"
SDK_KEY = "sdk-key-deeplink-0123456789"
DAY = 86_400_000


@pytest.fixture
async def collector(isolated_settings: Settings) -> AsyncIterator[TestClient]:
    await setup_deployment(isolated_settings, APP, {**ANDROID_APP, "sdk_key": SDK_KEY})
    cache = AppConfigCache(isolated_settings)
    writer = AppRegistryWriter(isolated_settings, cache)
    await cache.start()
    await writer.start()
    client = TestClient(TestServer(create_app(isolated_settings, cache=cache, writer=writer)))
    await client.start_server()
    await asyncio.wait_for(client.app[PRODUCER].wait_connected(), 20)
    assert cache.get(APP) is not None  # the cache starts once it has read the registry
    try:
        yield client
    finally:
        await client.close()
        await writer.stop()
        await cache.stop()


async def _sdk(client: TestClient, kind: str, body: dict[str, Any]) -> None:
    response = await client.post(
        f"/v1/sdk/{APP}/{kind}", json=body, headers={"X-Attrib-Key": SDK_KEY}
    )
    assert response.status == 202, await response.text()


async def _click(client: TestClient, **params: str) -> str:
    response = await client.get(
        f"/v1/click/{APP}", params={"redirect": "false", "is_retargeting": "true", **params}
    )
    assert response.status == 200, await response.text()
    return str((await response.json())["touch_id"])


async def test_a_session_opened_by_a_retargeting_link_re_engages_by_referrer(
    collector: TestClient, isolated_settings: Settings
) -> None:
    s = isolated_settings
    t = now_ms()
    linked, plain = str(uuid.uuid4()), str(uuid.uuid4())
    worker = WorkerProcess(s, decision_delay="0s")
    worker.start()
    try:
        for gaid in (linked, plain):
            install = {"event_id": str(uuid.uuid4()), "timestamp": t - 10 * DAY}
            await _sdk(collector, "install", {**install, "device": {"advertising_id": gaid}})
        decided = await read_records(s, "attributions", expect=2, within=60)
        assert len(decided) == 2, worker.log_tail()

        # Two retargeting clicks without any device id: only a link can name them.
        named = await _click(collector, pid="mailnet", c="winback")
        await _click(collector, pid="othernet", c="winback")
        wait_indexed(worker, 2)  # one referrer entry each, before the sessions arrive

        session = {"event_id": str(uuid.uuid4()), "timestamp": now_ms()}
        await _sdk(
            collector,
            "session",
            {
                **session,
                "device": {"advertising_id": linked},
                "deep_link": f"mygame://offer?attrib_touch_id={named}&pid=mailnet",
            },
        )
        # The same device's ids without a link: no click names it, no id matches.
        await _sdk(
            collector,
            "session",
            {
                "event_id": str(uuid.uuid4()),
                "timestamp": now_ms(),
                "device": {"advertising_id": plain},
                "deep_link": "mygame://offer?utm_source=mail",
            },
        )
        wait_metric(worker, "attrib_sessions_decided_total", 1, 'outcome="reengagement"')
        wait_metric(worker, "attrib_sessions_decided_total", 1, 'outcome="session"')
        found = await read_records(s, "reengagements", expect=2, within=3)
        assert len(found) == 1, found
        [reengagement] = found
        assert reengagement["device_key"] == f"advertising_id:{linked}"
        assert reengagement["touch_id"] == named
        assert reengagement["session_event_id"] == session["event_id"]
        assert (reengagement["match_type"], reengagement["media_source"]) == (
            "referrer",
            "mailnet",
        )
    finally:
        worker.stop()
