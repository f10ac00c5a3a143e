"""The touch index's processor: file index entries, sweep, answer lookups.

Runs on the partitions of the touch index (``touch-index`` and
``touch-lookup`` envelopes are sent to the partition of their key). Pure
over a :class:`~attrib.tables.state.BytesTableState`: the agents
(``agents/store_touches.py``, ``agents/answer_lookups.py``) and the table's
recovery (``tables/touch_index.py``) call the same functions, so a
recovered index equals the one that was written.

Layout of one partition's RocksDB (all keys bytes):

- a touch filed under an index key: ``index key + 0x00 + touch time (8 bytes,
  big-endian) + touch id`` → ``reception time (8 bytes) + the touch`` in the
  stored form of :mod:`attrib.engine.stored_touch` (the record less its id and
  two times, which the key and the reception time hold). One entry per touch
  and key: filing is one put (no list to read, decode, merge and write back; a
  repeated touch overwrites itself), and a lookup is one range scan over
  ``[T0 - horizon, T0]`` of its key, in time order.
- two expiry indexes, ``0xff 'e|'`` (event time) and ``0xff 'p|'``
  (processing time), each ``prefix + due step (8 bytes) + index key`` → empty:
  one expiry key per due step (:data:`DUE_ROUNDING_MS`) and index key, however
  many envelopes list it, so a busy key (a carrier's NAT address) is swept
  once per step, not once per envelope that filed a touch under it. A key is listed in the
  event-time index at the step of its touch's time plus the horizon; when the
  partition's event time passes that step, the sweep scans the key's entries
  of that step's touch times: an entry goes if its reception is a horizon old
  too, else the key is listed in the processing-time index at the step of the
  reception plus the horizon. There the sweep scans every entry of the key
  and asks the same question of each (the event-time watermark may be lower
  than when the key was listed: recovery from the changelog rebuilds it from the
  envelopes it files, and a store written before the watermark was kept starts
  it at 0; such an entry is then listed in the event-time index). A touch filed
  when event time is already past its horizon (kept for its reception only)
  lists its key in the processing-time index at once. Either clock may jump (a
  catch-up, a history import): each index is read against its own clock, so a
  sweep costs what is due, not what is stored. Listing index keys, not entry
  keys, and steps of 1/24 of a horizon, not hours: the expiry index took 35 of
  the 113 bytes on disk per indexed touch of ``bench/engine.py``, now about 14.
- ``0xff 'w|'`` → the partition's event-time watermark (:data:`WATERMARK_KEY`),
  written with the batch that raises it, read back after a restart.
"""

from __future__ import annotations

import heapq
import struct
from collections import defaultdict
from typing import Any

from attrib.engine import touch_lists
from attrib.engine.batching import by_partition
from attrib.engine.index import HORIZON_MS, MAX_TOUCHES_PER_KEY
from attrib.engine.index_envelope import IndexEntry
from attrib.engine.outbox import Outbox
from attrib.engine.stored_touch import restore
from attrib.engine.topics import EngineTopics
from attrib.tables.state import BytesTableState

#: Expiry keys examined by a sweep per envelope filed (and per entry it filed:
#: an entry lists at most one key, so a sweep visits twice what filing lists and
#: keeps up with any write rate), and by one timer-driven sweep of a partition
#: (the timer sweeps every partition the worker owns in one go on the event loop:
#: at most about as many entries as the 64 expiry entries of the layout before).
SWEEP_PER_ENVELOPE = 4
SWEEP_PER_ENTRY = 2
SWEEP_CHUNK = 128

EVENT_DUE = b"\xffe|"
PROCESSING_DUE = b"\xffp|"
#: Every key of the index's own (expiry indexes, the watermark) starts with this
#: (index keys start with a letter).
EXPIRY_PREFIX = b"\xff"
#: The partition's event-time watermark (8 bytes, big-endian). Not logged: recovery
#: files the envelopes again and so rebuilds it. A restart that keeps the store reads
#: it back, so event-time pruning does not wait for new touches to catch up.
WATERMARK_KEY = b"\xffw|"
#: Expiry keys are due on a grid of 1/24 of their kind's horizon (an hour for
#: fingerprints, 30 hours for ids and referrers): the touches of one key due in
#: the same step share one expiry key, and a touch outlives its horizon by at
#: most 1/24 of it.
DUE_STEPS_PER_HORIZON = 24
DUE_ROUNDING_MS: dict[str, int] = {
    kind: horizon // DUE_STEPS_PER_HORIZON for kind, horizon in HORIZON_MS.items()
}
#: The same by the first byte of an index key (the kind's letter).
_ROUNDING_BY_BYTE: dict[int, int] = {ord(k): v for k, v in DUE_ROUNDING_MS.items()}
_HORIZON_BY_BYTE: dict[int, int] = {ord(k): v for k, v in HORIZON_MS.items()}
SEPARATOR = b"\x00"

