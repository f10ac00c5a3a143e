"""Pending deliveries: their record in the retry topic, and the due-time queue.

The retry topic (``<faust_app_id>-delivery-retries``) is compacted and keyed
by delivery id. The value of a key is the delivery's next attempt (the whole
request, the attempt number and its due time); a tombstone means "nothing
left to do". Deliveries planned from input partition *p* (of any of the
three consumed topics) live in partition *p* of the retry topic, so the
member that owns input partition *p* loads exactly their retries.

Values are JSON (``"v": 1``). Neither the push secret nor the signature is
in them (Kafka clients log values at debug level): a push is signed when it
is attempted, with the endpoint's current secret.
"""

from __future__ import annotations

import base64
import heapq
import json
from collections.abc import Iterator

from attrib.delivery.model import Delivery, Pending

VERSION = 1
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def encode_pending(pending: Pending) -> bytes:
    d = pending.delivery
    value = {
        "v": VERSION,
        "id": d.delivery_id,
        "kind": d.kind,
        "app": d.app_id,
        "url": d.url,
        "subject": d.subject_id,
        "decided": d.decided_ms,
        "source": d.media_source,
        "body": None if d.body is None else base64.b64encode(d.body).decode(),
        "attempt": pending.attempt,
        "due": pending.due_ms,
    }
    return _ENCODER.encode(value).encode()


def decode_pending(data: bytes, partition: int) -> Pending:
    """The pending delivery of a retry-topic value; ``ValueError`` when unreadable."""
    try:
        value = json.loads(data)
        if value.get("v") != VERSION:
            raise ValueError(f"unknown retry record version {value.get('v')!r}")
        body = value["body"]
        delivery = Delivery(
            delivery_id=value["id"],
            kind=value["kind"],
            app_id=value["app"],
            url=value["url"],
            subject_id=value["subject"],
            decided_ms=int(value["decided"]),
            media_source=value["source"],
            body=None if body is None else base64.b64decode(body),
        )
        return Pending(delivery, int(value["attempt"]), int(value["due"]), partition)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"unreadable retry record: {type(exc).__name__}") from exc


class DueQueue:
    """Pending deliveries of the partitions this member owns, by due time.

    ``known`` answers "was this delivery id already taken on?" for ids read
    from the retry topic or planned since; removing a partition forgets its
    entries (its next owner loads them).
    """

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, str]] = []
        self._entries: dict[str, Pending] = {}
        self._seqs: dict[str, int] = {}  # the heap entry that is current for each id
        self._seq = 0
        self.retries = 0  # entries waiting for an attempt after the first

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, delivery_id: str) -> bool:
        return delivery_id in self._entries

    def put(self, pending: Pending) -> None:
        """Queue ``pending``, replacing any entry of the same delivery id."""
        ident = pending.delivery.delivery_id
        self.discard(ident)
        self._seq += 1
        self._entries[ident] = pending
        self._seqs[ident] = self._seq
        self.retries += pending.attempt > 1
        heapq.heappush(self._heap, (pending.due_ms, self._seq, ident))

    def discard(self, delivery_id: str) -> None:
        gone = self._entries.pop(delivery_id, None)
        self._seqs.pop(delivery_id, None)
        if gone is not None:
            self.retries -= gone.attempt > 1

    def next_due_ms(self) -> int | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now_ms: int) -> Iterator[Pending]:
        """Take out every entry due at ``now_ms``, earliest first."""
        while True:
            self._drop_stale()
            if not self._heap or self._heap[0][0] > now_ms:
                return
            _, _, ident = heapq.heappop(self._heap)
            self._seqs.pop(ident, None)  # in flight: known, no longer queued
            pending = self._entries.get(ident)
            if pending is not None:
                yield pending

    def drop_partitions(self, partitions: set[int]) -> None:
        for ident in [i for i, p in self._entries.items() if p.partition in partitions]:
            self.discard(ident)

    def _drop_stale(self) -> None:
        heap = self._heap
        seqs = self._seqs
        while heap:
            _, seq, ident = heap[0]
            if seqs.get(ident) == seq:
                return
            heapq.heappop(heap)


__all__ = ["DueQueue", "decode_pending", "encode_pending"]
