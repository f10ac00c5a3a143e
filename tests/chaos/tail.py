"""The ``attributions`` topic read from the start for the whole chaos run."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

from aiokafka import TopicPartition

from attrib.avro import codec
from attrib.kafka.client import make_consumer
from attrib.settings import Settings


@dataclass(frozen=True, slots=True)
class Decision:
    """What the reconciliation compares of a decision."""

    attribution_id: str
    status: str
    media_source: str | None
    touch_id: str | None


class DecisionTail:
    """Every decision, by install event id, and when each partition produced them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.decisions: dict[str, list[Decision]] = defaultdict(list)
        #: Kafka timestamps (when the worker produced each decision), per partition.
        self.produced_ms: dict[int, list[int]] = defaultdict(list)
        self._next: dict[int, int] = {}  # next offset to read per partition
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:  # the consumer gives up while the broker is down: start it again
            consumer = make_consumer(self.settings)
            try:
                await consumer.start()
                name = self.settings.topic("attributions")
                tps = [TopicPartition(name, p) for p in range(self.settings.topic_partitions)]
                consumer.assign(tps)
                for tp in tps:
                    consumer.seek(tp, self._next.get(tp.partition, 0))
                while True:
                    batch = await consumer.getmany(*tps, timeout_ms=300)
                    for tp, records in batch.items():
                        for r in records:
                            self._add(tp.partition, r.timestamp, r.value)
                            self._next[tp.partition] = r.offset + 1
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(1)
            finally:
                await consumer.stop()

    def _add(self, partition: int, timestamp: int, value: bytes) -> None:
        d = codec.decode(value)
        self.decisions[d["install_event_id"]].append(
            Decision(d["attribution_id"], d["status"], d.get("media_source"), d.get("touch_id"))
        )
        self.produced_ms[partition].append(timestamp)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def served_again_after(self, wall_ms: int) -> int | None:
        """When every partition had produced a decision at or after ``wall_ms``.

        Kafka's record timestamp, not ``decided_time``: a deferred decision
        carries its due time, which may precede the restart."""
        firsts = []
        for partition in range(self.settings.topic_partitions):
            later = [t for t in self.produced_ms.get(partition, []) if t >= wall_ms]
            if not later:
                return None
            firsts.append(min(later))
        return max(firsts)
