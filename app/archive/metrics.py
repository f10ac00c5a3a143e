"""Prometheus metrics of the archiver (docs/operations.md, Metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ARCHIVED_RECORDS = Counter(
    "attrib_archive_records_total", "Records written to the archive.", ["topic"]
)
ARCHIVED_BYTES = Counter(
    "attrib_archive_bytes_total", "Parquet bytes written to the archive.", ["topic"]
)
ARCHIVED_FILES = Counter("attrib_archive_files_total", "Parquet files written.", ["topic"])
FLUSH_SECONDS = Histogram(
    "attrib_archive_flush_seconds",
    "Time to write one flush (files and manifest).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
FLUSH_ERRORS = Counter(
    "attrib_archive_flush_errors_total", "Flushes that failed and were retried.", ["topic"]
)
ORPHANS_DELETED = Counter(
    "attrib_archive_orphan_files_deleted_total",
    "Files of flushes cut short by a crash, deleted on recovery.",
)
BUFFERED = Gauge("attrib_archive_buffered_records", "Records read and not yet archived.")
