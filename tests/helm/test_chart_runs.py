"""The chart runs what it says: each rendered role started locally with exactly its
rendered command, arguments and environment, answering its rendered probes.

The chart is rendered with values pointing at the local stack (broker,
ClickHouse endpoint, a fresh topic prefix, Faust app id and database, free
ports, one worker over two partitions, the sink as its own role). What the
cluster itself would fill in is substituted: secrets from the rendered
Secret, the pod's name and IP, the data folder (a volume mount in the pod),
and the worker Service's address. Then every readiness and liveness probe
must answer 200 on its port and path; an install sent through the collector
with the admin token of the Secret is consumed by the worker, whose
``/metrics`` then shows its consumer lag.

This catches wrong commands, env names or values, ports and probe paths.
"""

from __future__ import annotations

import base64
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attrib.settings import Settings
from tests.helm.chart import find, render

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
APP_ID = "com.example.chart"
SDK_KEY = "sdk-key-chart-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def _environment(
    container: dict[str, Any], secrets: dict[str, dict[str, str]], pod: dict[str, str]
) -> dict[str, str]:
    """The container's environment as the kubelet would build it."""
    env: dict[str, str] = {}
    for item in container["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        source = item["valueFrom"]
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            env[item["name"]] = secrets[ref["name"]][ref["key"]]
        elif "fieldRef" in source:
            env[item["name"]] = pod[source["fieldRef"]["fieldPath"]]
        else:
            raise AssertionError(f"cannot resolve {item}")
    return env


def _probe_urls(container: dict[str, Any]) -> list[str]:
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    urls = []
    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = container.get(kind)
        if probe:
            get = probe["httpGet"]
            port = ports.get(get["port"], get["port"])
            urls.append(f"http://127.0.0.1:{port}{get['path']}")
    return urls


class Role:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def alive(self) -> None:
        assert self.proc is not None
        assert self.proc.poll() is None, f"{self.name} exited: {self.log.read_text()[-3000:]}"

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


@pytest.fixture
def rendered(kafka_up: Settings, clickhouse_up: Settings) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    ports = {"collector": _free_port(), "worker": _free_port(), "sink": _free_port()}
    sets: dict[str, object] = {
        "kafka.bootstrap": kafka_up.kafka_bootstrap,
        "clickhouse.url": clickhouse_up.clickhouse_url,
        "clickhouse.database": f"chart_{tag}",
        "topics.prefix": f"t{tag}.",
        "topics.partitions": 2,
        "topics.replication": 1,
        "settings.faustAppId": f"attrib-chart-{tag}",
        "settings.trustedS2sCidrs": "127.0.0.0/8",
        "worker.replicas": 1,
        "collector.port": ports["collector"],
        "worker.port": ports["worker"],
        "sink.enabled": True,
        "sink.metricsPort": ports["sink"],
    }
    return {"manifests": render(sets=sets), "tag": tag, "ports": ports}


@pytest.fixture
def roles(rendered: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, Role]]:
    manifests = rendered["manifests"]
    secrets = {
        doc["metadata"]["name"]: {k: base64.b64decode(v).decode() for k, v in doc["data"].items()}
        for doc in manifests
        if doc["kind"] == "Secret"
    }
    workloads = {
        "collector": find(manifests, "Deployment", "collector"),
        "worker": find(manifests, "StatefulSet", "worker"),
        "sink": find(manifests, "Deployment", "sink"),
    }
    base = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    started: dict[str, Role] = {}
    for name, workload in workloads.items():
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        pod = {"metadata.name": f"{workload['metadata']['name']}-0", "status.podIP": "127.0.0.1"}
        env = _environment(container, secrets, pod)
        data_dir = tmp_path / name
        data_dir.mkdir()
        # In the pod a volume is mounted there; here a folder of the test.
        assert env["ATTRIB_DATA_DIR"] in {m["mountPath"] for m in container["volumeMounts"]}
        env["ATTRIB_DATA_DIR"] = str(data_dir)
        # The worker Service's DNS name: here the one worker's address.
        assert env["ATTRIB_WORKER_URL"].endswith(f":{rendered['ports']['worker']}")
        env["ATTRIB_WORKER_URL"] = f"http://127.0.0.1:{rendered['ports']['worker']}"
        argv = container["command"] + container["args"]
        role = Role(name, argv, {**base, **env}, tmp_path / f"{name}.log")
        role.container = container  # type: ignore[attr-defined]
        started[name] = role
    try:
        for role in started.values():
            role.start()
        yield started
    finally:
        codes = {name: role.stop() for name, role in started.items()}
        _cleanup(rendered)
    assert codes["collector"] == 0, started["collector"].log.read_text()[-2000:]


