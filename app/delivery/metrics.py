"""Prometheus metrics of the delivery stage (R35, R36). No label ever holds a URL or secret."""

from __future__ import annotations

import weakref
from typing import Any, Protocol

from prometheus_client import Counter, Gauge, Histogram

ATTEMPTS = Counter(
    "attrib_postback_attempts",
    "Postback and push attempts by kind (install, event, push) and status "
    "(delivered, retry, failed, dead), as in postback-deliveries.",
    ["kind", "status"],
)
DEAD = Counter(
    "attrib_postback_dead", "Deliveries given up after the last retry, by kind.", ["kind"]
)
LATENCY = Histogram(
    "attrib_postback_latency_seconds",
    "From the decision (its record's timestamp) to the delivered attempt's answer.",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300, 900, 3600, 7200),
)
PENDING = Gauge("attrib_postback_pending", "Deliveries waiting for an attempt (retries included).")
RETRIES_PENDING = Gauge("attrib_postback_retries_pending", "Deliveries waiting for a retry.")


class _Sized(Protocol):
    def __len__(self) -> int: ...

    @property
    def retries(self) -> int: ...


#: The due queues of the delivery stages running in this process (read when scraped).
_QUEUES: weakref.WeakSet[Any] = weakref.WeakSet()
PENDING.set_function(lambda: sum(len(q) for q in list(_QUEUES)))
RETRIES_PENDING.set_function(lambda: sum(q.retries for q in list(_QUEUES)))


def watch_queue(queue: _Sized) -> None:
    """Count ``queue`` in the pending gauges (worked out at scrape time, not per attempt)."""
    _QUEUES.add(queue)


def unwatch_queue(queue: _Sized) -> None:
    _QUEUES.discard(queue)


SKIPPED = Counter(
    "attrib_postback_skipped_records",
    "Output records the delivery stage could not read, by reason.",
    ["reason"],
)
