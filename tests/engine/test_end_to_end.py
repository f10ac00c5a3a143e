"""End to end over HTTP: a click, an install, and the SDK asking who brought the user.

A real collector and a real worker, both as processes on the real broker:
``GET /v1/click`` → ``POST /v1/sdk/install`` → ``GET conversion-data`` at the
collector answers within 1 s of the decision (R37).
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from tests.engine.harness import WorkerProcess, free_port, now_ms, read_records

pytestmark = pytest.mark.integration

APP = "com.example.e2e"
UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile"


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def wait_ready(url: str, within: float = 90) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready")


def test_click_install_conversion_data_over_http(isolated_settings) -> None:
    s = isolated_settings
    worker = WorkerProcess(s, decision_delay="1s", ATTRIB_ADMIN_TOKEN="e2e-token")
    worker.start()
    port = free_port()
    collector_url = f"http://127.0.0.1:{port}"
    env = dict(worker.env, ATTRIB_WORKER_URL=worker.url)
    log = open(f"{s.data_dir}/collector.log", "wb")  # noqa: SIM115
    collector = subprocess.Popen(
        [sys.executable, "-m", "attrib.cli", "collector", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(collector_url)
        status, config = call(
            "PUT",
            f"{collector_url}/v1/apps/{APP}",
            {
                "platform": "android",
                "store_url": "https://play.google.com/store/apps/details?id=com.example.e2e",
            },
            {"Authorization": "Bearer e2e-token"},
        )
        assert status == 200, config
        sdk = {"X-Attrib-Key": config["sdk_key"]}
        gaid = str(uuid.uuid4())
        t_click = now_ms() - 60_000
        status, touch = call(
            "GET",
            f"{collector_url}/v1/click/{APP}?pid=netA&c=launch&advertising_id={gaid}"
            f"&redirect=false&ts={t_click}",
            headers={"User-Agent": UA},
        )
        assert status == 200, touch
        time.sleep(1.0)  # give the worker a moment to see its first app configuration
        status, body = call(
            "POST",
            f"{collector_url}/v1/sdk/{APP}/install",
            {
                "event_id": str(uuid.uuid4()),
                "timestamp": now_ms(),
                "device": {"advertising_id": gaid},
                "platform": "android",
                "os_version": "14",
            },
            sdk,
        )
        assert status == 202, body
        status, answer = call(
            "GET", f"{collector_url}/v1/sdk/{APP}/conversion-data?device_id={gaid}", headers=sdk
        )
        assert status == 404  # nothing decided yet: the install waits decision_delay

        [decision] = asyncio.run(read_records(s, "attributions", expect=1))
        answered_at = None
        while now_ms() - decision["decided_time"] < 3_000:
            status, answer = call(
                "GET",
                f"{collector_url}/v1/sdk/{APP}/conversion-data?device_id={gaid}",
                headers=sdk,
            )
            if status == 200:
                answered_at = now_ms()
                break
            time.sleep(0.05)
        assert answered_at is not None, worker.log_tail()
        assert answered_at - decision["decided_time"] <= 1_000
        assert answer["media_source"] == "netA"
        assert answer["campaign"] == "launch"
        assert answer["match_type"] == "id"
        assert answer["touch_type"] == "click"
        assert answer["status"] == "non_organic"
        assert answer["is_first_launch"] is True
        assert decision["touch_id"] == touch["touch_id"]

        status, _ = call(
            "GET",
            f"{collector_url}/v1/sdk/{APP}/conversion-data?device_id={gaid}",
            headers={"X-Attrib-Key": "wrong"},
        )
        assert status == 401
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.wait(timeout=30)
        log.close()
        worker.stop()
