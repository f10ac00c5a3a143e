"""An in-memory table that answers range scans in order without scanning every key.

:class:`attrib.tables.state.MemoryBackend` sorts the whole partition for each
range scan, which is fine for a test's few records but quadratic over a
replay's millions (every touch lookup is a range scan of the touch index).
This one keeps each partition's keys in a sorted list beside the dict, as
RocksDB keeps them on disk, so a scan costs its result plus a binary search.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

from attrib.tables.state import MemoryBackend


class SortedMemoryBackend(MemoryBackend):
    """:class:`MemoryBackend` with each partition's keys kept sorted."""

    def __init__(self) -> None:
        super().__init__()
        self._sorted: dict[int, list[bytes]] = {}

    def write(self, partition: int, changes: dict[bytes, bytes | None]) -> None:
        data = self.partitions.setdefault(partition, {})
        keys = self._sorted.setdefault(partition, [])
        for key, value in changes.items():
            if value is None:
                if data.pop(key, None) is not None:
                    del keys[bisect_left(keys, key)]
            else:
                if key not in data:
                    insort(keys, key)
                data[key] = value

    def keys_after(self, partition: int, after: bytes | None, limit: int) -> list[bytes]:
        keys = self._sorted.get(partition, [])
        start = 0 if after is None else bisect_right(keys, after)
        return keys[start : start + limit]

    def range(self, partition: int, start: bytes, end: bytes) -> list[tuple[bytes, bytes]]:
        keys = self._sorted.get(partition, [])
        data = self.partitions.get(partition, {})
        return [(k, data[k]) for k in keys[bisect_left(keys, start) : bisect_left(keys, end)]]


__all__ = ["SortedMemoryBackend"]
