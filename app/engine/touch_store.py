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
from attrib.engine.outbox import Outbox
from attrib.engine.topics import EngineTopics
from attrib.tables.state import TableState

#: Keys examined by a sweep per key written: the sweep visits every key of a
#: partition in (keys) / (2 x new keys per second), so it keeps up with any
#: write rate; an idle partition is swept by a timer instead.
SWEEP_PER_WRITE = 2
#: Keys examined by one timer-driven sweep of a partition.
SWEEP_CHUNK = 2_000


class TouchIndex:
    def __init__(self, touches: TableState[list[touch_lists.Entry]]) -> None:
        self.touches = touches
        #: Newest touch time seen per partition: the event-time side of retention.
        self.watermarks: dict[int, int] = defaultdict(int)
        self._cursors: dict[int, bytes | None] = defaultdict(lambda: None)

    def file(self, partition: int, entries: list[dict[str, Any]], now_ms: int) -> int:
        """Merge index entries (``TouchIndexEntry`` dicts) into their keys' lists.

        Each key is read and written once. Returns the number of keys written.
        """
        by_key: dict[str, list[touch_lists.Entry]] = defaultdict(list)
        watermark = self.watermarks[partition]
        for entry in entries:
            touch_time = entry["touch_time"]
            received = entry.get("received_time") or touch_time
            by_key[entry["key"]].append((entry["touch_id"], touch_time, entry["touch"], received))
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
        return len(by_key)

    def sweep(self, partition: int, now_ms: int, limit: int = SWEEP_CHUNK) -> tuple[int, int]:
        """Examine the partition's next ``limit`` keys; drop what retention drops.

        Returns (keys deleted, keys shrunk).
        """
        watermark = self.watermarks[partition]
        if watermark == 0:
            return 0, 0
        keys = self.touches.keys_after(partition, self._cursors[partition], limit)
        self._cursors[partition] = keys[-1] if len(keys) == limit else None  # wrap at the end
        deleted = shrunk = 0
        for raw_key in keys:
            entries = self.touches.get(partition, raw_key) or []
            kept = touch_lists.unexpired(
                entries, key=raw_key.decode(), watermark_ms=watermark, now_ms=now_ms
            )
            if not kept:
                self.touches.delete(partition, raw_key)
                deleted += 1
            elif len(kept) < len(entries):
                self.touches.put(partition, raw_key, kept)
                shrunk += 1
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
