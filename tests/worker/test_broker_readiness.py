"""A worker's ``/readyz`` when its broker goes away: 503 once the broker has been
unreachable for ``ATTRIB_BROKER_UNREACHABLE_GRACE``, 200 again by itself when it returns.

Runs a private single-node broker (attrib.local.kafka) on free ports, so that
stopping it disturbs no other test; jars of the local stack are reused.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from attrib.local.kafka import KafkaBroker
from attrib.settings import Settings
from tests.engine.harness import free_port, two_free_ports

pytestmark = pytest.mark.integration

STACK_LIBS = Path(__file__).resolve().parents[2] / ".attrib" / "kafka"
GRACE_S = 4


def _readyz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return 0, {}


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    broker = KafkaBroker(root=tmp_path / "kafka", port=two_free_ports())
    broker.root.mkdir(parents=True)
    stack_libs = STACK_LIBS / broker.libs.name
    if stack_libs.is_dir():
        broker.libs.symlink_to(stack_libs, target_is_directory=True)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def _wait(
    port: int, status: int, within_s: float, proc: subprocess.Popen[bytes], log: Path
) -> dict:
    deadline = time.monotonic() + within_s
    got, body = 0, {}
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        got, body = _readyz(port)
        if got == status:
            return body
        time.sleep(0.25)
    raise AssertionError(f"/readyz stayed {got} {body}, wanted {status}\n{log.read_text()[-3000:]}")


def test_worker_unready_after_the_grace_and_ready_again_when_the_broker_returns(
    isolated_settings: Settings, private_broker: KafkaBroker, tmp_path: Path
) -> None:
    port = free_port()
    env = dict(os.environ)
    env.update(
        ATTRIB_KAFKA_BOOTSTRAP=private_broker.bootstrap,
        ATTRIB_TOPIC_PREFIX=isolated_settings.topic_prefix,
        ATTRIB_FAUST_APP_ID=isolated_settings.faust_app_id,
        ATTRIB_DATA_DIR=isolated_settings.data_dir,
        ATTRIB_TOPIC_PARTITIONS="1",
        ATTRIB_WORKER_SINK="false",
        ATTRIB_BROKER_UNREACHABLE_GRACE=f"{GRACE_S}s",
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "attrib.cli", "worker", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        body = _wait(port, 200, 120, proc, log)
        assert body["checks"]["broker"]["ok"] is True

        private_broker.stop()
        stopped = time.monotonic()
        # Still ready within the grace (a broker restart must not unready every pod)...
        status, body = _readyz(port)
        assert status == 200 or time.monotonic() - stopped >= GRACE_S, body
        # ...503 once it has lasted the grace: within grace + a probe timeout + an interval.
        body = _wait(port, 503, GRACE_S + 3 + 2 + 5, proc, log)
        assert time.monotonic() - stopped >= GRACE_S - 0.5
        assert body["checks"]["broker"]["ok"] is False
        assert "unreachable" in body["checks"]["broker"]["detail"]

        private_broker.start()
        body = _wait(port, 200, 120, proc, log)
        assert body["checks"]["broker"]["ok"] is True
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
