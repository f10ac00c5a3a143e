"""Prometheus metrics of the delivery stage (R35, R36). No label ever holds a URL or secret."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ATTEMPTS = Counter(
    "attrib_delivery_attempts",
    "Delivery attempts by kind (install, event, push) and outcome "
    "(delivered, retry, failed, dead).",
    ["kind", "outcome"],
)
DEAD = Counter(
    "attrib_delivery_dead", "Deliveries given up after the last retry, by kind.", ["kind"]
)
LATENCY = Histogram(
    "attrib_delivery_latency_seconds",
    "From the decision (its record's timestamp) to the delivered attempt's answer.",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300, 900, 3600, 7200),
)
PENDING = Gauge("attrib_delivery_pending", "Deliveries waiting for an attempt (retries included).")
RETRIES_PENDING = Gauge("attrib_delivery_retries_pending", "Deliveries waiting for a retry.")
SKIPPED = Counter(
    "attrib_delivery_skipped_records",
    "Output records the delivery stage could not read, by reason.",
    ["reason"],
)
