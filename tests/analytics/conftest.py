"""Fixtures of the analytics tests; puts ``analytics_helpers`` on ``sys.path``.

The suite imports test files in importlib mode, without packages, so a
sibling module is found only when its folder is on ``sys.path``. Each test
gets its own ClickHouse database (named after its topic prefix), dropped
afterwards.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from attrib.analytics import clickhouse  # noqa: E402
from attrib.settings import Settings  # noqa: E402


@pytest.fixture
def sink_settings(isolated_settings: Settings, clickhouse_up: Settings) -> Iterator[Settings]:
    """Isolated settings with a database of the test's own."""
    database = "test_" + isolated_settings.topic_prefix.strip(".")
    settings = dataclasses.replace(isolated_settings, clickhouse_database=database)
    yield settings
    client = clickhouse.connect(settings, database="")
    try:
        client.command(f"DROP DATABASE IF EXISTS `{database}`")
    finally:
        client.close()
