"""Test helpers of replay: a Parquet archive written by the layout contract, and the demo's
records as the collector would produce them, decided "live" by the engine driver."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq

from attrib.avro import codec
from attrib.collector.sdk_records import sdk_record
from attrib.collector.touch_ids import new_touch_id
from attrib.collector.touches import touch_record
from attrib.config import AppConfig, validate_app_config
from attrib.demo.scenario import Scenario, build
from attrib.replay.records import ArchivedRecord, event_time
from tests.engine.driver import EngineDriver

_RECORD = {"click": "Touch", "impression": "Touch", "install": "Install", "session": "Session"}
_TOPIC = {
    "click": "clicks",
    "impression": "impressions",
    "install": "installs",
    "session": "sessions",
    "event": "events",
}


def write_archive(root: Path, app_id: str, records: list[ArchivedRecord]) -> None:
    """Files of the archive layout contract: one per topic, partition and event hour."""
    groups: dict[tuple[str, str, str, int], list[ArchivedRecord]] = defaultdict(list)
    for r in records:
        at = datetime.fromtimestamp(event_time(r.topic, codec.decode(r.value)) / 1000, UTC)
        groups[r.topic, at.strftime("%Y-%m-%d"), at.strftime("%H"), r.partition].append(r)
    for (topic, day, hour, partition), rows in groups.items():
        rows.sort(key=lambda r: r.offset)
        folder = root / f"topic={topic}" / f"app_id={app_id}" / f"date={day}" / f"hour={hour}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.table(
            {
                "_partition": pa.array([r.partition for r in rows], pa.int32()),
                "_offset": pa.array([r.offset for r in rows], pa.int64()),
                "_timestamp_ms": pa.array([r.timestamp_ms for r in rows], pa.int64()),
                "_key": pa.array([r.key for r in rows], pa.binary()),
                "_value": pa.array([r.value for r in rows], pa.binary()),
                # a decoded column for analysts, which replay must ignore
                "app_id": pa.array([app_id] * len(rows), pa.string()),
            }
        )
        name = f"{partition}-{rows[0].offset}-{rows[-1].offset}.parquet"
        pq.write_table(table, folder / name, compression="zstd")


class RecordingDriver(EngineDriver):
    """The engine driver, keeping every input value piped in as an archived record."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inputs: list[ArchivedRecord] = []

    def pipe_raw(self, topic: str, values: list[bytes], *, partition: int = 0) -> Any:
        for value in values:
            offset = sum(1 for r in self.inputs if r.topic == topic)
            self.inputs.append(ArchivedRecord(topic, partition, offset, self.clock(), None, value))
        return super().pipe_raw(topic, values, partition=partition)

    def archived_outputs(self) -> list[ArchivedRecord]:
        """The output topics' records as the archive would hold them."""
        out = []
        for topic in ("attributions", "attributed-events", "reengagements"):
            for offset, record in enumerate(self.outputs[topic]):
                assert record.value is not None
                out.append(ArchivedRecord(topic, 0, offset, 0, record.key, record.value))
        return out


def request_value(app_id: str, request: Any, received_ms: int) -> tuple[str, bytes]:
    """(topic, Avro value) the collector produces for one of the demo's requests."""
    if request.body is None:
        params = dict(parse_qsl(urlsplit(request.path).query))
        record = touch_record(
            params,
            app_id=app_id,
            touch_type=request.kind,
            touch_id=new_touch_id(received_ms),
            received_ms=received_ms,
            ip=params.get("ip"),
            user_agent=params.get("ua"),
        )
        return _TOPIC[request.kind], codec.encode("Touch", record)
    body = json.loads(request.body)
    record = sdk_record(
        request.kind,
        body,
        app_id=app_id,
        received_ms=received_ms,
        ip=body.get("ip"),
        user_agent=body.get("user_agent"),
    )
    return _TOPIC[request.kind], codec.encode(_RECORD.get(request.kind, "InAppEvent"), record)


@dataclass
class DemoRun:
    scenario: Scenario
    config: AppConfig
    driver: RecordingDriver
    archive: list[ArchivedRecord] = field(default_factory=list)


def demo_live(app_id: str, now_ms: int) -> DemoRun:
    """The demo decided live by the driver, in the demo's arrival order (phase by phase)."""
    scenario = build(app_id, now_ms, sdk_key="k")
    config = validate_app_config(app_id, scenario.config)
    driver = RecordingDriver({app_id: config}, start_ms=now_ms)
    received = now_ms
    for phase in scenario.phases:
        by_topic: dict[str, list[bytes]] = defaultdict(list)
        for request in phase.requests:
            received += 1
            topic, value = request_value(app_id, request, received)
            by_topic[topic].append(value)
        for topic, values in by_topic.items():
            for start in range(0, len(values), 200):  # the collector's batches
                driver.pipe_raw(topic, values[start : start + 200])
        driver.advance(5_000)  # the demo waits for each phase's rows
        received = driver.clock()
    driver.advance(700_000)
    run = DemoRun(scenario, config, driver)
    run.archive = driver.inputs + driver.archived_outputs()
    return run
