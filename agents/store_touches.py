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
from attrib.faust_app import app
from attrib.tables.touch_index import touches_by_key

SWEEP_INTERVAL_S = float(os.environ.get("ATTRIB_INDEX_SWEEP_INTERVAL_S", "5"))

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


#: Keys examined per sweep envelope and partition: the sweep is incremental,
#: so it never holds the event loop for long whatever the size of the index.
SWEEP_CHUNK = 2_000

#: Where each partition's sweep continues (the last key examined).
_sweep_cursor: dict[int, bytes | None] = defaultdict(lambda: None)


def _partition_keys(partition: int, after: bytes | None, limit: int) -> list[bytes]:
    """Up to ``limit`` keys of the partition's RocksDB after ``after`` (in key order)."""
    db = touches_by_key.data._db_for_partition(partition)  # type: ignore[attr-defined]
    keys: list[bytes] = []
    iterator = db.keys(from_key=after) if after is not None else db.keys()
    for raw_key in iterator:
        if raw_key == after or raw_key[1:2] != b"|":
            continue  # the cursor itself, or Faust's own bookkeeping (persisted offsets)
        keys.append(raw_key)
        if len(keys) >= limit:
            break
    return keys


def sweep_partition(partition: int, limit: int = SWEEP_CHUNK) -> tuple[int, int]:
    """Examine the next ``limit`` keys of ``partition``; drop touches no window can use.

    Returns (keys deleted, keys shrunk). Runs inside the agent, on the sweep
    envelope of that partition, so deletions are changelogged to it.
    """
    watermark = watermarks[partition]
    if watermark == 0:
        return 0, 0
    keys = _partition_keys(partition, _sweep_cursor[partition], limit)
    _sweep_cursor[partition] = keys[-1] if len(keys) == limit else None  # wrap at the end
    deleted = shrunk = 0
    for raw_key in keys:
        entries = _entries(touches_by_key.get(raw_key))
        kept = touch_lists.unexpired(entries, key=raw_key.decode(), watermark_ms=watermark)
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
    """Ask each partition of the touch index this worker owns to sweep its next keys."""
    sweep = wire.encode("TouchIndexBatch", {"entries": [], "sweep": True})
    name = channels.touch_index.get_topic_name()
    for tp in app.assignor.assigned_actives():
        if tp.topic == name:
            await channels.touch_index.send(value=sweep, partition=tp.partition)
