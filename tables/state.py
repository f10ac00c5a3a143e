"""The worker's state layer: typed tables whose writes are coalesced per batch.

Layers, as in Kafka Streams' stores (metrics -> caching -> changelog -> bytes):

``TableState``
    typed values (``decode``/``encode`` of one table's record), a write cache
    that coalesces every change of one batch into one write per key, and the
    commit that turns the cache into changelog records plus one local write
    batch per partition.
``Backend``
    the bytes: :class:`RocksBackend` over a Faust table's RocksDB store (the
    worker), or :class:`MemoryBackend` (the broker-less test driver).

Why not Faust's ``table[key] = value``: each one sends its own changelog
record through Faust's producer (~60 µs, one Kafka record per write). Here a
batch of envelopes writes each key it changed once, and the records go
through the engine's librdkafka producer (:mod:`attrib.engine.sender`).
The changelog records have Faust's format (key, value, tombstone), so
Faust's recovery and standby replicas read them unchanged.

Order of a commit (``agents`` do it through :func:`commit_batch`): the
outputs of the batch are acknowledged first, then the changelog records,
then the local RocksDB write. A crash in between repeats outputs (same ids,
counted once downstream) and never records a state whose outputs were lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar

V = TypeVar("V")

#: Marks a deleted key in the write cache.
_DELETED: Any = object()


class _Raw:
    """A value written as is (an index entry of the table's own), not encoded.

    A holder, not a ``bytes`` subclass: wrapping copied every index entry's bytes
    once more on the engine's hottest path.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw


class Backend(Protocol):
    """Bytes of one table, per partition."""

    def get(self, partition: int, key: bytes) -> bytes | None: ...

    def write(self, partition: int, changes: dict[bytes, bytes | None]) -> None:
        """Apply ``changes`` (``None`` deletes) to the partition at once."""

    def keys_after(self, partition: int, after: bytes | None, limit: int) -> list[bytes]:
        """Up to ``limit`` of the partition's keys after ``after``, in key order."""

    def items(self, partition: int) -> Iterator[tuple[bytes, bytes]]: ...

    def range(self, partition: int, start: bytes, end: bytes) -> list[tuple[bytes, bytes]]:
        """The partition's ``(key, value)`` with ``start <= key < end``, in key order."""

    def acknowledged(self, partition: int, offset: int) -> None:
        """The changelog holds this partition's writes up to ``offset``."""


class MemoryBackend:
    """A table in memory: for the test driver and the unit tests."""

    def __init__(self) -> None:
        self.partitions: dict[int, dict[bytes, bytes]] = {}
        self.offsets: dict[int, int] = {}

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self.partitions.get(partition, {}).get(key)

    def write(self, partition: int, changes: dict[bytes, bytes | None]) -> None:
        data = self.partitions.setdefault(partition, {})
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value

    def keys_after(self, partition: int, after: bytes | None, limit: int) -> list[bytes]:
        keys = sorted(k for k in self.partitions.get(partition, {}) if after is None or k > after)
        return keys[:limit]

    def items(self, partition: int) -> Iterator[tuple[bytes, bytes]]:
        yield from list(self.partitions.get(partition, {}).items())

    def range(self, partition: int, start: bytes, end: bytes) -> list[tuple[bytes, bytes]]:
        data = self.partitions.get(partition, {})
        return sorted((k, v) for k, v in data.items() if start <= k < end)

    def acknowledged(self, partition: int, offset: int) -> None:
        self.offsets[partition] = offset


class MutatedValueError(RuntimeError):
    """A value kept by :class:`RecentValues` no longer encodes to the bytes stored for it."""


class RecentValues:
    """Decoded values of the latest batches' reads and writes, so that the next get of
    the same key does not decode its bytes again.

    A pending install is written when it arrives, read again when its lookups
    are sent and once more when they are answered: three decodes of the same
    bytes (about 4 µs each) that this keeps to none. Two generations bound the
    memory: when the values of the newer one reach ``budget`` bytes (encoded; a
    decoded value takes 1-4 times as much), it becomes the older one, and the
    older one is dropped.

    It relies on values being immutable: every transition of a table's value
    (``attrib.engine.pending``, ``devices``, ``waiting``) returns a new value and
    puts it. ``check`` (the test driver's) verifies it on every hit: a value
    changed in place raises :class:`MutatedValueError`.
    """

    __slots__ = ("_new", "_new_bytes", "_old", "budget", "check")

    def __init__(self, budget: int, check: Callable[[tuple[int, bytes], Any], None] | None) -> None:
        self.budget = budget
        self.check = check
        self._new: dict[tuple[int, bytes], Any] = {}
        self._old: dict[tuple[int, bytes], Any] = {}
        self._new_bytes = 0

    def get(self, pk: tuple[int, bytes]) -> Any:
        value = self._new.get(pk)
        if value is None:
            value = self._old.get(pk)
        if value is not None and self.check is not None:
            self.check(pk, value)
        return value

    def put(self, pk: tuple[int, bytes], value: Any, size: int) -> None:
        """Keep ``value`` (``size``: its encoded bytes)."""
        if size > self.budget:
            self.drop(pk)  # larger than a generation: never kept
            return
        if self._new_bytes + size > self.budget:
            self._old, self._new, self._new_bytes = self._new, {}, 0
        self._new[pk] = value
        self._new_bytes += size

    def drop(self, pk: tuple[int, bytes]) -> None:
        self._new.pop(pk, None)
        self._old.pop(pk, None)

    def clear(self) -> None:
        self._new, self._old, self._new_bytes = {}, {}, 0

    def __len__(self) -> int:
        return len(self._new) + len(self._old)


class TableState(Generic[V]):
    """One table's typed values with a per-batch write cache.

    ``get`` sees the batch's own writes; ``commit`` hands the changes over
    (encoded) and empties the cache. Keys are the table's raw bytes keys;
    every call names the partition (the one of the record being processed:
    tables are co-partitioned with the topics their agents read).

    With ``recent_bytes`` > 0, the decoded values of the latest reads and writes
    are kept (:class:`RecentValues`, two generations of that many encoded bytes),
    so values must never be changed in place; ``verify_recent`` checks that on
    every hit (for the tests).
    """

    def __init__(
        self,
        name: str,
        backend: Backend,
        *,
        decode: Callable[[bytes], V | None],
        encode: Callable[[V], bytes],
        recent_bytes: int = 0,
        verify_recent: bool = False,
    ) -> None:
        self.name = name
        self.backend = backend
        self._decode = decode
        self._encode = encode
        self._cache: dict[tuple[int, bytes], Any] = {}
        self._recent = RecentValues(
            recent_bytes, check=self._check_unchanged if verify_recent else None
        )

    def get(self, partition: int, key: bytes) -> V | None:
        pk = (partition, key)
        cached = self._cache.get(pk)
        if cached is not None:
            if type(cached) is _Raw:
                return self._decode(cached.raw)
            return None if cached is _DELETED else cached
        recent = self._recent
        if recent.budget:
            value = recent.get(pk)
            if value is not None:
                return value  # type: ignore[no-any-return]
        raw = self.backend.get(partition, key)
        if raw is None:
            return None
        decoded = self._decode(raw)
        if decoded is not None and recent.budget:
            recent.put(pk, decoded, len(raw))
        return decoded

    def forget_recent(self) -> None:
        """Drop the values kept from earlier batches: after a rebalance, when another
        worker may have changed a partition this one owned before."""
        self._recent.clear()

    def _check_unchanged(self, pk: tuple[int, bytes], value: Any) -> None:
        stored = self.backend.get(*pk)
        if stored is None or self._encode(value) != stored:
            raise MutatedValueError(
                f"a value of {self.name!r} (key {pk[1]!r}) was changed in place after it "
                "was read or written: values are immutable, put a new one instead"
            )

    def get_raw(self, partition: int, key: bytes) -> bytes | None:
        """The bytes of a key written with :meth:`put_raw` (a secondary index entry)."""
        cached = self._cache.get((partition, key))
        if cached is not None:
            if type(cached) is _Raw:
                return cached.raw
            return None if cached is _DELETED else bytes(cached)
        return self.backend.get(partition, key)

    def put(self, partition: int, key: bytes, value: V) -> None:
        self._cache[(partition, key)] = value

    def delete(self, partition: int, key: bytes) -> None:
        self._cache[(partition, key)] = _DELETED

    def put_raw(self, partition: int, key: bytes, raw: bytes) -> None:
        """Write bytes as they are (a secondary index entry); never read back as a value."""
        self._cache[(partition, key)] = _Raw(raw)

    def put_or_delete(self, partition: int, key: bytes, value: V | None) -> None:
        """``put`` a value, ``delete`` on ``None`` (an empty list is stored as ``None``)."""
        if value is None:
            self.delete(partition, key)
        else:
            self.put(partition, key, value)

    def cached(self, partition: int, key: bytes) -> bool:
        """Whether ``key`` has a change in the write cache (not in the backend yet)."""
        return (partition, key) in self._cache

    @property
    def dirty(self) -> int:
        return len(self._cache)

    def take_changes(self) -> dict[int, dict[bytes, bytes | None]]:
        """The batch's changes, encoded, per partition; the cache is emptied."""
        changes: dict[int, dict[bytes, bytes | None]] = {}
        encode = self._encode
        recent = self._recent
        for pk, value in self._cache.items():
            if value is _DELETED:
                encoded = None
                recent.drop(pk)
            elif type(value) is _Raw:
                encoded = value.raw
                recent.drop(pk)
            else:
                encoded = encode(value)
                if recent.budget:
                    recent.put(pk, value, len(encoded))
            changes.setdefault(pk[0], {})[pk[1]] = encoded
        self._cache.clear()
        return changes

    def keys_after(self, partition: int, after: bytes | None, limit: int) -> list[bytes]:
        return self.backend.keys_after(partition, after, limit)

    def items(self, partition: int) -> Iterator[tuple[bytes, V]]:
        for key, raw in self.backend.items(partition):
            value = self._decode(raw)
            if value is not None:
                yield key, value


class BytesTableState(TableState[bytes]):
    """A table whose values are their own bytes (the touch index: its layout is
    :mod:`attrib.engine.touch_store`'s), with a write cache per partition.

    The cache is the partition's batch of changes as the backend takes it
    (``None`` deletes), so committing it costs nothing per key: a touch is filed
    under about five keys (entries and expiry keys), and wrapping each one and
    regrouping it by partition at the commit was ~7% of the worker's samples.
    """

    def __init__(self, name: str, backend: Backend) -> None:
        super().__init__(name, backend, decode=_same, encode=_same)
        self._writes: dict[int, dict[bytes, bytes | None]] = {}

    def writes(self, partition: int) -> dict[bytes, bytes | None]:
        """The batch's changes of one partition: assign a key its bytes to put it, or
        ``None`` to delete it (for a hot loop; same as :meth:`put_raw` and :meth:`delete`)."""
        changes = self._writes.get(partition)
        if changes is None:
            changes = self._writes[partition] = {}
        return changes

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self.get_raw(partition, key)

    def get_raw(self, partition: int, key: bytes) -> bytes | None:
        changes = self._writes.get(partition)
        if changes is not None and key in changes:
            return changes[key]
        return self.backend.get(partition, key)

    def put(self, partition: int, key: bytes, value: bytes) -> None:
        self.writes(partition)[key] = value

    def put_raw(self, partition: int, key: bytes, raw: bytes) -> None:
        self.writes(partition)[key] = raw

    def delete(self, partition: int, key: bytes) -> None:
        self.writes(partition)[key] = None

    def cached(self, partition: int, key: bytes) -> bool:
        changes = self._writes.get(partition)
        return changes is not None and key in changes

    @property
    def dirty(self) -> int:
        return sum(len(changes) for changes in self._writes.values())

    def take_changes(self) -> dict[int, dict[bytes, bytes | None]]:
        changes = {p: c for p, c in self._writes.items() if c}
        self._writes = {}
        return changes


def _same(raw: bytes) -> bytes:
    return raw


class RocksBackend:
    """A Faust table's RocksDB store, read and written by partition.

    Faust's own ``table[key]`` needs the current event to find the partition;
    the engine knows it (every envelope belongs to one partition), so it goes
    to the partition's database directly, with one write batch per commit.
    """

    def __init__(self, table: Any) -> None:
        self.table = table

    def _db(self, partition: int) -> Any:
        return self.table.data._db_for_partition(partition)

    def get(self, partition: int, key: bytes) -> bytes | None:
        value: bytes | None = self._db(partition).get(key)
        return value

    def write(self, partition: int, changes: dict[bytes, bytes | None]) -> None:
        import rocksdict

        batch = rocksdict.WriteBatch(raw_mode=True)
        for key, value in changes.items():
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
        self._db(partition).write(batch)

    def keys_after(self, partition: int, after: bytes | None, limit: int) -> list[bytes]:
        db = self._db(partition)
        keys: list[bytes] = []
        iterator = db.keys(from_key=after) if after is not None else db.keys()
        for raw_key in iterator:
            if raw_key == after or raw_key.startswith(b"__faust"):
                continue  # the cursor itself, or Faust's persisted offset
            keys.append(raw_key)
            if len(keys) >= limit:
                break
        return keys

    def items(self, partition: int) -> Iterator[tuple[bytes, bytes]]:
        for key, value in self._db(partition).items():
            if not key.startswith(b"__faust"):
                yield key, value

    def range(self, partition: int, start: bytes, end: bytes) -> list[tuple[bytes, bytes]]:
        found: list[tuple[bytes, bytes]] = []
        for key, value in self._db(partition).items(from_key=start):
            if key >= end:
                break
            found.append((key, value))
        return found

    def acknowledged(self, partition: int, offset: int) -> None:
        from faust.types import TP

        self.table.data.set_persisted_offset(TP(self.changelog, partition), offset)

    @property
    def changelog(self) -> str:
        name: str = self.table.changelog_topic.get_topic_name()
        return name