#: Length of an expiry key's prefix and due step.
_STEP_KEY = len(EVENT_DUE) + 8
#: The latest touch time a key's range scan reaches (all of them).
_LAST_TIME = 2**63 - 2
#: A due step no clock reaches.
_NEVER = 2**64
#: First bytes of index keys (their kinds' letters).
_KIND_BYTES = frozenset(ord(kind) for kind in HORIZON_MS)


_TIME = struct.Struct(">Q")


def entry_key(index_key: bytes, touch_time: int, touch_id: bytes) -> bytes:
    """The key of an index entry (what :meth:`TouchIndex.file` writes, inlined there)."""
    return index_key + SEPARATOR + max(0, touch_time).to_bytes(8, "big") + touch_id


def parse_entry_key(raw: bytes) -> tuple[bytes, int]:
    """``(index key, touch time)`` of an entry key."""
    cut = raw.index(SEPARATOR)
    return raw[:cut], int.from_bytes(raw[cut + 1 : cut + 9], "big")


def due_step(kind: str, due_ms: int) -> int:
    """``due_ms`` rounded up to the kind's grid (:data:`DUE_ROUNDING_MS`)."""
    rounding = DUE_ROUNDING_MS[kind]
    return -(-max(0, due_ms) // rounding) * rounding


def step_key(prefix: bytes, due_ms: int) -> bytes:
    """The start of every expiry key of one step: an expiry key is this + the index key."""
    return prefix + max(0, due_ms).to_bytes(8, "big")


def step_start(raw: bytes) -> bytes:
    """A key just before every expiry key of ``raw``'s step (never an expiry key itself:
    index keys are not empty), where a sweep may start without missing one."""
    return raw[:_STEP_KEY]


def due_of(raw: bytes) -> int:
    return int.from_bytes(raw[len(EVENT_DUE) : len(EVENT_DUE) + 8], "big")


def pack_keys(keys: list[bytes]) -> bytes:
    """The value of an expiry entry of the layout before this one (tests build them)."""
    return b"".join(len(k).to_bytes(2, "big") + k for k in keys)


def unpack_keys(packed: bytes) -> list[bytes]:
    keys, i = [], 0
    while i + 2 <= len(packed):
        size = int.from_bytes(packed[i : i + 2], "big")
        keys.append(packed[i + 2 : i + 2 + size])
        i += 2 + size
    return keys


def next_listing(
    index_key: bytes, touch_time: int, received: int, watermark: int, now_ms: int
) -> tuple[bytes, int] | None:
    """Where a swept entry is listed next: ``None`` when retention drops it, else the
    expiry index and step of the clock that keeps it (event time first)."""
    key = index_key.decode()
    if not touch_lists.keeps(key, touch_time, received, watermark_ms=watermark, now_ms=now_ms):
        return None
    kind = key[0]
    horizon = HORIZON_MS[kind]
    if touch_time >= watermark - horizon:
        return EVENT_DUE, due_step(kind, touch_time + horizon)
    return PROCESSING_DUE, due_step(kind, received + horizon)


class StoredWatermarks(dict[int, int]):
    """Newest touch time filed per partition, read from the store when first asked
    (:data:`WATERMARK_KEY`; 0 for a store without one)."""

    def __init__(self, touches: BytesTableState) -> None:
        super().__init__()
        self._touches = touches

    def __missing__(self, partition: int) -> int:
        raw = self._touches.get_raw(partition, WATERMARK_KEY)
        value = int.from_bytes(raw, "big") if raw is not None and len(raw) == 8 else 0
        self[partition] = value
        return value


class TouchIndex:
    def __init__(self, touches: BytesTableState) -> None:
        self.touches = touches
        #: Newest touch time seen per partition: the event-time side of retention.
        self.watermarks: dict[int, int] = StoredWatermarks(touches)
        #: Per (partition, expiry prefix): every expiry key in the backend sorts after
        #: this one. A sweep starts here, not at the prefix: a RocksDB iterator steps
        #: over the tombstones of swept entries one by one until compaction drops them,
        #: and seeking to the prefix cost each sweep every entry swept before it (10% of
        #: the worker's samples at a steady 3,000 touches/s).
        self.cursors: dict[tuple[int, bytes], bytes] = {}
        #: Per (partition, expiry prefix), the expiry keys listed in the write cache
        #: and maybe not written yet (a min-heap): a sweep reads the backend only, so
        #: its cursor must not pass them.
        self._unwritten: dict[tuple[int, bytes], list[bytes]] = defaultdict(list)
        #: Per (partition, expiry prefix): no expiry key is due before this step (the
        #: last sweep stopped at it, and nothing listed since is earlier). A sweep whose
        #: clock has not passed it returns without opening an iterator: most sweeps
        #: find nothing due, and seeking cost 4-5% of the worker's samples.
        self.next_due: dict[tuple[int, bytes], int] = {}

    def file(self, partition: int, entries: list[IndexEntry], now_ms: int) -> int:
        """File index entries (:mod:`attrib.engine.index_envelope`): one put each, none
        that retention would drop at once. Returns the number of entries filed."""
        touches = self.touches
        writes = touches.writes(partition)
        watermark = previous = self.watermarks[partition]
        for entry in entries:
            if entry[2] > watermark:
                watermark = entry[2]
        if watermark > previous:
            self.watermarks[partition] = watermark
            writes[WATERMARK_KEY] = _TIME.pack(watermark)
        due: dict[int, set[bytes]] = defaultdict(set)
        # Kept only because it was received lately (a backfill, a late source): event
        # time is already past its horizon and only moves on, so it is listed for its
        # reception's horizon at once, not moved there by a sweep later (after a
        # backlog of old touches, those moves were most of what the sweeps did).
        received_due: dict[int, set[bytes]] = defaultdict(set)
        # The loop is the engine's hottest per-entry code: touch_lists.keeps and
        # entry_key are inlined (tests/engine/test_touch_store.py holds it to them).
        horizon_of = _HORIZON_BY_BYTE
        rounding_of = _ROUNDING_BY_BYTE
        pack_time = _TIME.pack
        filed = 0
        for index_key, touch_id, touch_time, touch, received in entries:
            if not received:
                received = touch_time
            kind = index_key[0]
            kind_horizon = horizon_of[kind]
            if touch_time < watermark - kind_horizon and received < now_ms - kind_horizon:
                continue  # touch_lists.keeps: past its horizon in event time and since received
            if touch_time < 0:
                touch_time = 0  # as the key holds it (the intake refuses such times, R3)
            writes[b"%s\x00%s%s" % (index_key, pack_time(touch_time), touch_id)] = (
                pack_time(received) + touch
            )
            rounding = rounding_of[kind]
            if touch_time + kind_horizon < watermark:
                received_due[-(-(received + kind_horizon) // rounding) * rounding].add(index_key)
            else:
                due[-(-(touch_time + kind_horizon) // rounding) * rounding].add(index_key)
            filed += 1
        self._list(partition, EVENT_DUE, due)
        if received_due:
            self._list(partition, PROCESSING_DUE, received_due)
        return filed

    def file_and_sweep(
        self, partition: int, entries: list[IndexEntry], now_ms: int
    ) -> tuple[int, int]:
        """File an envelope's entries, then sweep what may be due: at most twice the
        expiry keys they listed, so sweeping keeps up with filing (``store-touches``
        and the test driver). Returns (entries filed, entries deleted)."""
        filed = self.file(partition, entries, now_ms)
        limit = SWEEP_PER_ENVELOPE + SWEEP_PER_ENTRY * filed
        deleted, _ = self.sweep(partition, now_ms, limit=limit)
        return filed, deleted

    def _list(self, partition: int, prefix: bytes, due: dict[int, set[bytes]]) -> None:
        """List index keys in an expiry index at their due steps (``due`` is keyed by
        steps of :func:`due_step`): one expiry key per step and index key, so a key
        listed by many envelopes is swept once per step."""
        cursor_slot = (partition, prefix)
        unwritten = self._unwritten[cursor_slot]
        writes = self.touches.writes(partition)
        for due_ms, keys in due.items():
            step = step_key(prefix, due_ms)
            for index_key in keys:
                writes[step + index_key] = b""
            cursor = self.cursors.get(cursor_slot)
            if cursor is not None and step < cursor:  # due before where sweeps start now
                self.cursors[cursor_slot] = step
            if due_ms < self.next_due.get(cursor_slot, 0):
                self.next_due[cursor_slot] = due_ms
            heapq.heappush(unwritten, step + min(keys))

    def written(self) -> None:
        """The write cache was written to the backend (its expiry keys are there now)."""
        self._unwritten.clear()

    def sweep(self, partition: int, now_ms: int, limit: int = SWEEP_CHUNK) -> tuple[int, int]:
        """Visit the entries whose retention may have run out (at most ``limit``
        expiry keys of each index, earliest first) and drop what retention drops; the
        key of an entry still kept by its reception is listed in the processing-time
        index. Returns (entries deleted, keys listed again)."""
        watermark = self.watermarks[partition]
        if watermark == 0:
            return 0, 0
        deleted = again = 0
        for prefix, clock in ((EVENT_DUE, watermark), (PROCESSING_DUE, now_ms)):
            gone, moved = self._sweep_index(
                partition, prefix, clock, watermark=watermark, now_ms=now_ms, limit=limit
            )
            deleted += gone
            again += moved
        return deleted, again

    def _sweep_index(
        self,
        partition: int,
        prefix: bytes,
        clock_ms: int,
        *,
        watermark: int,
        now_ms: int,
        limit: int,
    ) -> tuple[int, int]:
        cursor_slot = (partition, prefix)
        if self.next_due.get(cursor_slot, 0) >= clock_ms:
            return 0, 0  # nothing due yet (see ``next_due``)
        touches = self.touches
        deleted = 0
        unwritten = self._unwritten.get(cursor_slot)
        while unwritten and not touches.cached(partition, unwritten[0]):
            heapq.heappop(unwritten)  # written since: the cursor stayed before it
        swept_to = None
        relist: dict[bytes, dict[int, set[bytes]]] = {
            EVENT_DUE: defaultdict(set),
            PROCESSING_DUE: defaultdict(set),
        }
        keys = touches.keys_after(partition, self.cursors.get(cursor_slot, prefix), limit)
        # Where the next sweep has something to do: the first key not due, none when
        # the index ends before it, unknown (0) when ``limit`` stopped the scan.
        next_due = _NEVER if len(keys) < limit else 0
        for raw in keys:
            if not raw.startswith(prefix):
                next_due = _NEVER
                break
            due = due_of(raw)
            if due >= clock_ms:
                next_due = due
                break  # not due: a step is swept once its clock is past it (then every
                # entry it covers is past its horizon on that clock, none exactly at it)
            swept_to = raw
            if touches.cached(partition, raw):
                # Listed again in this batch (event time is exactly at the step): the
                # entries it lists may not be written yet, so it is swept once they are
                # (the cursor stops before it: ``unwritten``).
                continue
            index_key = raw[_STEP_KEY:]
            if index_key[0] not in _KIND_BYTES:  # written by the layout before this one
                entries = self._legacy_entries(partition, raw)
            else:
                entries = self._listed_entries(partition, prefix, raw, index_key)
            touches.delete(partition, raw)
            for raw_key, value in entries:
                index_key, touch_time = parse_entry_key(raw_key)
                received = int.from_bytes(value[:8], "big")
                listing = next_listing(index_key, touch_time, received, watermark, now_ms)
                if listing is None:
                    touches.delete(partition, raw_key)
                    deleted += 1
                else:
                    relist[listing[0]][listing[1]].add(index_key)
        if swept_to is not None:  # every expiry key up to it is swept (deleted)
            if unwritten and unwritten[0] <= swept_to:
                swept_to = step_start(unwritten[0])
            self.cursors[cursor_slot] = swept_to
        if unwritten:  # listed in the write cache, which the scan does not see
            next_due = min(next_due, due_of(unwritten[0]))
        self.next_due[cursor_slot] = next_due
        for other, due in relist.items():
            if due:
                self._list(partition, other, due)
        return deleted, sum(len(keys) for due in relist.values() for keys in due.values())

    def _listed_entries(
        self, partition: int, prefix: bytes, raw: bytes, index_key: bytes
    ) -> list[tuple[bytes, bytes]]:
        """The entries an expiry key may have to let go: in the event-time index, the
        key's entries of that step's touch times; in the processing-time index, all
        the key's entries (those it was listed for were past their horizon in event
        time then, but the watermark may be lower now: recovery from the changelog
        rebuilds it from what it files, so some may be inside it again and need an
        event-time listing)."""
        if prefix != EVENT_DUE:
            return self._stored(partition, index_key, 0, _LAST_TIME)
        kind = chr(index_key[0])
        due = due_of(raw)
        horizon = HORIZON_MS[kind]
        return self._stored(
            partition, index_key, due - DUE_ROUNDING_MS[kind] - horizon + 1, due - horizon
        )

    def _legacy_entries(self, partition: int, raw: bytes) -> list[tuple[bytes, bytes]]:
        """The entries listed by an expiry entry of the layout before index keys were
        listed (until 2026-12-06: ``prefix + due hour + 8-byte sequence`` → the entry
        keys due then, length-prefixed; the sequence came from the clock in
        nanoseconds, so its first byte is never a kind's letter). Stores written by
        that version keep such entries until they are due."""
        touches = self.touches
        found = []
        for raw_key in unpack_keys(touches.get_raw(partition, raw) or b""):
            value = touches.get_raw(partition, raw_key)
            if value is not None:  # else gone already
                found.append((raw_key, value))
        return found

    def _stored(
        self, partition: int, index_key: bytes, oldest: int, newest: int
    ) -> list[tuple[bytes, bytes]]:
        """The entries of ``index_key`` with touch times in ``[oldest, newest]``, as the
        write cache sees them (the backend's, less the batch's deletes)."""
        if newest < 0 or newest < oldest:
            return []
        prefix = index_key + SEPARATOR
        touches = self.touches
        found = touches.backend.range(
            partition,
            prefix + max(0, oldest).to_bytes(8, "big"),
            prefix + (newest + 1).to_bytes(8, "big"),
        )
        stored = []
        for raw_key, value in found:
            if touches.cached(partition, raw_key):
                current = touches.get_raw(partition, raw_key)
                if current is None:
                    continue  # deleted in this batch
                value = current
            stored.append((raw_key, value))
        return stored

    def candidates(
        self, partition: int, key: str, *, install_time: int, newer_than: int = 0
    ) -> list[bytes]:
        """The touches under ``key`` a lookup returns (newest first, at most
        :data:`MAX_TOUCHES_PER_KEY`): one range scan of the key's entries."""
        oldest, newest = touch_lists.lookup_window(
            key, install_time=install_time, newer_than=newer_than
        )
        prefix = key.encode() + SEPARATOR
        found = self.touches.backend.range(
            partition,
            prefix + max(0, oldest).to_bytes(8, "big"),
            prefix + (max(0, newest) + 1).to_bytes(8, "big"),
        )
        cut = len(prefix)
        return [
            restore(
                value[8:],
                raw_key[cut + 8 :],
                int.from_bytes(raw_key[cut : cut + 8], "big"),
                int.from_bytes(value[:8], "big"),
            )
            for raw_key, value in reversed(found[-MAX_TOUCHES_PER_KEY:])
        ]

    def answer(
        self, partition: int, lookups: list[dict[str, Any]], topics: EngineTopics, outbox: Outbox
    ) -> None:
        """Answer ``LookupBatch`` lookups on ``install-candidates`` (every lookup gets an
        answer, empty or not, so the decision knows when it has them all)."""
        answers: list[tuple[str, dict[str, Any]]] = []
        for lookup in lookups:
            key = lookup["key"]
            install_key = lookup["install_key"]
            touches = self.candidates(
                partition,
                key,
                install_time=lookup["install_time"],
                newer_than=lookup["newer_than"],
            )
            answers.append(
                (
                    install_key,
                    {
                        "install_key": install_key,
                        "event_id": lookup["event_id"],
                        "key": key,
                        "touches": touches,
                    },
                )
            )
        outbox.envelopes(
            topics.install_candidates,
            "CandidateBatch",
            "answers",
            by_partition(answers, topics.partitions),
        )
