"""Prometheus metrics of the ClickHouse sink (operations.md: sink rows and batch latency).

``attrib_sink_errors_total{table, reason}`` counts two things, told apart by
the reason: failed insert requests (``unreachable``, ``server_error``,
``rejected``), each retried or isolated, and values that could not be
stored (the codec's reasons such as ``bad_marker``, or
``clickhouse_rejected``), each written to ``dead_letters``.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SINK_ROWS = Counter(
    "attrib_sink_rows",
    "Rows written to ClickHouse by the sink, by table (replays included).",
    ["table"],
)
SINK_BATCH_SECONDS = Histogram(
    "attrib_sink_batch_seconds",
    "Time from the start of a batch's inserts to its committed offsets.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
SINK_ERRORS = Counter(
    "attrib_sink_errors",
    "Failed sink inserts and values that could not be stored, by table and reason.",
    ["table", "reason"],
)
SINK_SKIPPED = Counter(
    "attrib_sink_skipped",
    "Input records (touches, sessions) the worker refuses, left out of ClickHouse "
    "(attrib.admission: invalid_time, unknown_app); their dead letters come from the worker.",
    ["table", "reason"],
)
SINK_LAG = Gauge(
    "attrib_sink_consumer_lag",
    "Records on a partition after the sink's last committed offset.",
    ["topic", "partition"],
)
SUMMARY_REFRESH_SECONDS = Histogram(
    "attrib_summary_refresh_seconds",
    "Time of one refresh of the day summaries the reports read, by the sink.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
SUMMARY_REFRESH_ERRORS = Counter(
    "attrib_summary_refresh_errors",
    "Refreshes of the day summaries that failed (each retried at the next tick).",
)
