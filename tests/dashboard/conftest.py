"""Fixtures of the dashboard tests: a ClickHouse database holding the demo, the collector app on it.

``demo_db`` writes the demo scenario (as of now) straight into a database
of the test's own (``attrib.dashboard.demo_rows``), dropped afterwards;
``dashboard_client`` is an HTTP client of the collector's web application
reading that database (admin token: ``test-admin-token``).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from dashboard_helpers import DEMO_APP, DemoDatabase  # noqa: E402

from attrib.analytics import clickhouse  # noqa: E402
from attrib.analytics.migrations import Target, apply_migrations  # noqa: E402
from attrib.dashboard.demo_rows import insert_demo  # noqa: E402
from attrib.registry import AppConfigCache, AppRegistryWriter  # noqa: E402
from attrib.settings import Settings  # noqa: E402
from attrib.web.app import create_app  # noqa: E402


@pytest.fixture
def demo_db(isolated_settings: Settings, clickhouse_up: Settings) -> Iterator[DemoDatabase]:
    database = "test_" + isolated_settings.topic_prefix.strip(".")
    settings = dataclasses.replace(isolated_settings, clickhouse_database=database)
    client = clickhouse.connect(settings, database="")
    try:
        apply_migrations(client, Target(database))
        client.close()
        client = clickhouse.connect(settings)
        scenario = insert_demo(client, DEMO_APP, int(time.time() * 1000))
        yield DemoDatabase(settings, scenario)
    finally:
        client.command(f"DROP DATABASE IF EXISTS `{database}`")
        client.close()


@pytest.fixture
async def dashboard_client(demo_db: DemoDatabase) -> AsyncIterator[TestClient]:
    """The collector's web app on the demo database; its registry is never started (not needed)."""
    cache = AppConfigCache(demo_db.settings)
    writer = AppRegistryWriter(demo_db.settings, cache)
    app = create_app(demo_db.settings, cache=cache, writer=writer)
    async with TestClient(TestServer(app)) as client:
        yield client
