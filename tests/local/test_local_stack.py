"""``attrib local up | status | down`` against a second, private Kafka broker.

The shared broker of the test run stays untouched: this test runs the CLI
with its own data folder and ports, so it can stop and restart its broker.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.engine.harness import two_free_ports

pytestmark = pytest.mark.integration


def _attrib(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "attrib.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def test_up_status_down_up_keeps_topics(tmp_path: Path, kafka_up) -> None:
    port = two_free_ports()
    env = dict(os.environ)
    env.update(
        ATTRIB_DATA_DIR=str(tmp_path / "stack"),
        ATTRIB_KAFKA_BOOTSTRAP=f"127.0.0.1:{port}",
        ATTRIB_TOPIC_PREFIX="lt.",
    )
    try:
        first = _attrib(env, "local", "up", "--only", "kafka")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "kafka      ready" in first.stdout
        assert f"127.0.0.1:{port}" in first.stdout
        topics = asyncio.run(_topics(f"127.0.0.1:{port}"))
        assert {
            "lt.clicks",
            "lt.installs",
            "lt.app-config",
            "lt.attributions",
            "lt.dead-letter",
        } <= topics

        again = _attrib(env, "local", "up", "--only", "kafka")  # idempotent
        assert again.returncode == 0, again.stdout + again.stderr

        status = _attrib(env, "local", "status")
        assert "kafka      ready" in status.stdout
        assert "clickhouse stopped" in status.stdout
        assert status.returncode == 3  # not everything is up

        down = _attrib(env, "local", "down", "--only", "kafka")
        assert "kafka      stopped" in down.stdout
        assert "kafka      stopped" in _attrib(env, "local", "status").stdout

        back = _attrib(env, "local", "up", "--only", "kafka")
        assert back.returncode == 0, back.stdout + back.stderr
        assert "created" not in back.stdout  # every topic survived down/up
        assert topics <= asyncio.run(_topics(f"127.0.0.1:{port}"))
    finally:
        _attrib(env, "local", "down")
    # the shared broker was never touched
    assert kafka_up.kafka_bootstrap != f"127.0.0.1:{port}"


def test_up_refuses_a_port_it_does_not_own(tmp_path: Path, kafka_up) -> None:
    env = dict(os.environ)
    env.update(
        ATTRIB_DATA_DIR=str(tmp_path / "other"), ATTRIB_KAFKA_BOOTSTRAP=kafka_up.kafka_bootstrap
    )
    result = _attrib(env, "local", "up", "--only", "kafka", timeout=60)
    assert result.returncode == 1
    assert "taken by a process this stack did not start" in result.stdout


def test_unknown_component_is_a_usage_error(tmp_path: Path) -> None:
    env = dict(os.environ, ATTRIB_DATA_DIR=str(tmp_path))
    result = _attrib(env, "local", "up", "--only", "zookeeper")
    assert result.returncode == 2
    assert "unknown component" in result.stderr


def test_clickhouse_tables_survive_down_and_up(tmp_path: Path) -> None:
    import clickhouse_connect

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ)
    env.update(
        ATTRIB_DATA_DIR=str(tmp_path / "stack"),
        ATTRIB_CLICKHOUSE_URL=f"http://127.0.0.1:{port}",
        ATTRIB_CLICKHOUSE_DATABASE="keepme",
    )
    try:
        up = _attrib(env, "local", "up", "--only", "clickhouse")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "clickhouse ready" in up.stdout
        client = clickhouse_connect.get_client(host="127.0.0.1", port=port)
        client.command("CREATE TABLE keepme.t (x UInt64) ENGINE = MergeTree ORDER BY x")
        client.insert("keepme.t", [[1], [2], [3]], column_names=["x"])
        client.close()

        assert "clickhouse stopped" in _attrib(env, "local", "down", "--only", "clickhouse").stdout
        again = _attrib(env, "local", "up", "--only", "clickhouse")
        assert again.returncode == 0, again.stdout + again.stderr
        client = clickhouse_connect.get_client(host="127.0.0.1", port=port)
        assert client.command("SELECT sum(x) FROM keepme.t") == 6
        client.close()
    finally:
        _attrib(env, "local", "down")
