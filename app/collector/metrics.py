"""Prometheus metrics of the collector's Kafka writes (requests: attrib.web.request_metrics).

Labels use the topic's short name of streams.md (``clicks``), never the
deployment prefix, so dashboards work across deployments.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from prometheus_client import REGISTRY, Counter
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry

from attrib.topics import INPUTS


class TopicCounter:
    """A counter by topic kept in plain ints, exposed as a prometheus_client ``Counter``.

    Counted once per accepted request: ``counts[topic] += 1`` on the event
    loop (the only writer) costs a fraction of ``Counter.labels(...).inc()``,
    which takes a lock.
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        topics: Sequence[str],
        registry: CollectorRegistry | None = REGISTRY,
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.counts: dict[str, int] = dict.fromkeys(topics, 0)
        self.created = time.time()
        if registry is not None:
            registry.register(self)

    def describe(self) -> Iterable[Metric]:
        return [CounterMetricFamily(self.name, self.documentation, labels=["topic"])]

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(self.name, self.documentation, labels=["topic"])
        for topic, count in list(self.counts.items()):
            family.add_metric([topic], float(count), created=self.created)
        return [family]


RECORDS_PRODUCED = TopicCounter(
    "attrib_collector_records_produced",
    "Records the collector wrote to an input topic and Kafka acknowledged, by topic",
    INPUTS,
)
PRODUCE_ERRORS = Counter(
    "attrib_collector_produce_errors",
    "Records the collector could not write (the request got 503), by topic and reason",
    ["topic", "reason"],
)

#: Reasons of PRODUCE_ERRORS.
NOT_CONNECTED = "not_connected"
TIMEOUT = "timeout"
KAFKA_ERROR = "kafka_error"
QUEUE_FULL = "queue_full"

#: Accepted records by topic: the hot path adds to this dict.
PRODUCED_BY_TOPIC = RECORDS_PRODUCED.counts
for _topic in INPUTS:
    for _reason in (NOT_CONNECTED, TIMEOUT, KAFKA_ERROR, QUEUE_FULL):
        PRODUCE_ERRORS.labels(_topic, _reason)

__all__ = [
    "KAFKA_ERROR",
    "NOT_CONNECTED",
    "PRODUCED_BY_TOPIC",
    "PRODUCE_ERRORS",
    "QUEUE_FULL",
    "RECORDS_PRODUCED",
    "TIMEOUT",
]
