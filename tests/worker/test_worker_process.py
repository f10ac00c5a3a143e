"""``attrib worker`` as Kubernetes runs it: readiness, health, metrics, graceful stop."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from attrib.kafka.client import ensure_topics
from attrib.topics import topic_specs

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_worker_ready_only_after_app_config_loaded(isolated_settings) -> None:
    """Not ready while app-config cannot be read; ready once it can; stops on SIGTERM."""
    port = _free_port()
    env = dict(os.environ)
    env.update(
        ATTRIB_KAFKA_BOOTSTRAP=isolated_settings.kafka_bootstrap,
        ATTRIB_TOPIC_PREFIX=isolated_settings.topic_prefix,
        ATTRIB_FAUST_APP_ID=isolated_settings.faust_app_id,
        ATTRIB_DATA_DIR=isolated_settings.data_dir,
        ATTRIB_TOPIC_PARTITIONS=str(isolated_settings.topic_partitions),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "attrib.cli", "worker", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # The topics do not exist yet: the worker runs but must not report ready.
        deadline = time.monotonic() + 60
        status, body = 0, b""
        while time.monotonic() < deadline and status == 0:
            assert proc.poll() is None
            try:
                status, body = _get(f"http://127.0.0.1:{port}/readyz")
            except OSError:
                time.sleep(0.5)
        assert status == 503, body
        assert json.loads(body)["checks"]["app_config"]["ok"] is False

        asyncio.run(ensure_topics(isolated_settings, topic_specs(isolated_settings)))
        deadline = time.monotonic() + 90
        status, body = 0, b""
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                status, body = _get(f"http://127.0.0.1:{port}/readyz")
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, body
        report = json.loads(body)
        assert report["status"] == "ready"
        assert report["checks"]["tables"]["ok"] is True
        assert report["checks"]["app_config"]["ok"] is True

        assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        status, metrics = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert b"# TYPE" in metrics

        proc.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        output = proc.communicate(timeout=60)[0].decode(errors="replace")
        # A graceful stop: exit status 0 (a crash or a kill is not), within the grace period.
        assert proc.returncode == 0, output[-3000:]
        assert time.monotonic() - stopping < 60
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
