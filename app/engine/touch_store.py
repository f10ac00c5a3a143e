"""The touch index's processor: file index entries, sweep, answer lookups.

Runs on the partitions of the touch index (``touch-index`` and
``touch-lookup`` envelopes are sent to the partition of their key). Pure
over a :class:`~attrib.tables.state.TableState` of touch lists: the agents
(``agents/store_touches.py``, ``agents/answer_lookups.py``) and the table's
recovery (``tables/touch_index.py``) call the same functions, so a
recovered index equals the one that was written.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from attrib.engine import touch_lists
from attrib.engine.batching import by_partition
from attrib.engine.index import HORIZON_MS, kind_of
from attrib.engine.outbox import Outbox
from attrib.engine.topics import EngineTopics
from attrib.tables.state import TableState

#: Expiry-index entries examined by a sweep per key written (an envelope's
#: sweep), and by one timer-driven sweep of a partition.
SWEEP_PER_WRITE = 4
SWEEP_CHUNK = 5_000

#: The expiry index lives in the table's own key space, after every index key
#: (which start with a letter): ``EXPIRY_PREFIX + 8-byte due time + key``.
EXPIRY_PREFIX = b"\xffx|"


def expiry_key(due_ms: int, key: bytes) -> bytes:
    return EXPIRY_PREFIX + max(0, due_ms).to_bytes(8, "big") + key


def parse_expiry_key(raw: bytes) -> tuple[int, bytes]:
    start = len(EXPIRY_PREFIX)
    return int.from_bytes(raw[start : start + 8], "big"), raw[start + 8 :]


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
                due = newest_received[key] + HORIZON_MS[kind_of(key)]
                touches.put_raw(partition, expiry_key(due, raw_key), b"")
        return len(by_key)

    def sweep(self, partition: int, now_ms: int, limit: int = SWEEP_CHUNK) -> tuple[int, int]:
        """Visit the partition's keys whose retention may have run out (at most ``limit``
        entries of the expiry index, earliest first); drop what retention drops.

        An index key gets an expiry entry each time a touch is filed under it, due
        a horizon after that touch's reception; a key still kept by event time (a
        partition whose event time stands still) is looked at again a horizon
        later. So a sweep costs what is due, not what is stored, and keeps up with
        any write rate. Returns (keys deleted, keys shrunk).
        """
        watermark = self.watermarks[partition]
        if watermark == 0:
            return 0, 0
        touches = self.touches
        deleted = shrunk = 0
        for raw in touches.keys_after(partition, EXPIRY_PREFIX, limit):
            if not raw.startswith(EXPIRY_PREFIX):
                break
            due, raw_key = parse_expiry_key(raw)
            if due > now_ms:
                break
            touches.delete(partition, raw)
            entries = touches.get(partition, raw_key)
            if not entries:
                continue  # deleted already (an older entry of the same key)
            key = raw_key.decode()
            kept = touch_lists.unexpired(entries, key=key, watermark_ms=watermark, now_ms=now_ms)
            if not kept:
                touches.delete(partition, raw_key)
                deleted += 1
                continue
            if len(kept) < len(entries):
                touches.put(partition, raw_key, kept)
                shrunk += 1
            # Look again when the first of the kept touches may go: when both its
            # event-time and its reception horizon have passed (event time assumed
            # to move on like processing time; at least a minute from now).
            horizon = HORIZON_MS[kind_of(key)]
            wait = min(max(t + horizon - watermark, r + horizon - now_ms) for _, t, _, r in kept)
            touches.put_raw(partition, expiry_key(now_ms + max(60_000, wait), raw_key), b"")
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
