"""A real worker process on the real broker, and records to feed it.

``WorkerProcess`` runs ``attrib worker`` as Kubernetes would, with the
isolated settings of one test (its own topics, consumer group, RocksDB
folder); tests produce Avro records to the input topics and read the
decisions from ``attributions``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition

from attrib.avro import codec
from attrib.config import validate_app_config
from attrib.identifiers import device_key, normalise_identifiers
from attrib.kafka.client import ensure_topics, make_consumer, make_producer
from attrib.keys import device_record_key, touch_record_key
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.topics import topic_specs

ANDROID_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def two_free_ports() -> int:
    """A port p with p + 1 free too (a private broker's controller listener)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two adjacent free ports")


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=3) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class WorkerProcess:
    def __init__(self, settings: Settings, *, decision_delay: str = "1s", **env: str) -> None:
        self.settings = settings
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.update(
            ATTRIB_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
            ATTRIB_TOPIC_PREFIX=settings.topic_prefix,
            ATTRIB_FAUST_APP_ID=settings.faust_app_id,
            ATTRIB_DATA_DIR=settings.data_dir,
            ATTRIB_TOPIC_PARTITIONS=str(settings.topic_partitions),
            ATTRIB_DECISION_DELAY=decision_delay,
            ATTRIB_WORKER_SINK="false",  # the engine's tests read Kafka, not ClickHouse
            # The internal credential (conversion data) derives from the admin token.
            ATTRIB_ADMIN_TOKEN=settings.with_admin_token().admin_token.reveal(),
        )
        self.env.update(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = Path(settings.data_dir) / f"worker-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "attrib.cli", "worker", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited:\n{self.log_tail()}")
            try:
                status, _ = _get(f"{self.url}/readyz")
            except OSError:
                status = 0
            if status == 200:
                return
            time.sleep(0.3)
        raise AssertionError(f"worker not ready in {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def get(self, path: str, *, internal: bool = True) -> tuple[int, Any]:
        """GET from the worker, as the collector does (``internal``: with its credential)."""
        from attrib.settings import Secret
        from attrib.web.internal import HEADER, internal_credential

        token = Secret(self.env["ATTRIB_ADMIN_TOKEN"])
        credential = internal_credential(dataclasses.replace(self.settings, admin_token=token))
        headers = {HEADER: credential} if internal else {}
        status, body = _get(self.url + path, headers)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body


async def setup_deployment(settings: Settings, app_id: str, config: dict[str, Any]) -> None:
    """Create the topics and register ``app_id`` with ``config`` (through the real registry)."""
    await ensure_topics(settings, topic_specs(settings))
    cache = AppConfigCache(settings)
    await cache.start()
    writer = AppRegistryWriter(settings, cache)
    await writer.start()
    try:
        await writer.put(validate_app_config(app_id, config))
    finally:
        await writer.stop()
        await cache.stop()


ANDROID_APP = {
    "platform": "android",
    "store_url": "https://play.google.com/store/apps/details?id=com.example",
}


def touch_record(
    app_id: str,
    *,
    touch_type: str = "click",
    touch_time: int,
    media_source: str = "netA",
    ids: dict[str, str] | None = None,
    ip: str | None = "198.51.100.7",
    user_agent: str | None = ANDROID_UA,
    is_retargeting: bool = False,
    campaign: str | None = "summer",
    touch_id: str | None = None,
) -> dict[str, Any]:
    ids = normalise_identifiers(ids or {})
    return {
        "touch_id": touch_id or uuid.uuid4().hex,
        "touch_type": touch_type,
        "app_id": app_id,
        "device_key": device_key(ids),
        "media_source": media_source,
        "campaign": campaign,
        "campaign_id": None,
        "adset": None,
        "adset_id": None,
        "ad": None,
        "ad_id": None,
        "site_id": "site1",
        "sub_site_id": None,
        "network_click_id": "nc-1",
        "advertising_id": ids.get("advertising_id"),
        "idfa": ids.get("idfa"),
        "android_id": ids.get("android_id"),
        "oaid": ids.get("oaid"),
        "ip": ip,
        "user_agent": user_agent,
        "is_retargeting": is_retargeting,
        "click_lookback_ms": None,
        "view_lookback_ms": None,
        "touch_time": touch_time,
        "received_time": touch_time,
    }


def install_record(
    app_id: str,
    *,
    install_time: int,
    ids: dict[str, str],
    event_id: str | None = None,
    referrer: str | None = None,
    ip: str | None = "198.51.100.7",
    received_time: int | None = None,
) -> dict[str, Any]:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "app_id": app_id,
        **_device_fields(ids),
        "ip": ip,
        "install_referrer": referrer,
        "install_begin_ts": None,
        "event_time": install_time,
        "received_time": received_time if received_time is not None else now_ms(),
    }


def now_ms() -> int:
    return int(time.time() * 1000)


async def produce_touches(settings: Settings, touches: list[dict[str, Any]]) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        for t in touches:
            topic = settings.topic("clicks" if t["touch_type"] == "click" else "impressions")
            key = touch_record_key(t["app_id"], t["device_key"], t["touch_id"])
            await producer.send_and_wait(topic, codec.encode("Touch", t), key=key)
    finally:
        await producer.stop()


