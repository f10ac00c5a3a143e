"""Records for archive tests: Avro values of each topic, and reading an archive back."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from attrib.archive.flush import Raw
from attrib.avro import codec

HOUR_MS = 3_600_000
T0 = 1_764_547_200_000  # 2025-12-01 00:00:00 UTC


def touch(i: int, app_id: str = "app-a", at: int = T0, **fields: Any) -> bytes:
    record = {
        "touch_id": f"t-{i:08d}",
        "touch_type": "click",
        "app_id": app_id,
        "device_key": f"idfa:{i:032x}",
        "media_source": f"net{i % 3}",
        "touch_time": at,
        "received_time": at + 5,
        **fields,
    }
    return codec.encode("Touch", record)


def raws(values: list[bytes], start: int = 0, ts: int = T0) -> list[Raw]:
    return [(start + i, ts, f"k{start + i}".encode(), v) for i, v in enumerate(values)]


class StoreDown(OSError):
    """The store failing on purpose (a crash point)."""


class CrashingStore:
    """A store that fails its ``crash_at``-th write: a process killed at that point."""

    def __init__(self, inner: Any, crash_at: int) -> None:
        self.inner = inner
        self.url = inner.url
        self.crash_at = crash_at
        self.writes = 0

    def write(self, path: str, data: bytes) -> None:
        self.writes += 1
        if self.writes == self.crash_at:
            raise StoreDown(f"killed before writing {path}")
        self.inner.write(path, data)

    def read(self, path: str) -> bytes | None:
        return self.inner.read(path)

    def delete(self, path: str) -> None:
        self.inner.delete(path)


def parquet_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.parquet") if "_manifest" not in p.parts)


def archived_offsets(root: Path) -> Counter[tuple[str, int, int]]:
    """(topic, partition, offset) -> how many times the archive holds it."""
    seen: Counter[tuple[str, int, int]] = Counter()
    for path in parquet_files(root):
        topic = next(p for p in path.parts if p.startswith("topic=")).removeprefix("topic=")
        table = pq.read_table(path, columns=["_partition", "_offset"]).to_pydict()
        for partition, offset in zip(table["_partition"], table["_offset"], strict=True):
            seen[topic, partition, offset] += 1
    return seen
