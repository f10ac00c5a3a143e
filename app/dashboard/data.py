"""The dashboard's figures: ``attrib report``'s reports and two queries of its own.

Every query is a file: the reports' ``attrib/analytics/reports/*.sql`` (one
source of truth with ``attrib report``), plus ``sql/postback_outcomes.sql``
(postbacks per day, for the chart over time) and ``sql/apps.sql`` (the app
picker). Parameters are bound server-side by clickhouse-connect; nothing a
user types is pasted into SQL.

clickhouse-connect's client is blocking: :class:`DashboardData` runs the
queries of one page in threads, one client per thread (a client runs one
request at a time).
"""

from __future__ import annotations

import importlib.resources
import logging
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from attrib.analytics import clickhouse
from attrib.analytics.report import REPORTS, SUMMARY_REPORTS, report_sql
from attrib.analytics.summaries.refreshing import refresh, seconds_since_refresh
from attrib.dashboard.query import DashboardQuery
from attrib.settings import Settings

#: The dashboard's own queries (``sql/<name>.sql``), beside the reports.
OWN_QUERIES = ("postback_outcomes",)
#: Every table the page shows, in page order.
PAGE_QUERIES: tuple[str, ...] = (
    "overview",
    "daily",
    "retention",
    "ctit",
    "fraud",
    "postbacks",
    "postback_outcomes",
)
POOL_SIZE = 4
CACHE_SECONDS = 30.0  # the page's refresh period
CACHE_ENTRIES = 512
STALE_FACTOR = 10  # a stale result is still shown (while refreshed) up to 10 x cache_seconds
CacheKey = tuple[str, tuple[tuple[str, str], ...]]
log = logging.getLogger(__name__)
POSTBACK_QUERIES = frozenset({"postbacks", "postback_outcomes"})
UNKNOWN_TABLE = 60


def query_sql(name: str) -> str:
    """The SQL behind table or chart ``name`` (a report's, or the dashboard's own)."""
    if name in REPORTS:
        return report_sql(name)
    if name in OWN_QUERIES or name == "apps":
        return (importlib.resources.files("attrib.dashboard") / "sql" / f"{name}.sql").read_text()
    raise KeyError(name)


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class DashboardData:
    """Runs the dashboard's queries on a small pool of ClickHouse clients.

    A result is kept under its query and parameters, so viewers of the same
    range, the page's 30 s refresh and its CSV links share ClickHouse runs:
    fresh for ``cache_seconds`` (default: the refresh period), then shown
    while refreshed in the background (see :meth:`run`). Figures are thus
    up to about two refresh periods older than the tables.
    ``cache_seconds=0`` runs every request.
    """

    def __init__(
        self,
        settings: Settings,
        pool_size: int = POOL_SIZE,
        cache_seconds: float = CACHE_SECONDS,
        summaries_max_age: float | None = None,
    ) -> None:
        self._settings = settings
        self._cache_seconds = cache_seconds
        # How old the last refresh of the day summaries (by any process: the sink
        # refreshes them every ATTRIB_SUMMARY_REFRESH_INTERVAL) may be before a
        # summary report refreshes them itself. Default: the result cache's
        # period, the staleness the page accepts anyway; uncached, every request
        # refreshes (its answer shows every stored row).
        if summaries_max_age is None:
            summaries_max_age = cache_seconds
        self._summaries_max_age = summaries_max_age
        self._cache: dict[CacheKey, tuple[float, Table]] = {}
        self._refreshing: set[CacheKey] = set()
        self._cache_lock = threading.Lock()
        self._clients: queue.Queue[Client] = queue.Queue()
        self._created = 0
        self._pool_size = pool_size
        self._executor = ThreadPoolExecutor(pool_size, thread_name_prefix="dashboard")
        self._summaries_lock = threading.Lock()

    @contextmanager
    def _client(self) -> Iterator[Client]:
        try:
            client = self._clients.get_nowait()
        except queue.Empty:
            client = clickhouse.connect(self._settings, send_receive_timeout=30)
        try:
            yield client
        except Exception:
            client.close()  # a failed client may hold a broken connection
            raise
        self._clients.put(client)

    def run(self, name: str, parameters: dict[str, Any]) -> Table:
        """The result of query ``name`` with ``parameters``, cached (blocking).

        Fresh (younger than ``cache_seconds``): answered from the cache. Stale
        but younger than :data:`STALE_FACTOR` times that: answered from the
        cache while one background run refreshes it (so the page's own 30 s
        refresh does not wait for ClickHouse). Older or absent: run now.
        """
        if self._cache_seconds <= 0:
            return self.run_uncached(name, parameters)
        key = (name, tuple(sorted((k, str(v)) for k, v in parameters.items())))
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                age = now - hit[0]
                if age < self._cache_seconds:
                    return hit[1]
                if age < self._cache_seconds * STALE_FACTOR and key not in self._refreshing:
                    self._refreshing.add(key)
                    self._executor.submit(self._refresh, key, name, parameters)
                    return hit[1]
        return self._refresh(key, name, parameters)

    def _refresh(self, key: CacheKey, name: str, parameters: dict[str, Any]) -> Table:
        try:
            table = self.run_uncached(name, parameters)
        except Exception:
            log.warning("dashboard: refreshing %s failed", name, exc_info=True)
            raise
        finally:
            with self._cache_lock:
                self._refreshing.discard(key)
        now = time.monotonic()
        with self._cache_lock:
            if len(self._cache) >= CACHE_ENTRIES:
                limit = self._cache_seconds * STALE_FACTOR
                self._cache = {k: v for k, v in self._cache.items() if now - v[0] < limit}
                if len(self._cache) >= CACHE_ENTRIES:
                    self._cache.clear()
            self._cache[key] = (now, table)
        return table

    def run_uncached(self, name: str, parameters: dict[str, Any]) -> Table:
        """Run query ``name`` with ``parameters`` in ClickHouse (blocking).

        A missing ``postback_deliveries`` table (a database migrated before
        postbacks existed) reads as no rows: the page shows an empty state.
        """
        try:
            with self._client() as client:
                if name in SUMMARY_REPORTS:
                    self._refresh_summaries(client)
                result = client.query(query_sql(name), parameters=parameters)
        except DatabaseError as exc:
            if name in POSTBACK_QUERIES and clickhouse.error_code(exc) == UNKNOWN_TABLE:
                return Table(name, [], [])
            raise
        return Table(name, list(result.column_names), [tuple(r) for r in result.result_rows])

    def _refresh_summaries(self, client: Client) -> None:
        """Refresh the day summaries unless some process did within ``summaries_max_age``."""
        with self._summaries_lock:  # a page's summary reports wait for one refresh
            if self._summaries_max_age > 0:
                age = seconds_since_refresh(client)
                if age is not None and age < self._summaries_max_age:
                    return
            refresh(client)

    def page(
        self, query: DashboardQuery, names: tuple[str, ...] = PAGE_QUERIES
    ) -> dict[str, Table]:
        """Every table of the page for ``query``, the queries run side by side (blocking)."""
        params = query.parameters()
        futures = {name: self._executor.submit(self.run, name, params) for name in names}
        return {name: future.result() for name, future in futures.items()}

    def apps(self) -> list[str]:
        return [row[0] for row in self.run("apps", {}).rows]

    def close(self) -> None:
        self._executor.shutdown(wait=False)
        while not self._clients.empty():
            self._clients.get_nowait().close()


__all__ = ["OWN_QUERIES", "PAGE_QUERIES", "DashboardData", "Table", "query_sql"]
