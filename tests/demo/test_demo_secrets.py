"""No secret of a full demo run reaches a log line, a metric, a dead letter or an error body.

The demo of tests/demo/test_demo_end_to_end.py (its own worker with the
ClickHouse sink, its own collector, real postback and push deliveries to the
loopback receiver) runs with known, unmistakable values of every secret the
platform holds: the admin token, the app's SDK key, the push endpoint's
signing secret, and the Kafka and ClickHouse passwords (set though unused:
the local broker is PLAINTEXT and the local endpoint ignores credentials, so
the stack keeps working). Requests that fail on purpose (wrong key, wrong
token, a refused configuration carrying a secret) add error bodies. Then every
log line of both processes, every dead letter of the run's topic, every error
body and both ``/metrics`` pages are scanned: none may hold any secret.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from attrib import topics
from attrib.analytics.clickhouse import connect
from attrib.demo import scenario
from attrib.demo.receiver import DemoReceiver
from attrib.demo.run import run
from attrib.settings import Settings
from tests.engine.harness import WorkerProcess, free_port
from tests.engine.test_end_to_end import wait_ready

pytestmark = pytest.mark.integration

ADMIN_TOKEN = "adm-tok-" + uuid.uuid4().hex
PUSH_SECRET = "push-sec-" + uuid.uuid4().hex
KAFKA_PASSWORD = "kafka-pw-" + uuid.uuid4().hex
CLICKHOUSE_PASSWORD = "ch-pw-" + uuid.uuid4().hex
APP = "demo-secrets"


def call(url: str, method: str = "GET", body: object = None, **headers: str) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def error_bodies(url: str, sdk_key: str) -> list[bytes]:
    """Answers of requests that fail on purpose, each carrying a secret where it should not."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
    sdk_body = {"event_id": "e-1", "device": {"advertising_id": "not-an-id"}}
    attempts = [
        # a secret sent as the wrong credential
        call(f"{url}/v1/sdk/{APP}/install", "POST", sdk_body, **{"X-Attrib-Key": ADMIN_TOKEN}),
        call(f"{url}/v1/apps/{APP}", Authorization=f"Bearer {sdk_key}"),
        call(f"{url}/v1/apps", Authorization=f"Bearer {PUSH_SECRET}"),
        # the right key, a body that is refused
        call(f"{url}/v1/sdk/{APP}/install", "POST", sdk_body, **{"X-Attrib-Key": sdk_key}),
        call(f"{url}/v1/s2s/{APP}/events", "POST", [sdk_body], **{"X-Attrib-Key": sdk_key}),
        # configurations refused for a field next to (or of) a secret
        call(
            f"{url}/v1/apps/{APP}-bad",
            "PUT",
            {
                "platform": "android",
                "store_url": "https://play.google.com/store/apps/details?id=x",
                "sdk_key": sdk_key,
                "push_endpoints": [{"url": "not a url", "secret": PUSH_SECRET}],
            },
            **admin,
        ),
        call(
            f"{url}/v1/apps/{APP}-bad",
            "PUT",
            {
                "platform": "android",
                "store_url": "https://play.google.com/store/apps/details?id=x",
                "push_endpoints": [{"url": "https://p.example/push", "secret": [PUSH_SECRET]}],
            },
            **admin,
        ),
        call(
            f"{url}/v1/apps/{APP}-bad",
            "PUT",
            {"platform": "android", "store_url": "x", "sdk_key": [sdk_key, ADMIN_TOKEN]},
            **admin,
        ),
    ]
    # every one refused (the S2S batch answers 200 with the item's 4xx in its results)
    statuses = [status for status, _ in attempts]
    assert all(400 <= status < 500 for i, status in enumerate(statuses) if i != 4), attempts
    assert statuses[4] == 200
    assert json.loads(attempts[4][1])["results"][0]["status"] == 400
    return [body for _, body in attempts]


def dead_letters(settings: Settings) -> list[bytes]:
    """Key, value and headers of every record on the run's dead-letter topic, as bytes."""
    topic = settings.topic(topics.DEAD_LETTER)
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": f"secrets-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        out: list[bytes] = []
        at_end: set[int] = set()
        while len(at_end) < len(partitions):
            message = consumer.poll(5)
            if message is None:
                break
            if message.error():
                at_end.add(message.partition())
                continue
            headers = b"".join(k.encode() + (v or b"") for k, v in message.headers() or [])
            out.append((message.key() or b"") + (message.value() or b"") + headers)
        return out
    finally:
        consumer.close()


