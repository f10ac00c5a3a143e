"""The Faust consumer of the worker as a lag source (:mod:`attrib.ops.lag`).

Every agent of the worker consumes through the one Faust consumer, so its
assignment covers every agent's partitions. The highwater is the one the
consumer learnt from its latest fetch, the committed offset the one Faust
committed last (its monitor records each commit); partitions without a
commit yet (nothing processed since assignment, or a table's changelog,
which Faust never commits) are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from attrib.ops.lag import partition_lag


def lags_from_offsets(
    assigned: Iterable[tuple[str, int]],
    highwater: Callable[[tuple[str, int]], int | None],
    committed: Mapping[tuple[str, int], int],
) -> dict[tuple[str, int], int]:
    """``{(topic, partition): lag}`` of the ``assigned`` partitions whose offsets are known."""
    out: dict[tuple[str, int], int] = {}
    for tp in assigned:
        try:
            high = highwater(tp)
        except Exception:  # revoked between the assignment and this read
            continue
        lag = partition_lag(high, committed.get(tp))
        if lag is not None:
            out[(tp[0], tp[1])] = lag
    return out


def faust_lag_source(app: Any) -> Callable[[], dict[tuple[str, int], int]]:
    """A lag source reading ``app``'s consumer and monitor (never a broker request)."""

    def source() -> dict[tuple[str, int], int]:
        consumer = app.consumer
        committed = {
            (tp.topic, tp.partition): off for tp, off in app.monitor.tp_committed_offsets.items()
        }
        by_pair = {(tp.topic, tp.partition): tp for tp in consumer.assignment()}
        return lags_from_offsets(by_pair, lambda pair: consumer.highwater(by_pair[pair]), committed)

    return source


__all__ = ["faust_lag_source", "lags_from_offsets"]
