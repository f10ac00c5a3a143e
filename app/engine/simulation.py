"""The engine's processors without a broker: the worker's wiring on in-memory tables.

:class:`EngineSimulation` wires the same processors the worker runs (intake
routing, the touch index, the device partition, conversion data) to in-memory
tables (:class:`attrib.engine.sorted_memory.SortedMemoryBackend`) and a manual clock, and
delivers every internal record to its processor in send order, the way the
worker's agents would. Two users share it, which is why it is app code:

- ``attrib replay`` (:mod:`attrib.replay`) re-decides archived records with a
  changed configuration; the decisions come from the very code the worker
  runs, not from a re-implementation that could drift from it;
- the engine's tests (``tests/engine/driver.py``, in the spirit of Kafka
  Streams' ``TopologyTestDriver``) pipe records in, move time with
  :meth:`EngineSimulation.advance` and read the output topics, without Kafka.

What it leaves out is what only Kafka shows (partition assignment,
rebalances, recovery from changelogs, crashes).
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any

from attrib.avro import codec
from attrib.config import AppConfig
from attrib.engine import index_envelope, wire
from attrib.engine.clock import ManualClock
from attrib.engine.device_partition import DevicePartition, DeviceTables
from attrib.engine.device_retention import DeviceRetention
from attrib.engine.intake import InputRecord, IntakeCounts, route
from attrib.engine.outbox import Outbox, OutRecord
from attrib.engine.sorted_memory import SortedMemoryBackend
from attrib.engine.topics import EngineTopics
from attrib.engine.touch_store import TouchIndex
from attrib.tables.state import MemoryBackend, TableState
from attrib.tables.values import (
    CONVERSIONS,
    DEVICES,
    PENDING,
    RECENT_BYTES,
    TOUCHES,
    WAITING,
    ValueCodec,
)

_SCHEMA = {
    "clicks": "Touch",
    "impressions": "Touch",
    "installs": "Install",
    "sessions": "Session",
    "events": "InAppEvent",
}


def driver_topics(partitions: int) -> EngineTopics:
    return EngineTopics(
        partitions=partitions,
        clicks="clicks",
        impressions="impressions",
        installs="installs",
        sessions="sessions",
        events="events",
        attributions="attributions",
        reengagements="reengagements",
        attributed_events="attributed-events",
        dead_letter="dead-letter",
        touch_index="touch-index",
        touch_lookup="touch-lookup",
        install_candidates="install-candidates",
        device_inputs="device-inputs",
        conversion_updates="conversion-updates",
    )


class EngineSimulation:
    """The worker's processors on in-memory tables, driven by hand (see the module doc)."""

    def __init__(
        self,
        configs: dict[str, AppConfig],
        *,
        start_ms: int,
        partitions: int = 4,
        decision_delay_ms: int = 1_000,
        hold_ms: int = 600_000,
        retention_ms: int = 760 * 86_400_000,
        verify_recent: bool = False,
    ) -> None:
        self.configs = configs
        self.clock = ManualClock(start_ms)
        self.topics = driver_topics(partitions)
        self.touches: TableState[Any] = TOUCHES.bind("touches", SortedMemoryBackend())
        self.index = TouchIndex(self.touches)

        def device_table(values: ValueCodec[Any], name: str) -> TableState[Any]:
            return values.bind(
                name, SortedMemoryBackend(), recent_bytes=RECENT_BYTES, verify_recent=verify_recent
            )

        self.tables = DeviceTables(
            devices=device_table(DEVICES, "devices"),
            pending=device_table(PENDING, "pending-installs"),
            waiting=device_table(WAITING, "waiting-events"),
        )
        self.conversions: TableState[Any] = CONVERSIONS.bind(
            "conversion-data", SortedMemoryBackend()
        )
        self.device = DevicePartition(
            self.tables,
            self.topics,
            configs.get,
            decision_delay_ms=decision_delay_ms,
            hold_ms=hold_ms,
        )
        self.retention = DeviceRetention(self.tables, self.conversions, retention_ms=retention_ms)
        #: Every record written to an output topic, in order.
        self.outputs: dict[str, list[OutRecord]] = defaultdict(list)
        #: Internal records delivered to processors, by topic (for counting).
        self.delivered: dict[str, int] = defaultdict(int)
        self._offsets: dict[str, int] = defaultdict(int)

    # ---- input ------------------------------------------------------------------------
    def pipe(self, topic: str, records: list[dict[str, Any]]) -> None:
        """Produce ``records`` (dicts of the topic's schema) to an input topic and
        process everything that follows from them, as the intake would."""
        self.pipe_raw(topic, [codec.encode(_SCHEMA[topic], r) for r in records])

    def pipe_raw(self, topic: str, values: list[bytes], *, partition: int = 0) -> IntakeCounts:
        """Produce raw values to ``partition`` of an input topic; returns the intake's counts."""
        inputs = []
        for value in values:
            inputs.append(InputRecord(topic, partition, self._offsets[topic], None, value))
            self._offsets[topic] += 1
        outbox = Outbox()
        counts = route(
            inputs,
            topics=self.topics,
            configs=self.configs.get,
            now_ms=self.clock(),
            outbox=outbox,
        )
        self._deliver(outbox)
        return counts

    # ---- time ------------------------------------------------------------------------
    def advance_to(self, now_ms: int) -> None:
        """Move processing time forward to ``now_ms`` (never back) and run the timers."""
        if now_ms > self.clock.now:
            self.clock.now = now_ms
        self.run_timers()

    def advance(self, ms: int) -> None:
        """Move processing time and run the timers (due lookups, expiring events)."""
        self.clock.advance(ms)
        self.run_timers()

    def run_timers(self) -> None:
        outbox = Outbox()
        self.device.due_lookups(self.clock(), outbox)
        self.device.due_expiries(self.clock(), outbox)
        self._deliver(outbox)

    def sweep(self) -> None:
        """What the worker's sweep timers do, on every partition."""
        now = self.clock()
        outbox = Outbox()
        for partition in range(self.topics.partitions):
            self.index.sweep(partition, now)
            self.retention.sweep_devices(
                partition, now_ms=now, watermark_ms=self.device.watermarks[partition]
            )
            self.retention.sweep_conversions(partition, now_ms=now)
        self._commit()
        self._deliver(outbox)

    # ---- output ------------------------------------------------------------------------
    def read(self, topic: str) -> list[dict[str, Any]]:
        """The decoded records written to an output topic so far."""
        return [codec.decode(r.value) for r in self.outputs[topic] if r.value is not None]

    def device_state(self, app_id: str, device_key: str) -> dict[str, Any] | None:
        from attrib.engine.partitioning import partition_for
        from attrib.keys import device_record_key

        key = device_record_key(app_id, device_key)
        return self.tables.devices.get(partition_for(key, self.topics.partitions), key)

    def conversion_answer(self, app_id: str, identifier: str) -> bytes | None:
        from attrib.engine.conversion import conversion_key
        from attrib.engine.partitioning import partition_for

        key = conversion_key(app_id, identifier).encode()
        value = self.conversions.get(partition_for(key, self.topics.partitions), key)
        return None if value is None else value[1]

    def index_keys(self, *, expiry: bool = False) -> int:
        """Entries of the touch index, one per touch and key (``expiry``: of its expiry indexes)."""
        from attrib.engine.touch_store import EXPIRY_PREFIX

        backend = self.touches.backend
        assert isinstance(backend, MemoryBackend)
        return sum(
            k.startswith(EXPIRY_PREFIX) == expiry for p in backend.partitions.values() for k in p
        )

    # ---- the agents ------------------------------------------------------------------------
    def _commit(self) -> None:
        for state in (*self.tables.all(), self.touches, self.conversions):
            for partition, changes in state.take_changes().items():
                state.backend.write(partition, changes)

    def _deliver(self, outbox: Outbox) -> None:
        queue: deque[OutRecord] = deque(outbox.records)
        topics = self.topics
        while queue:
            record = queue.popleft()
            partition = record.partition or 0
            value = record.value or b""
            now = self.clock()
            out = Outbox()
            if record.topic == topics.touch_index:
                entries = index_envelope.decode(value)
                self.index.file_and_sweep(partition, entries, now)
            elif record.topic == topics.touch_lookup:
                lookups = wire.decode(value, "LookupBatch")["lookups"]
                self.index.answer(partition, lookups, topics, out)
            elif record.topic == topics.device_inputs:
                inputs = wire.decode(value, "DeviceInputBatch")["inputs"]
                self.device.accept(partition, inputs, now, out)
            elif record.topic == topics.install_candidates:
                self.device.apply_answers(partition, wire.decode(value, "CandidateBatch"), now, out)
            elif record.topic == topics.conversion_updates:
                batch = wire.decode(value, "ConversionUpdateBatch")
                for update in batch["updates"]:
                    self.conversions.put(
                        partition,
                        update["key"].encode(),
                        (update["decided_time"], update["answer_json"].encode()),
                    )
            else:
                self.outputs[record.topic].append(record)
                continue
            self.delivered[record.topic] += 1
            self._commit()
            queue.extend(out.records)
