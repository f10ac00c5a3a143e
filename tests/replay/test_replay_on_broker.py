"""The demo decided by a real ``attrib worker`` on the broker, replayed from a Parquet archive
of its topics: with no ``--set``, every install's decision is the worker's (R1).

The demo's requests become the records the collector would produce (same
builders), sent phase by phase as ``attrib demo`` sends them, each phase
once the worker is through the previous one. The archive is written by the
archiver itself (``attrib archive --once``'s loop) from the topics.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from click.testing import CliRunner

from attrib.archive.service import Archiver
from attrib.avro import codec
from attrib.cli.replay import replay
from attrib.config import validate_app_config
from attrib.demo.scenario import build
from attrib.kafka.client import make_consumer, make_producer
from attrib.keys import device_record_key, touch_record_key
from attrib.replay.compare import decision, latest_by_install
from attrib.replay.records import INPUT_TOPICS, ArchivedRecord
from attrib.replay.redecide import redecide
from attrib.settings import Settings
from tests.engine.harness import (
    WorkerProcess,
    index_entries,
    read_records,
    setup_deployment,
    wait_indexed,
)
from tests.replay.helpers import request_value

pytestmark = pytest.mark.integration

APP = "demo-broker"
OUTPUTS = ("attributions", "attributed-events", "reengagements")


def _key(topic: str, record: dict) -> bytes:
    if topic in ("clicks", "impressions"):
        return touch_record_key(APP, record["device_key"], record["touch_id"])
    return device_record_key(APP, record["device_key"])


async def _produce(settings: Settings, values: list[tuple[str, bytes]]) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        for topic, value in values:
            await producer.send(settings.topic(topic), value, key=_key(topic, codec.decode(value)))
        await producer.flush()
    finally:
        await producer.stop()


async def _archive(settings: Settings) -> list[ArchivedRecord]:
    """Every record of the input and output topics, as the archive keeps them."""
    consumer = make_consumer(settings)
    await consumer.start()
    out: list[ArchivedRecord] = []
    try:
        for topic in (*INPUT_TOPICS, *OUTPUTS):
            tps = [
                TopicPartition(settings.topic(topic), p) for p in range(settings.topic_partitions)
            ]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            seen = {tp: 0 for tp in tps}
            deadline = time.monotonic() + 30
            while any(seen[tp] < ends[tp] for tp in tps) and time.monotonic() < deadline:
                batch = await consumer.getmany(*tps, timeout_ms=300)
                for tp, records in batch.items():
                    for r in records:
                        seen[tp] = r.offset + 1
                        out.append(
                            ArchivedRecord(
                                topic, r.partition, r.offset, r.timestamp, r.key, r.value
                            )
                        )
    finally:
        await consumer.stop()
    return out


async def test_the_workers_demo_decisions_replay_exactly(isolated_settings, tmp_path: Path) -> None:
    s = isolated_settings
    now = int(time.time() * 1000)
    scenario = build(APP, now, sdk_key="k")
    await setup_deployment(s, APP, scenario.config)
    worker = WorkerProcess(s, decision_delay="1s")
    worker.start()
    try:
        decided = 0
        for phase in scenario.phases:
            values = [request_value(APP, r, int(time.time() * 1000)) for r in phase.requests]
            await _produce(s, values)
            if phase.name == "touches":
                touches = [codec.decode(v) for _, v in values]
                wait_indexed(worker, index_entries(touches))
            elif phase.name in ("installs", "reinstalls"):
                decided += len(values)
                got = await read_records(s, "attributions", expect=decided, within=60)
                assert len(got) >= decided, worker.log_tail()
            elif phase.name == "sessions":
                # Sessions and purchases are different topics, so the intake may
                # see a purchase before the session that re-engages its device:
                # like `attrib demo`, wait for the re-engagements first.
                expect = phase.wait_for["reengagements"]
                got = await read_records(s, "reengagements", expect=expect, within=60)
                assert len(got) >= expect, worker.log_tail()
        expected_events = scenario.phases[-1].wait_for["attributed_events"]
        events = await read_records(s, "attributed-events", expect=expected_events, within=60)
        assert len(events) >= expected_events, worker.log_tail()
    finally:
        worker.stop()

    records = await _archive(s)
    live = latest_by_install(codec.decode(r.value) for r in records if r.topic == "attributions")
    assert len(live) == decided
    config = validate_app_config(APP, scenario.config)
    inputs = [r for r in records if r.topic in INPUT_TOPICS]
    after = latest_by_install(redecide(inputs, config).attributions)
    assert after.keys() == live.keys()
    for install_id, attribution in live.items():
        assert decision(after[install_id]) == decision(attribution), install_id

    # the archive as `attrib archive` writes it from the topics
    archiver = Archiver(dataclasses.replace(s, archive_url=str(tmp_path)))
    await asyncio.to_thread(archiver.run, until_end=True)
    assert archiver.archived >= len(records)
    today = datetime.fromtimestamp(now / 1000, UTC).date()
    # in a thread: the command runs its own event loop to read the registry
    result = await asyncio.to_thread(
        CliRunner().invoke,
        replay,
        [
            "--app",
            APP,
            "--from",
            (today - timedelta(days=30)).isoformat(),
            "--to",
            today.isoformat(),
            "--format",
            "json",
        ],
        # no --config: the app's configuration comes from the registry on the broker
        env={
            "ATTRIB_ARCHIVE_URL": str(tmp_path),
            "ATTRIB_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
            "ATTRIB_TOPIC_PREFIX": s.topic_prefix,
        },
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert sum(r["installs_before"] for r in rows) > 0
    for row in rows:
        assert row["installs_before"] == row["installs_after"], row
        assert (row["to_organic"], row["from_organic"], row["revenue_moved"]) == (0, 0, {}), row
