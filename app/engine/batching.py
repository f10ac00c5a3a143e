"""Grouping a batch's outputs by destination partition, in bounded envelopes.

One envelope per destination partition amortises Faust's per-message cost;
but an envelope is one Kafka record, and a record is bounded (the producer's
``max_request_size``, 1 MiB by default; the broker's ``message.max.bytes``).
A catch-up after an outage can make thousands of installs due at once, so
envelopes are cut at :data:`MAX_ENVELOPE_BYTES` of payload.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from attrib.engine.partitioning import partition_for

T = TypeVar("T")

#: Payload bytes per envelope: well under Kafka's 1 MiB default record limit.
MAX_ENVELOPE_BYTES = 256 * 1024


def by_partition(items: Iterable[tuple[str, T]], partitions: int) -> dict[int, list[T]]:
    """``{partition: [item, ...]}`` for ``(key, item)`` pairs, in input order."""
    grouped: dict[int, list[T]] = defaultdict(list)
    for key, item in items:
        grouped[partition_for(key.encode(), partitions)].append(item)
    return dict(grouped)


def chunked(
    items: list[T], size_of: Callable[[T], int], max_bytes: int = MAX_ENVELOPE_BYTES
) -> Iterator[list[T]]:
    """``items`` cut into runs of at most ``max_bytes`` (a single larger item goes alone)."""
    chunk: list[T] = []
    size = 0
    for item in items:
        item_size = size_of(item)
        if chunk and size + item_size > max_bytes:
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += item_size
    if chunk:
        yield chunk


def approx_size(record: dict[str, Any]) -> int:
    """A cheap upper-bound-ish size of an envelope entry: its strings, bytes and lists."""
    total = 16
    for value in record.values():
        if isinstance(value, (bytes, str)):
            total += len(value) + 4
        elif isinstance(value, list):
            total += sum(len(v) + 4 if isinstance(v, (bytes, str)) else 8 for v in value)
        else:
            total += 8
    return total
