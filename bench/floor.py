"""The floor of the engine's throughput: the steps any worker of this design must take.

``bench/engine.py`` compares the worker's CPU per input record with a raw
aiokafka pass-through (consume -> produce, nothing else). That pass-through
does less than any attribution engine can: it neither reads a record nor
stores one. This module measures, in the same run, the steps the product's
contract and design card require of every record, taken with the cheapest
code this project has and nothing else, in one plain asyncio process (no
Faust, no tables, no metrics):

1. consume the input topics (as the pass-through does);
2. decode each record with the generated reader, and judge its app and time
   (R3, R22: the intake must refuse what it cannot attribute);
3. a touch: compute its index keys (device ids, referrer, fingerprint: R5-R8)
   and send one entry per key to its key's partition, packed in envelopes
   (co-partitioning: an install looks its keys up where they live), with the
   intake's own code (``intake.add_index_entries``, ``index_envelope.encode``);
4. consume those envelopes and put each entry in RocksDB (one put, in one
   write batch per envelope; the envelope topic doubles as the changelog);
5. an install: decode, compute its keys, read each key's touches (one
   prefix seek each), produce one result.

What it leaves out makes it lower than any real worker, so it is a floor,
not an estimate: no expiry listings or sweeps, no device state, pending
installs, rules, lookups across partitions (an install reads its keys in the
same process), dead letters, dedupe or commit bookkeeping beyond waiting for
acknowledgements. If ``raw / floor`` is below a ratio goal, no worker of
this design in Python reaches that goal.

Run by ``bench/engine.py`` after its ceiling (the ``floor's`` rows), over the
topics that run filled; it has no command of its own.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from aiokafka import TopicPartition
from bench_cpu import cpu_seconds
from rocksdict import Options, Rdict, WriteBatch

from attrib.admission import TIME_FIELD, input_refusal
from attrib.avro import codec
from attrib.avro.codec import AvroDecodeError
from attrib.engine import index_envelope
from attrib.engine.convert import install_from_record
from attrib.engine.index import install_lookup_keys
from attrib.engine.intake import add_index_entries
from attrib.engine.touch_store import SEPARATOR, entry_key
from attrib.kafka.client import ensure_topics, make_consumer, make_producer
from attrib.settings import Settings
from attrib.topics import TopicSpec

#: This module's topics (beside the run's others; not counted as the worker's output).
TOPICS = ("bench-floor-index", "bench-floor-results")
_EXPECT = {"clicks": "Touch", "impressions": "Touch", "installs": "Install"}


async def _drain(consumer, want: int, handle) -> int:  # type: ignore[no-untyped-def]
    seen = 0
    while seen < want:
        batch = await consumer.getmany(timeout_ms=500, max_records=5_000)
        for tp, records in batch.items():
            await handle(tp, records)
            seen += len(records)
    return seen


@dataclass
class FloorRun:
    """What one floor run did and cost."""

    records_ps: float
    #: CPU seconds of this process per input record (None: unknown).
    cpu_per_record: float | None
    #: Index entries sent in envelopes, and put in RocksDB.
    entries_sent: int
    entries_put: int
    #: Installs answered, and the touches their keys found in total.
    results: int
    touches_found: int


async def floor(settings: Settings, total: int, known_app: str) -> FloorRun:
    """Run the required steps over the ``total`` backlog records of the input topics
    (records of apps other than ``known_app`` are refused, as R22 refuses them)."""
    partitions = settings.topic_partitions
    index_topic, results_topic = (settings.topic(name) for name in TOPICS)
    await ensure_topics(
        settings,
        [TopicSpec(index_topic, partitions, 1), TopicSpec(results_topic, partitions, 1)],
    )
    os.makedirs(settings.data_dir, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="floor-", dir=settings.data_dir))
    options = Options()
    options.set_write_buffer_size(16 * 1024 * 1024)
    db = Rdict(str(folder), options)
    consumer = make_consumer(settings, max_poll_records=5_000)
    envelopes = make_consumer(settings, max_poll_records=500)
    producer = make_producer(settings, linger_ms=20, max_batch_size=512 * 1024)
    await consumer.start()
    await envelopes.start()
    await producer.start()
    names = {settings.topic(name): name for name in _EXPECT}
    installs: list[bytes] = []
    futures: list[asyncio.Future] = []
    sent = {"entries": 0, "envelopes": 0, "put": 0, "found": 0}

    def known(app_id: str) -> bool:
        return app_id == known_app

    async def intake(tp: TopicPartition, records: list) -> None:
        expect = _EXPECT[names[tp.topic]]
        now = int(time.time() * 1000)
        decoded = codec.try_decode_many([r.value for r in records], expect=expect)
        if expect == "Install":
            installs.extend(
                r.value
                for r, v in zip(records, decoded, strict=True)
                if not isinstance(v, AvroDecodeError)
            )
            return
        index: dict[int, list] = defaultdict(list)
        time_field = TIME_FIELD[expect]
        for record, value in zip(records, decoded, strict=True):
            if isinstance(value, AvroDecodeError):
                continue
            received = value["received_time"] or now
            if input_refusal(value["app_id"], value[time_field], received, known) is not None:
                continue
            add_index_entries(index, record.value, value, received, partitions)
        for partition, entries in index.items():
            sent["entries"] += len(entries)
            sent["envelopes"] += 1
            value = index_envelope.encode(entries)
            futures.append(await producer.send(index_topic, value, partition=partition))

    async def store(tp: TopicPartition, records: list) -> None:
        for record in records:
            batch = WriteBatch()
            for index_key, touch_id, touch_time, touch, received in index_envelope.decode(
                record.value
            ):
                batch.put(
                    entry_key(index_key, touch_time, touch_id),
                    received.to_bytes(8, "big") + touch,
                )
            sent["put"] += len(batch)
            db.write(batch)

    try:
        inputs = [TopicPartition(t, p) for t in names for p in range(partitions)]
        consumer.assign(inputs)
        await consumer.seek_to_beginning(*inputs)
        cpu_before = cpu_seconds(os.getpid())
        started = time.perf_counter()
        await _drain(consumer, total, intake)
        await asyncio.gather(*futures)
        futures.clear()
        index_tps = [TopicPartition(index_topic, p) for p in range(partitions)]
        envelopes.assign(index_tps)
        await envelopes.seek_to_beginning(*index_tps)
        await _drain(envelopes, sent["envelopes"], store)
        for value in installs:
            install = install_from_record(codec.decode(value, expect="Install"))
            found = 0
            for key in install_lookup_keys(install):
                prefix = key.encode() + SEPARATOR
                for k in db.keys(from_key=prefix):
                    if not k.startswith(prefix):
                        break
                    found += 1
            sent["found"] += found
            futures.append(
                await producer.send(results_topic, found.to_bytes(8, "big"), key=value[:16])
            )
        await asyncio.gather(*futures)
        elapsed = time.perf_counter() - started
        cpu_after = cpu_seconds(os.getpid())
        per_record = None
        if cpu_before is not None and cpu_after is not None:
            per_record = (cpu_after - cpu_before) / max(1, total)
        return FloorRun(
            records_ps=total / elapsed,
            cpu_per_record=per_record,
            entries_sent=sent["entries"],
            entries_put=sent["put"],
            results=len(installs),
            touches_found=sent["found"],
        )
    finally:
        await consumer.stop()
        await envelopes.stop()
        await producer.stop()
        db.close()
        shutil.rmtree(folder, ignore_errors=True)
