"""The touch index's processor: file index entries, sweep, answer lookups.

Runs on the partitions of the touch index (``touch-index`` and
``touch-lookup`` envelopes are sent to the partition of their key). Pure
over a :class:`~attrib.tables.state.TableState` of touch lists: the agents
(``agents/store_touches.py``, ``agents/answer_lookups.py``) and the table's
recovery (``tables/touch_index.py``) call the same functions, so a
recovered index equals the one that was written.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from typing import Any

from attrib.engine import touch_lists
from attrib.engine.batching import by_partition
from attrib.engine.index import HORIZON_MS, kind_of
from attrib.engine.outbox import Outbox
from attrib.engine.topics import EngineTopics
from attrib.tables.state import TableState

#: Expiry-index entries examined by a sweep per envelope filed, and by one
#: timer-driven sweep of a partition.
SWEEP_PER_ENVELOPE = 4
SWEEP_CHUNK = 64

#: The expiry index lives in the table's own key space, after every index key
#: (which start with a letter): ``EXPIRY_PREFIX + 8-byte due time + 8-byte
#: sequence``, whose value lists the keys (length-prefixed) due then. One entry
#: per envelope and due minute: a key costs its own bytes once more, not a
#: RocksDB entry of its own.
EXPIRY_PREFIX = b"\xffx|"
DUE_ROUNDING_MS = 60_000

_sequence = itertools.count(time.time_ns())


def expiry_key(due_ms: int) -> bytes:
    due = -(-max(0, due_ms) // DUE_ROUNDING_MS) * DUE_ROUNDING_MS  # rounded up
    return (
        EXPIRY_PREFIX + due.to_bytes(8, "big") + (next(_sequence) & (2**64 - 1)).to_bytes(8, "big")
    )


def due_of(raw: bytes) -> int:
    start = len(EXPIRY_PREFIX)
    return int.from_bytes(raw[start : start + 8], "big")


def pack_keys(keys: list[bytes]) -> bytes:
    return b"".join(len(k).to_bytes(2, "big") + k for k in keys)


def unpack_keys(packed: bytes) -> list[bytes]:
    keys, i = [], 0
    while i + 2 <= len(packed):
        size = int.from_bytes(packed[i : i + 2], "big")
        keys.append(packed[i + 2 : i + 2 + size])
        i += 2 + size
    return keys


class TouchIndex:
    def __init__(self, touches: TableState[list[touch_lists.Entry]]) -> None:
        self.touches = touches
        #: Newest touch time seen per partition: the event-time side of retention.
        self.watermarks: dict[int, int] = defaultdict(int)

    def file(self, partition: int, entries: list[dict[str, Any]], now_ms: int) -> int:
        """Merge index entries (``TouchIndexEntry`` dicts) into their keys' lists.

        Each key is read and written once. Returns the number of keys written.
        """
        by_key: dict[str, list[touch_lists.Entry]] = defaultdict(list)
        newest_received: dict[str, int] = defaultdict(int)
        watermark = self.watermarks[partition]
        for entry in entries:
            touch_time = entry["touch_time"]
            received = entry.get("received_time") or touch_time
            by_key[entry["key"]].append((entry["touch_id"], touch_time, entry["touch"], received))
            if received > newest_received[entry["key"]]:
                newest_received[entry["key"]] = received
            if touch_time > watermark:
                watermark = touch_time
        self.watermarks[partition] = watermark
        touches = self.touches
        due: dict[int, list[bytes]] = defaultdict(list)
        for key, new in by_key.items():
            raw_key = key.encode()
            merged = touch_lists.merge(
                touches.get(partition, raw_key) or [],
                new,
                key=key,
                watermark_ms=watermark,
                now_ms=now_ms,
            )
            touches.put_or_delete(partition, raw_key, merged or None)
            if merged:
                # Due for a look when retention may drop what was just filed.
                due_ms = newest_received[key] + HORIZON_MS[kind_of(key)]
                due[-(-due_ms // DUE_ROUNDING_MS)].append(raw_key)
        for minute, keys in due.items():
            touches.put_raw(partition, expiry_key(minute * DUE_ROUNDING_MS), pack_keys(keys))
        return len(by_key)

    def sweep(self, partition: int, now_ms: int, limit: int = SWEEP_CHUNK) -> tuple[int, int]:
        """Visit the keys whose retention may have run out (at most ``limit`` entries
        of the expiry index, earliest first); drop what retention drops.

        A key is listed in the expiry index each time a touch is filed under it,
        due a horizon after that touch's reception; a key still kept (by event
        time on a partition whose event time stands still, or by a newer touch)
        is listed again for when its first touch may go. So a sweep costs what
        is due, not what is stored, and keeps up with any write rate. Returns
        (keys deleted, keys shrunk).
        """
        watermark = self.watermarks[partition]
        if watermark == 0:
            return 0, 0
        touches = self.touches
        deleted = shrunk = 0
        again: dict[int, list[bytes]] = defaultdict(list)
        for raw in touches.keys_after(partition, EXPIRY_PREFIX, limit):
            if not raw.startswith(EXPIRY_PREFIX) or due_of(raw) > now_ms:
                break
            packed = touches.get_raw(partition, raw) or b""
            touches.delete(partition, raw)
            for raw_key in unpack_keys(packed):
                entries = touches.get(partition, raw_key)
                if not entries:
                    continue  # deleted already (listed more than once)
                key = raw_key.decode()
                kept = touch_lists.unexpired(
                    entries, key=key, watermark_ms=watermark, now_ms=now_ms
                )
                if not kept:
                    touches.delete(partition, raw_key)
                    deleted += 1
                    continue
                if len(kept) < len(entries):
                    touches.put(partition, raw_key, kept)
                    shrunk += 1
                # Look again when the first of the kept touches may go: when both
                # its event-time and its reception horizon have passed (event time
                # assumed to move on like processing time; at least a minute on).
                horizon = HORIZON_MS[kind_of(key)]
                wait = min(
                    max(t + horizon - watermark, r + horizon - now_ms) for _, t, _, r in kept
                )
                again[-(-(now_ms + max(60_000, wait)) // DUE_ROUNDING_MS)].append(raw_key)
        for minute, keys in again.items():
            touches.put_raw(partition, expiry_key(minute * DUE_ROUNDING_MS), pack_keys(keys))
        return deleted, shrunk

    def answer(
        self, partition: int, lookups: list[dict[str, Any]], topics: EngineTopics, outbox: Outbox
    ) -> None:
        """Answer ``LookupBatch`` lookups on ``install-candidates`` (every lookup gets an
        answer, empty or not, so the decision knows when it has them all)."""
        answers: list[tuple[str, dict[str, Any]]] = []
        for lookup in lookups:
            key = lookup["key"]
            listed = self.touches.get(partition, key.encode())
            touches: list[bytes] = []
            if listed:
                touches = touch_lists.candidates(
                    listed,
                    install_time=lookup["install_time"],
                    key=key,
                    newer_than=lookup["newer_than"],
                )
            install_key = lookup["install_key"]
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
