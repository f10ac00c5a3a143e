"""Table recovery benchmark: changelog records restored per second.

Run against the local broker (``attrib local up --only kafka``)::

    .venv/bin/python bench/recovery.py                 # 50k touches in the index
    .venv/bin/python bench/recovery.py --touches 200000

A worker indexes a backlog of touches and stops; its RocksDB folder is
deleted and a new worker rebuilds every table from the changelog topics.
The time to readiness, minus the time a worker with intact state takes to
become ready (measured in the same run), divided into the number of
changelog records, is the recovery rate.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from attrib.kafka.client import make_consumer, security_kwargs
from attrib.settings import Settings, load_settings

sys.path.insert(0, str(Path(__file__).parent))
from engine import Worker, make_records, now_ms, produce, progress, register


async def changelog_records(settings: Settings) -> int:
    admin = AIOKafkaAdminClient(**security_kwargs(settings))
    await admin.start()
    try:
        names = [
            t
            for t in await admin.list_topics()
            if t.startswith(settings.faust_app_id + "-") and t.endswith("-changelog")
        ]
    finally:
        await admin.close()
    consumer = make_consumer(settings)
    await consumer.start()
    try:
        from aiokafka import TopicPartition

        tps = [TopicPartition(n, p) for n in names for p in range(settings.topic_partitions)]
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        return sum(ends[tp] - starts[tp] for tp in tps)
    finally:
        await consumer.stop()


def time_to_ready(settings: Settings) -> float:
    started = time.perf_counter()
    worker = Worker(settings)
    worker.wait_ready(timeout=1_800)
    elapsed = time.perf_counter() - started
    worker.stop()
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--touches", type=int, default=50_000)
    args = parser.parse_args()
    base = load_settings()
    tag = uuid.uuid4().hex[:8]
    tmp = Path(tempfile.mkdtemp(prefix="attrib-recovery-"))
    settings = load_settings(
        env={},
        kafka_bootstrap=base.kafka_bootstrap,
        topic_prefix=f"rec{tag}.",
        faust_app_id=f"attrib-rec-{tag}",
        data_dir=str(tmp),
        topic_partitions=4,
    )
    progress(f"indexing {args.touches:,} touches")
    await register(settings)
    touches, _ = make_records(args.touches // 10, 10, now_ms())
    await produce(settings, touches, [])
    worker = Worker(settings)
    worker.wait_ready()
    worker.wait_idle()
    worker.stop()
    records = await changelog_records(settings)

    progress("restart with intact state (the worker's own start time)")
    baseline = time_to_ready(settings)
    progress("restart with the RocksDB folder deleted (recovery from changelogs)")
    shutil.rmtree(tmp / "worker" / "tables")
    recovery = time_to_ready(settings)
    rate = records / max(0.001, recovery - baseline)
    print()
    print(
        f"changelog records: {records:,}; ready with state in {baseline:.1f}s, "
        f"from changelogs in {recovery:.1f}s"
    )
    print(f"table recovery: {rate:,.0f} records/s")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