def _cleanup(rendered: dict[str, Any]) -> None:
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    from attrib.analytics.clickhouse import connect
    from attrib.settings import load_settings

    settings = load_settings()
    tag = rendered["tag"]

    async def drop_topics() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        await admin.start()
        try:
            mine = [t for t in await admin.list_topics() if tag in t]
            if mine:
                await admin.delete_topics(mine)
        finally:
            await admin.close()

    asyncio.run(drop_topics())
    client = connect(settings, database="")
    try:
        client.command(f"DROP DATABASE IF EXISTS chart_{tag}")
    finally:
        client.close()


def _wait_200(role: Role, url: str, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    status, body = 0, b""
    while time.monotonic() < deadline:
        role.alive()
        status, body = _http("GET", url)
        if status == 200:
            return
        time.sleep(0.5)
    raise AssertionError(
        f"{role.name}: {url} answered {status} {body[:300]!r}\n{role.log.read_text()[-3000:]}"
    )


def test_rendered_roles_run_and_answer_their_probes(
    roles: dict[str, Role], rendered: dict[str, Any]
) -> None:
    for role in roles.values():
        urls = _probe_urls(role.container)  # type: ignore[attr-defined]
        assert urls, role.name
        for url in urls:
            _wait_200(role, url, within_s=120)

    # The admin token of the rendered Secret opens the admin API of the collector.
    collector = f"http://127.0.0.1:{rendered['ports']['collector']}"
    token = roles["collector"].env["ATTRIB_ADMIN_TOKEN"]
    app = {
        "platform": "android",
        "store_url": f"https://play.google.com/store/apps/details?id={APP_ID}",
        "sdk_key": SDK_KEY,
    }
    status, body = _http(
        "PUT", f"{collector}/v1/apps/{APP_ID}", app, {"Authorization": f"Bearer {token}"}
    )
    assert status in (200, 201), body
    status, body = _http(
        "GET", f"{collector}/v1/apps/{APP_ID}", headers={"Authorization": "Bearer wrong"}
    )
    assert status == 401

    # An install goes through the collector; the worker consumes it and exports its lag.
    install = {
        "event_id": "chart-install-1",
        "device": {"advertising_id": "38400000-8cf0-11bd-b23e-10b96e40000d"},
    }
    deadline = time.monotonic() + 30
    while True:  # the worker's cache may learn the app a moment after the PUT
        status, body = _http(
            "POST", f"{collector}/v1/sdk/{APP_ID}/install", install, {"X-Attrib-Key": SDK_KEY}
        )
        if status == 202 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 202, body
    worker_metrics = f"http://127.0.0.1:{rendered['ports']['worker']}/metrics"
    installs_topic = f"t{rendered['tag']}.installs"
    deadline = time.monotonic() + 60
    lag_lines: list[str] = []
    agent_lines: list[str] = []
    while time.monotonic() < deadline:
        roles["worker"].alive()
        _, text = _http("GET", worker_metrics)
        every = [ln for ln in text.decode().splitlines() if ln.startswith("attrib_consumer_lag{")]
        lag_lines = [line for line in every if f'topic="{installs_topic}"' in line]
        # The install's envelope went on to an agent's topic: Faust's consumer lag.
        agent_lines = [line for line in every if 'source="faust"' in line]
        if lag_lines and agent_lines:
            break
        time.sleep(1)
    assert agent_lines, "the worker exported no consumer lag of its Faust agents"
    assert lag_lines, "the worker exported no consumer lag for the installs topic"
    # The input topics are read by the engine's bulk intake consumer.
    assert all('source="intake"' in line for line in lag_lines)
    assert all(float(line.rsplit(" ", 1)[1]) >= 0 for line in lag_lines)
    # Its readiness names the broker check, which passes.
    _, body = _http("GET", f"http://127.0.0.1:{rendered['ports']['worker']}/readyz")
    assert json.loads(body)["checks"]["broker"]["ok"] is True
    # And the collector's /metrics serve the broker gauge at 0.
    _, text = _http("GET", f"{collector}/metrics")
    assert "attrib_broker_unreachable_seconds 0.0" in text.decode()
