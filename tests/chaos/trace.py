"""Where did an undecided install stop? Its trace through the engine's internal topics.

When the chaos run finds accepted installs never decided, the failure
message says at which hop each one was last seen, read back from Kafka after
the run (docs/architecture.md, Topology):

``installs`` (the collector wrote it) → ``device-inputs`` (the intake routed
it) → ``pending-installs`` changelog (parked; its last value per key says
whether it is still pending) → ``touch-lookup`` (its lookups were sent) →
``install-candidates`` (answers came back) → ``attributions``.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from aiokafka import TopicPartition

from attrib.avro import codec
from attrib.engine import wire
from attrib.engine.topics import EngineTopics
from attrib.kafka.client import make_consumer
from attrib.settings import Settings


async def read_topic(settings: Settings, topic: str, within: float = 60.0) -> list[Any]:
    """Every record of ``topic`` (full name) at the time of the call."""
    consumer = make_consumer(settings, max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    try:
        # Every topic of the platform, internal and changelog ones too, has this many.
        tps = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[Any] = []
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
            batch = await consumer.getmany(*tps, timeout_ms=300, max_records=10_000)
            for records in batch.values():
                out.extend(records)
        return out
    finally:
        await consumer.stop()


async def trace_undecided(settings: Settings, event_ids: set[str]) -> dict[str, Any]:
    """How many of ``event_ids`` each hop saw, and how many are still pending."""
    topics = EngineTopics.of(settings)
    seen: Counter[str] = Counter()
    routed: set[str] = set()
    for record in await read_topic(settings, topics.device_inputs):
        batch = wire.decode_or_none(record.value, "DeviceInputBatch")
        for item in (batch or {}).get("inputs", []):
            event_id = codec.decode(item["value"]).get("event_id")
            if event_id in event_ids:
                routed.add(event_id)
    seen["device-inputs"] = len(routed)
    parked: set[str] = set()
    last: dict[bytes, bytes | None] = {}
    for record in await read_topic(settings, f"{settings.faust_app_id}-pending-installs-changelog"):
        last[record.key] = record.value
        for entry in _pending(record.value):
            if entry["event_id"] in event_ids:
                parked.add(entry["event_id"])
    seen["pending-installs (ever)"] = len(parked)
    still = {
        entry["event_id"]
        for value in last.values()
        for entry in _pending(value)
        if entry["event_id"] in event_ids
    }
    seen["pending-installs (still)"] = len(still)
    looked_up: set[str] = set()
    for record in await read_topic(settings, topics.touch_lookup):
        batch = wire.decode_or_none(record.value, "LookupBatch")
        for lookup in (batch or {}).get("lookups", []):
            if lookup["event_id"] in event_ids:
                looked_up.add(lookup["event_id"])
    seen["touch-lookup"] = len(looked_up)
    answered: set[str] = set()
    for record in await read_topic(settings, topics.install_candidates):
        batch = wire.decode_or_none(record.value, "CandidateBatch")
        for answer in (batch or {}).get("answers", []):
            if answer["event_id"] in event_ids:
                answered.add(answer["event_id"])
    seen["install-candidates"] = len(answered)
    return {"undecided": len(event_ids), **seen}


def _pending(value: bytes | None) -> list[dict[str, Any]]:
    if value is None:
        return []
    decoded = wire.decode_or_none(value, "PendingInstalls")
    return list((decoded or {}).get("installs") or [])
