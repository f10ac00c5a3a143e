"""Prometheus metrics of the app registry (registered once per process)."""

from __future__ import annotations

from prometheus_client import Counter

APP_CONFIG_RECORDS = Counter(
    "attrib_app_config_records_total",
    "app-config records read by the configuration cache, by outcome",
    ["outcome"],  # applied | skipped | deleted
)
APP_CONFIG_WRITES = Counter(
    "attrib_app_config_writes_total",
    "app configuration versions written, by outcome",
    ["outcome"],  # stored | unavailable
)

__all__ = ["APP_CONFIG_RECORDS", "APP_CONFIG_WRITES"]
