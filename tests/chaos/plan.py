"""What a chaos run does: its load, its faults and the settings it gives the stack.

Sizes and faults come from the environment (``make chaos`` runs the long
versions): ``CHAOS_SECONDS``, ``CHAOS_RATE``, ``CHAOS_FAULT_INTERVAL``,
``CHAOS_FAULTS`` (comma-separated kinds of tests/chaos/faults.py),
``CHAOS_WORKERS``, ``CHAOS_SEPARATE_SINK`` (1: ``attrib sink`` as its own
process), ``CHAOS_SEPARATE_DELIVERY`` (1: ``attrib deliver`` as its own
process), ``CHAOS_DELETE_ROCKSDB`` (once, every, never). ``CHAOS_KEEP_FAILED=1``
keeps a failed run's topics and ClickHouse database (tests/chaos/conftest.py).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChaosPlan:
    seconds: float = 60.0
    rate: float = 100.0
    fault_interval: float = 20.0
    faults: tuple[str, ...] = ("worker",)
    workers: int = 1
    separate_sink: bool = False
    #: Run the delivery stage as ``attrib deliver`` of its own, not inside the workers.
    separate_delivery: bool = False
    #: Delete the worker's RocksDB folder before its restart: on the second worker
    #: kill (``once``), on every one (``every``), or never (``never``).
    delete_rocksdb: str = "once"
    broker_down_s: float = 10.0
    clickhouse_down_s: float = 60.0
    receiver_fault_s: float = 15.0
    receiver_slow_s: float = 3.0  # longer than the delivery timeout below
    delivery_timeout: str = "2s"
    delivery_retry_schedule: str = "1s,2s,5s,10s,20s,30s"
    drain_timeout: float = 180.0

    @property
    def private_services(self) -> bool:
        return "broker" in self.faults or "clickhouse" in self.faults

    @classmethod
    def from_env(cls, **defaults: Any) -> ChaosPlan:
        plan = cls(**defaults)
        env = os.environ
        faults = env.get("CHAOS_FAULTS")
        return dataclasses.replace(
            plan,
            seconds=float(env.get("CHAOS_SECONDS", plan.seconds)),
            rate=float(env.get("CHAOS_RATE", plan.rate)),
            fault_interval=float(env.get("CHAOS_FAULT_INTERVAL", plan.fault_interval)),
            faults=tuple(f.strip() for f in faults.split(",")) if faults else plan.faults,
            workers=int(env.get("CHAOS_WORKERS", plan.workers)),
            separate_sink=env.get("CHAOS_SEPARATE_SINK", "1" if plan.separate_sink else "0") == "1",
            delete_rocksdb=env.get("CHAOS_DELETE_ROCKSDB", plan.delete_rocksdb),
            separate_delivery=env.get(
                "CHAOS_SEPARATE_DELIVERY", "1" if plan.separate_delivery else "0"
            )
            == "1",
        )
