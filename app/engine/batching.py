"""Grouping a batch's outputs by destination partition: one envelope each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TypeVar

from attrib.engine.partitioning import partition_for

T = TypeVar("T")


def by_partition(items: Iterable[tuple[str, T]], partitions: int) -> dict[int, list[T]]:
    """``{partition: [item, ...]}`` for ``(key, item)`` pairs, in input order."""
    grouped: dict[int, list[T]] = defaultdict(list)
    for key, item in items:
        grouped[partition_for(key.encode(), partitions)].append(item)
    return dict(grouped)