async def produce_installs(settings: Settings, installs: list[dict[str, Any]]) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        for i in installs:
            key = device_record_key(i["app_id"], i["device_key"])
            await producer.send_and_wait(
                settings.topic("installs"), codec.encode("Install", i), key=key
            )
    finally:
        await producer.stop()


async def produce_raw(settings: Settings, topic: str, value: bytes, key: bytes) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(settings.topic(topic), value, key=key)
    finally:
        await producer.stop()


async def read_records(
    settings: Settings, topic: str, *, expect: int, within: float = 30.0
) -> list[dict[str, Any]]:
    """Read ``topic`` from the start until ``expect`` records (or the timeout)."""
    consumer = make_consumer(settings)
    await consumer.start()
    try:
        name = settings.topic(topic)
        tps = [TopicPartition(name, p) for p in range(settings.topic_partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and len(out) < expect:
            batch = await consumer.getmany(*tps, timeout_ms=300)
            for records in batch.values():
                out.extend(codec.decode(r.value) for r in records)
        return out
    finally:
        await consumer.stop()


def index_entries(touches: list[dict[str, Any]]) -> int:
    """How many touch-index entries the worker files for ``touches``."""
    from attrib.engine.convert import touch_from_record
    from attrib.engine.index import touch_index_keys

    return sum(len(touch_index_keys(touch_from_record(t))) for t in touches)


def _index_entries_stored(worker: WorkerProcess) -> float:
    topic = f"{worker.settings.faust_app_id}-touch-index"
    _, body = worker.get("/metrics")
    text = body.decode() if isinstance(body, bytes) else str(body)
    for line in text.splitlines():
        if line.startswith("attrib_worker_records_consumed_total") and f'"{topic}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def wait_indexed(worker: WorkerProcess, entries: int, within: float = 60) -> None:
    """Block until the worker has stored ``entries`` touch-index entries.

    Touches and installs are different topics, consumed independently: a
    test that wants a touch to be *received before* its install (R4) waits
    for it to be indexed, as a live system does through ``decision_delay``.
    """
    wait_indexed_by_any([worker], entries, within)


def wait_indexed_by_any(workers: list[WorkerProcess], entries: int, within: float = 60) -> None:
    """Like :func:`wait_indexed`, counting the entries stored by all of ``workers``
    (which one owns a partition is the group's choice)."""
    deadline = time.monotonic() + within
    seen = 0.0
    while time.monotonic() < deadline:
        seen = sum(_index_entries_stored(worker) for worker in workers)
        if seen >= entries:
            return
        time.sleep(0.2)
    logs = "\n".join(worker.log_tail() for worker in workers)
    raise AssertionError(f"only {seen} of {entries} index entries stored:\n{logs}")


def _device_fields(ids: dict[str, str]) -> dict[str, Any]:
    ids = normalise_identifiers(ids)
    key = device_key(ids)
    assert key is not None
    return {
        "device_key": key,
        "advertising_id": ids.get("advertising_id"),
        "idfa": ids.get("idfa"),
        "idfv": ids.get("idfv"),
        "android_id": ids.get("android_id"),
        "oaid": ids.get("oaid"),
        "customer_user_id": ids.get("customer_user_id"),
        "platform": "android",
        "app_version": "1.0",
        "os_version": "14",
        "ip": "198.51.100.7",
        "user_agent": None,
    }


def session_record(
    app_id: str, *, session_time: int, ids: dict[str, str], event_id: str | None = None
) -> dict[str, Any]:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "app_id": app_id,
        **_device_fields(ids),
        "event_time": session_time,
        "received_time": now_ms(),
    }


def event_record(
    app_id: str,
    *,
    event_time: int,
    ids: dict[str, str],
    event_name: str = "purchase",
    revenue: str | None = None,
    currency: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "app_id": app_id,
        **_device_fields(ids),
        "event_name": event_name,
        "revenue": revenue,
        "currency": currency,
        "values": {},
        "event_time": event_time,
        "received_time": now_ms(),
    }


async def produce_records(
    settings: Settings, topic: str, schema: str, records: list[dict[str, Any]]
) -> None:
    """Produce device-keyed records (installs, sessions, events) as the collector does."""
    producer = make_producer(settings)
    await producer.start()
    try:
        for r in records:
            key = device_record_key(r["app_id"], r["device_key"])
            await producer.send_and_wait(settings.topic(topic), codec.encode(schema, r), key=key)
    finally:
        await producer.stop()


def metric_value(worker: WorkerProcess, name: str, labels: str = "") -> float:
    """The current value of a Prometheus sample (``labels`` as ``k="v"`` text), 0 if absent."""
    _, body = worker.get("/metrics")
    text = body.decode() if isinstance(body, bytes) else str(body)
    sample = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def wait_metric(
    worker: WorkerProcess, name: str, at_least: float, labels: str = "", within: float = 60
) -> None:
    deadline = time.monotonic() + within
    value = 0.0
    while time.monotonic() < deadline:
        value = metric_value(worker, name, labels)
        if value >= at_least:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name}{{{labels}}} = {value} < {at_least}:\n{worker.log_tail()}")
