"""Agent ``store-touches``: keep the touch index (table ``touches-by-key``).

Consumes ``TouchIndexBatch`` envelopes of the internal ``touch-index`` topic;
each envelope holds entries of one partition, so every table write lands in
the partition the key belongs to. Each key is read and written once per
envelope. A *sweep* envelope (sent every :data:`SWEEP_INTERVAL_S` by a timer
to every partition) drops touches that no window can use any more, so the
index stops growing under steady traffic.

Pruning uses event time (the newest touch time seen on the partition), never
the wall clock, so replaying old data keeps its touches.
"""

from __future__ import annotations

import os
from collections import defaultdict

from attrib import channels
from attrib.engine import touch_lists, wire
from attrib.engine.metrics import INDEX_KEYS_SWEPT, RECORDS_CONSUMED
from attrib.engine.partitioning import partition_for
from attrib.faust_app import app, settings
from attrib.tables.touch_index import touches_by_key

SWEEP_INTERVAL_S = float(os.environ.get("ATTRIB_INDEX_SWEEP_INTERVAL_S", "60"))

#: Newest touch time seen per partition: the event-time watermark of pruning.
watermarks: dict[int, int] = defaultdict(int)


def _entries(value: bytes | None) -> list[touch_lists.Entry]:
    if value is None:
        return []
    record = wire.decode(value, "TouchList")
    return [(e["touch_id"], e["touch_time"], e["touch"]) for e in record["entries"]]


def _encode(entries: list[touch_lists.Entry]) -> bytes:
    return wire.encode(
        "TouchList",
        {"entries": [{"touch_id": i, "touch_time": t, "touch": b} for i, t, b in entries]},
    )


def sweep_partition(partition: int) -> tuple[int, int]:
    """Drop expired touches of ``partition``; returns (keys deleted, keys shrunk)."""
    watermark = watermarks[partition]
    if watermark == 0:
        return 0, 0
    deleted = shrunk = 0
    for raw_key in list(touches_by_key.keys()):
        if partition_for(raw_key, settings.topic_partitions) != partition:
            continue
        key = raw_key.decode()
        entries = _entries(touches_by_key.get(raw_key))
        kept = touch_lists.unexpired(entries, key=key, watermark_ms=watermark)
        if not kept:
            del touches_by_key[raw_key]
            deleted += 1
        elif len(kept) < len(entries):
            touches_by_key[raw_key] = _encode(kept)
            shrunk += 1
    return deleted, shrunk


@app.agent(channels.touch_index, name="store-touches", concurrency=1)
async def store_touches(stream) -> None:  # type: ignore[no-untyped-def]
    async for event in stream.events():
        partition = event.message.partition
        batch = wire.decode(event.message.value, "TouchIndexBatch")
        if batch["sweep"]:
            deleted, _ = sweep_partition(partition)
            INDEX_KEYS_SWEPT.inc(deleted)
            continue
        by_key: dict[str, list[touch_lists.Entry]] = defaultdict(list)
        for entry in batch["entries"]:
            by_key[entry["key"]].append((entry["touch_id"], entry["touch_time"], entry["touch"]))
            if entry["touch_time"] > watermarks[partition]:
                watermarks[partition] = entry["touch_time"]
        RECORDS_CONSUMED.labels(event.message.topic).inc(len(batch["entries"]))
        for key, new in by_key.items():
            raw_key = key.encode()
            merged = touch_lists.merge(
                _entries(touches_by_key.get(raw_key)),
                new,
                key=key,
                watermark_ms=watermarks[partition],
            )
            touches_by_key[raw_key] = _encode(merged)


@app.timer(interval=SWEEP_INTERVAL_S)
async def request_sweeps() -> None:
    """Ask every partition of the touch index to drop what no window can use."""
    sweep = wire.encode("TouchIndexBatch", {"entries": [], "sweep": True})
    for partition in range(settings.topic_partitions):
        await channels.touch_index.send(value=sweep, partition=partition)
