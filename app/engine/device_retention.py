"""Forgetting inactive devices: ``devices`` and ``conversion-data`` do not grow forever.

A device is forgotten when it has been inactive for the deployment's
``device_retention`` both in processing time (its registry entry has not
changed) and in event time (its last activity is that far before the newest
event time seen on its partition), and nothing about it is pending or
waiting. The default (760 d) is the longest re-attribution window plus the
longest inactivity period an app may configure, so no rule can still need
the entry (R18–R20). A conversion-data answer is forgotten when it has not
been written for the same time.

Sweeps are incremental: each visits the next ``limit`` keys of a partition,
continuing where the last one stopped, so the event loop is never held long.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from attrib.engine.metrics import DEVICES_EXPIRED
from attrib.tables.state import TableState

SWEEP_CHUNK = 2_000


class DeviceRetention:
    def __init__(self, tables: Any, conversions: TableState[Any], *, retention_ms: int) -> None:
        self.tables = tables
        self.conversions = conversions
        self.retention_ms = retention_ms
        self._device_cursor: dict[int, bytes | None] = defaultdict(lambda: None)
        self._conversion_cursor: dict[int, bytes | None] = defaultdict(lambda: None)

    def expired_device(self, state: dict[str, Any], *, now_ms: int, watermark_ms: int) -> bool:
        return (
            state.get("touched_ms", 0) < now_ms - self.retention_ms
            and state["last_activity_time"] < watermark_ms - self.retention_ms
        )

    def sweep_devices(
        self, partition: int, *, now_ms: int, watermark_ms: int, limit: int = SWEEP_CHUNK
    ) -> int:
        """Forget the inactive devices among the partition's next ``limit`` keys."""
        if watermark_ms == 0:
            return 0  # no event time seen yet on this partition
        devices = self.tables.devices
        keys = devices.keys_after(partition, self._device_cursor[partition], limit)
        self._device_cursor[partition] = keys[-1] if len(keys) == limit else None
        forgotten = 0
        for key in keys:
            state = devices.get(partition, key)
            if state is None or not self.expired_device(
                state, now_ms=now_ms, watermark_ms=watermark_ms
            ):
                continue
            if self.tables.pending.get(partition, key) or self.tables.waiting.get(partition, key):
                continue
            devices.delete(partition, key)
            forgotten += 1
        DEVICES_EXPIRED.labels("devices").inc(forgotten)
        return forgotten

    def sweep_conversions(self, partition: int, *, now_ms: int, limit: int = SWEEP_CHUNK) -> int:
        """Forget the answers among the partition's next ``limit`` keys not written for
        the retention."""
        keys = self.conversions.keys_after(partition, self._conversion_cursor[partition], limit)
        self._conversion_cursor[partition] = keys[-1] if len(keys) == limit else None
        forgotten = 0
        for key in keys:
            value = self.conversions.get(partition, key)
            if value is not None and value[0] < now_ms - self.retention_ms:
                self.conversions.delete(partition, key)
                forgotten += 1
        DEVICES_EXPIRED.labels("conversion-data").inc(forgotten)
        return forgotten
