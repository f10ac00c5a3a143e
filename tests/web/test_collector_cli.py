"""`attrib collector` as a subprocess, driven by `attrib apps put/get/list`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from attrib.settings import Settings

pytestmark = pytest.mark.integration

ATTRIB = str(Path(sys.executable).parent / "attrib")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIB_")}
    env.update(
        ATTRIB_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        ATTRIB_TOPIC_PREFIX=settings.topic_prefix,
        ATTRIB_ADMIN_TOKEN=settings.admin_token.reveal(),
        ATTRIB_DATA_DIR=settings.data_dir,
    )
    env.update(extra)
    return env


def wait_ready(url: str, within_s: float = 60.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"collector at {url} not ready within {within_s}s")


@pytest.fixture
def collector(isolated_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """A collector subprocess on a free port (it creates its app-config topic itself)."""
    port = free_port()
    log = open(tmp_path / "collector.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [ATTRIB, "collector", "--port", str(port)],
        env=env_for(isolated_settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        yield url
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, (tmp_path / "collector.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def attrib(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ATTRIB, *args],
        env=env_for(settings, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_apps_put_get_list_against_a_collector_process(
    isolated_settings: Settings, collector: str, tmp_path: Path
) -> None:
    app_file = tmp_path / "app.json"
    app_file.write_text(
        json.dumps(
            {
                "app_id": "com.example.cli",
                "platform": "ios",
                "store_url": "https://apps.apple.com/app/id123",
                "fraud": {"min_ctit": "5s"},
            }
        )
    )
    put = attrib(isolated_settings, "apps", "--url", collector, "put", str(app_file))
    assert put.returncode == 0, put.stderr
    stored = json.loads(put.stdout)
    assert stored["app_id"] == "com.example.cli"
    assert stored["fraud"]["min_ctit"] == "5s"
    assert stored["attribution"]["click_lookback"] == "7d"
    assert stored["sdk_key"]

    got = attrib(isolated_settings, "apps", "--url", collector, "get", "com.example.cli")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout) == stored

    other = attrib(
        isolated_settings, "apps", "--url", collector, "put", "--app-id", "com.other", str(app_file)
    )
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout)["app_id"] == "com.other"

    listed = attrib(isolated_settings, "apps", "--url", collector, "list")
    assert listed.returncode == 0, listed.stderr
    assert [a["app_id"] for a in json.loads(listed.stdout)["apps"]] == [
        "com.example.cli",
        "com.other",
    ]

    missing = attrib(isolated_settings, "apps", "--url", collector, "get", "com.nothing")
    assert missing.returncode == 1
    assert "404" in missing.stderr
    assert "not_found" in missing.stderr
    assert missing.stdout == ""

    app_file.write_text(json.dumps({"app_id": "com.bad", "platform": "ios", "store_url": "x"}))
    invalid = attrib(isolated_settings, "apps", "--url", collector, "put", str(app_file))
    assert invalid.returncode == 1
    assert "store_url" in invalid.stderr

    denied = attrib(
        isolated_settings, "apps", "--url", collector, "list", ATTRIB_ADMIN_TOKEN="wrong"
    )
    assert denied.returncode == 1
    assert "401" in denied.stderr


def test_apps_cli_reports_an_unreachable_collector(isolated_settings: Settings) -> None:
    result = attrib(isolated_settings, "apps", "--url", f"http://127.0.0.1:{free_port()}", "list")
    assert result.returncode == 1
    assert "cannot reach" in result.stderr


def test_the_collector_logs_json_lines(isolated_settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "collector.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [ATTRIB, "collector", "--port", str(port)],
            env=env_for(isolated_settings, ATTRIB_LOG_LEVEL="info"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_ready(f"http://127.0.0.1:{port}")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    lines = [line for line in log_path.read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]  # every log line is one JSON object
    assert records, log_path.read_text()
    assert all({"ts", "level", "logger", "msg"} <= record.keys() for record in records)
    assert any(
        record["logger"] == "attrib.collector.producer" and "connected" in record["msg"]
        for record in records
    ), lines
