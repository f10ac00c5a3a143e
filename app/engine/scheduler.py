"""Due times of pending installs, in processing time (R4).

A heap of ``(due_ms, seq, install_key, event_id)``: equal due times come out
in the order they were pushed (arrival order), so two sessions of a device
that arrived in one batch are decided in that order (the first one
re-engages, R23). It lives in memory: after a
restart or a rebalance it is rebuilt from the ``pending-installs`` table
(the durable truth), and installs whose lookups were already sent get them
again, which the decision tolerates (answers are applied once per key).
"""

from __future__ import annotations

import heapq


class DueQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[int, int, bytes, str]] = []
        self._queued: set[tuple[bytes, str]] = set()
        self._seq = 0

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, due_ms: int, install_key: bytes, event_id: str) -> None:
        item = (install_key, event_id)
        if item in self._queued:
            return
        self._queued.add(item)
        self._seq += 1
        heapq.heappush(self._heap, (due_ms, self._seq, install_key, event_id))

    def next_due_ms(self) -> int | None:
        """The earliest due time queued (None: nothing queued)."""
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now_ms: int, limit: int | None = None) -> list[tuple[bytes, str]]:
        """Queued installs whose due time has come (at most ``limit``), earliest first,
        then in push order."""
        due: list[tuple[bytes, str]] = []
        while self._heap and self._heap[0][0] <= now_ms and (limit is None or len(due) < limit):
            _, _, key, event_id = heapq.heappop(self._heap)
            self._queued.discard((key, event_id))
            due.append((key, event_id))
        return due

    def clear(self) -> None:
        self._heap.clear()
        self._queued.clear()
