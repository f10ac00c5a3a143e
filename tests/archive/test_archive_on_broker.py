"""``attrib archive`` on the real broker: SIGKILLed mid-flush three times, nothing lost or doubled.

The topics are filled first (a backlog: the archiver is then flushing most of
the time); the archiver runs as a subprocess with small flushes and is killed
the moment a flush's intent appears, three times, then finishes with
``--once``. Every record produced must be in exactly one file, the manifests
of each partition must chain from its first offset to its end, and
ClickHouse (the chdb endpoint) must count the same records with ``file()``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import TopicPartition

from attrib.analytics.clickhouse import connect
from attrib.archive.flush import manifests
from attrib.archive.store import LocalStore
from attrib.avro import codec
from attrib.kafka.client import ensure_topics, make_consumer, make_producer
from attrib.settings import Settings
from attrib.topics import topic_specs
from tests.archive.helpers import HOUR_MS, T0, archived_offsets, touch

pytestmark = pytest.mark.integration

CLICKS = 12_000
INSTALLS = 2_000
FLUSH_ROWS = 1_500


def archive_env(settings: Settings, root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ATTRIB_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "ATTRIB_TOPIC_PREFIX": settings.topic_prefix,
        "ATTRIB_FAUST_APP_ID": settings.faust_app_id,
        "ATTRIB_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "ATTRIB_DATA_DIR": settings.data_dir,
        "ATTRIB_ARCHIVE_URL": str(root),
        "ATTRIB_ARCHIVE_FLUSH_ROWS": str(FLUSH_ROWS),
        "ATTRIB_ARCHIVE_FLUSH_INTERVAL": "500ms",
    }


def install(i: int) -> bytes:
    record = {
        "event_id": f"i-{i}",
        "app_id": "app-a",
        "device_key": f"gaid:{i:032x}",
        "event_time": T0 + (i % 5) * HOUR_MS,
        "received_time": T0 + (i % 5) * HOUR_MS,
        "platform": "android",
    }
    return codec.encode("Install", record)


async def fill(settings: Settings) -> dict[tuple[str, int], int]:
    """The backlog; returns each archived partition's end offset."""
    await ensure_topics(settings, topic_specs(settings))
    producer = make_producer(settings)
    await producer.start()
    try:
        for i in range(CLICKS):
            app = "app-a" if i % 4 else "app-b"
            value = touch(i, app_id=app, at=T0 + (i % 7) * HOUR_MS)
            await producer.send(settings.topic("clicks"), value, key=f"d{i}".encode())
        await producer.send(settings.topic("clicks"), b"\xc3\x01garbage", key=b"x")
        for i in range(INSTALLS):
            await producer.send(settings.topic("installs"), install(i), key=f"d{i}".encode())
        await producer.flush()
    finally:
        await producer.stop()
    consumer = make_consumer(settings)
    await consumer.start()
    try:
        tps = [
            TopicPartition(settings.topic(t), p)
            for t in ("clicks", "installs")
            for p in range(settings.topic_partitions)
        ]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    prefix = settings.topic_prefix
    return {(tp.topic.removeprefix(prefix), tp.partition): n for tp, n in ends.items()}


def kill_mid_flush(env: dict[str, str], root: Path, log: Path) -> bool:
    """Start the archiver, SIGKILL it as soon as a flush's intent exists; was it mid-flush?"""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "attrib.cli", "archive"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if list((root / "_manifest").rglob("*.intent.json")):
                proc.send_signal(signal.SIGKILL)
                break
            assert proc.poll() is None, log.read_text()[-2000:]
            time.sleep(0.001)
        else:
            pytest.fail(f"no flush started within 60 s: {log.read_text()[-2000:]}")
    finally:
        proc.kill()
        proc.wait(10)
    return bool(list((root / "_manifest").rglob("*.intent.json")))


def test_sigkill_three_times_mid_flush_loses_and_doubles_nothing(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = dataclasses.replace(isolated_settings, topic_partitions=2)
    root = tmp_path / "archive"
    log = tmp_path / "archive.log"
    ends = asyncio.run(fill(settings))
    env = archive_env(settings, root)

    cut_short = [kill_mid_flush(env, root, log) for _ in range(3)]
    assert any(cut_short), "no kill landed inside a flush"
    done = subprocess.run(
        [sys.executable, "-m", "attrib.cli", "archive", "--once"],
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]

    counts = archived_offsets(root)
    expected = Counter(
        {(topic, p, offset): 1 for (topic, p), end in ends.items() for offset in range(end)}
    )
    assert counts == expected
    assert not list(root.rglob("*.intent.json"))
    assert not list(root.rglob("*.tmp"))
    store = LocalStore(root)
    for (topic, partition), end in ends.items():
        chain = manifests(store, topic, partition, 0)
        assert chain[-1]["last"] == end - 1
        assert [m["first"] for m in chain[1:]] == [m["last"] + 1 for m in chain[:-1]]
        assert sum(m["records"] for m in chain) == end

    # ClickHouse reads the archive in place (docs/archive.md's query)
    client = connect(settings, database="")
    try:
        rows = client.query(
            "SELECT app_id, media_source, count() AS n, uniqExact(_partition, _offset) AS u "
            "FROM file({glob:String}, Parquet) GROUP BY app_id, media_source ORDER BY ALL",
            parameters={"glob": f"{root}/topic=clicks/**/*.parquet"},
        ).result_rows
    finally:
        client.close()
    produced = Counter(("app-a" if i % 4 else "app-b", f"net{i % 3}") for i in range(CLICKS))
    produced["_none", ""] = 1  # the garbage value: kept, with empty fields
    got = {(app, source or ""): (n, u) for app, source, n, u in rows}
    assert got == {k: (n, n) for k, n in produced.items()}