def leaks(name: str, data: bytes, secrets: dict[str, str]) -> list[str]:
    return [
        f"{name}: {what}"
        for what, secret in secrets.items()
        if secret.encode() in data or secret.encode().hex().encode() in data
    ]


def test_a_demo_run_leaks_no_secret(
    isolated_settings: Settings, clickhouse_up: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = f"demo_secrets_{uuid.uuid4().hex[:8]}"
    s = dataclasses.replace(isolated_settings, clickhouse_database=database)
    secret_env = {
        "ATTRIB_ADMIN_TOKEN": ADMIN_TOKEN,
        "ATTRIB_KAFKA_SASL_USERNAME": "attrib",
        "ATTRIB_KAFKA_SASL_PASSWORD": KAFKA_PASSWORD,
        "ATTRIB_CLICKHOUSE_PASSWORD": CLICKHOUSE_PASSWORD,
    }
    worker = WorkerProcess(
        s, ATTRIB_WORKER_SINK="true", ATTRIB_CLICKHOUSE_DATABASE=database, **secret_env
    )
    worker.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(worker.env, ATTRIB_WORKER_URL=worker.url)
    collector_log = Path(s.data_dir) / "collector.log"
    log = open(collector_log, "wb")  # noqa: SIM115
    collector = subprocess.Popen(
        [sys.executable, "-m", "attrib.cli", "collector", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    monkeypatch.setattr(scenario, "DEMO_PUSH_SECRET", PUSH_SECRET)
    receiver = DemoReceiver(PUSH_SECRET)
    receiver.start()
    client = None
    try:
        wait_ready(url)
        client = connect(s)
        _, results = run(
            collector_url=url,
            admin_token=ADMIN_TOKEN,
            client=client,
            app_id=APP,
            progress=lambda _: None,
            done=lambda _: None,
            receiver=receiver,
        )
        # the run really used the secrets: pushes were signed with PUSH_SECRET and checked
        assert receiver.pushes, receiver.summary()
        assert receiver.bad_signatures == 0
        assert results["postbacks"].as_dicts()
        status, stored = call(f"{url}/v1/apps/{APP}", Authorization=f"Bearer {ADMIN_TOKEN}")
        assert status == 200
        sdk_key = json.loads(stored)["sdk_key"]
        secrets = {
            "admin token": ADMIN_TOKEN,
            "sdk key": sdk_key,
            "push secret": PUSH_SECRET,
            "kafka password": KAFKA_PASSWORD,
            "clickhouse password": CLICKHOUSE_PASSWORD,
        }
        # the scan finds a secret where one belongs (the admin API's own answer)
        assert leaks("stored configuration", stored, secrets) == [
            "stored configuration: sdk key",
            "stored configuration: push secret",
        ]
        scanned: dict[str, bytes] = {}
        for i, body in enumerate(error_bodies(url, sdk_key)):
            scanned[f"error body {i}"] = body
        for name, base in (("collector", url), ("worker", worker.url)):
            status, metrics = call(f"{base}/metrics")
            assert status == 200
            assert b"# TYPE" in metrics
            scanned[f"{name} /metrics"] = metrics
        for i, letter in enumerate(dead_letters(s)):
            scanned[f"dead letter {i}"] = letter
    finally:
        receiver.stop()
        if client is not None:
            client.command(f"DROP DATABASE IF EXISTS {database}")
            client.close()
        collector.send_signal(signal.SIGTERM)
        collector.wait(timeout=30)
        log.close()
        worker.stop()
    logs = {"collector log": collector_log.read_bytes(), "worker log": worker.log_path.read_bytes()}
    assert logs["collector log"].strip()
    assert logs["worker log"].strip()
    for name, data in logs.items():
        for n, line in enumerate(data.splitlines(), 1):
            scanned[f"{name} line {n}"] = line
    found = [leak for name, data in scanned.items() for leak in leaks(name, data, secrets)]
    assert not found, found
