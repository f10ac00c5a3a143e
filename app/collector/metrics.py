"""Prometheus metrics of the collector's Kafka writes (requests: attrib.web.request_metrics).

Labels use the topic's short name of streams.md (``clicks``), never the
deployment prefix, so dashboards work across deployments.
"""

from __future__ import annotations

from prometheus_client import Counter

from attrib.topics import INPUTS

RECORDS_PRODUCED = Counter(
    "attrib_collector_records_produced",
    "Records the collector wrote to an input topic and Kafka acknowledged, by topic",
    ["topic"],
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

# Pre-bound children: the hot path adds to these without a label lookup.
PRODUCED_BY_TOPIC = {topic: RECORDS_PRODUCED.labels(topic) for topic in INPUTS}
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
