"""Finding the summary keys that changed, and recomputing them."""

from __future__ import annotations

import importlib.resources
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache

from clickhouse_connect.driver.client import Client

log = logging.getLogger(__name__)

#: Summary kinds, each a table ``<kind>_summary`` refreshed by ``<kind>.sql``.
KINDS = ("daily", "retention", "ctit", "fraud")
WATERMARK = "summaries"
#: How long an insert may take from its ``_inserted_at`` (taken when the server
#: starts it) to being visible (its part committed): a refresh that starts at T
#: has seen every row inserted before T - VISIBILITY_LAG, and the next one looks
#: at the rows inserted after that.
VISIBILITY_LAG = timedelta(seconds=10)
KEYS_PER_STATEMENT = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_lock = threading.Lock()  # one refresh at a time per process (the dashboard's threads)


@cache
def summary_sql(name: str) -> str:
    """The SQL file ``summaries/<name>.sql``."""
    return (importlib.resources.files("attrib.analytics.summaries") / f"{name}.sql").read_text()


@dataclass
class RefreshResult:
    keys: dict[str, int] = field(default_factory=dict)  # kind -> keys recomputed
    seconds: float = 0.0
    watermark: datetime = EPOCH

    @property
    def total(self) -> int:
        return sum(self.keys.values())


def read_watermark(client: Client) -> datetime:
    rows = client.query(
        "SELECT max(watermark) FROM summary_watermarks WHERE name = {name:String}",
        parameters={"name": WATERMARK},
    ).result_rows
    value = rows[0][0] if rows else None
    if not isinstance(value, datetime) or value.replace(tzinfo=UTC) <= EPOCH:
        return EPOCH
    return value.replace(tzinfo=UTC)


def seconds_since_refresh(client: Client) -> float | None:
    """How long ago any process last completed a refresh (None: never)."""
    rows = client.query(
        "SELECT max(updated_at), now64(3, 'UTC') FROM summary_watermarks"
        " WHERE name = {name:String}",
        parameters={"name": WATERMARK},
    ).result_rows
    if not rows or not isinstance(rows[0][0], datetime) or rows[0][0].year <= 1970:
        return None
    return (rows[0][1] - rows[0][0]).total_seconds()


def dirty_keys(client: Client, since: datetime) -> dict[str, set[tuple[str, date]]]:
    """kind -> the (app, day) keys with base rows inserted after ``since``."""
    rows = client.query(summary_sql("dirty"), parameters={"since": since}).result_rows
    keys: dict[str, set[tuple[str, date]]] = defaultdict(set)
    for kind, app_id, day in rows:
        keys[kind].add((app_id, day))
    return keys


def recompute(client: Client, kind: str, keys: Iterable[tuple[str, date]], version: int) -> int:
    """Write the ``kind`` summary of ``keys`` under ``version``; returns how many keys."""
    ordered = sorted(keys)
    for start in range(0, len(ordered), KEYS_PER_STATEMENT):
        chunk = ordered[start : start + KEYS_PER_STATEMENT]
        days = [day for _, day in chunk]
        client.command(
            summary_sql(kind),
            parameters={
                "apps": [app for app, _ in chunk],
                "days": days,
                "first": min(days),
                "last": max(days),
                "version": version,
            },
        )
    return len(ordered)


def refresh(client: Client) -> RefreshResult:
    """Recompute every summary key whose base rows were inserted since the last refresh."""
    with _lock:
        started = time.monotonic()
        version = time.time_ns() // 1000  # taken before reading: later refreshes win
        server_now = client.query("SELECT now64(3, 'UTC')").result_rows[0][0].replace(tzinfo=UTC)
        since = read_watermark(client)
        keys = dirty_keys(client, since)
        result = RefreshResult(watermark=since)
        for kind in KINDS:
            if keys.get(kind):
                result.keys[kind] = recompute(client, kind, keys[kind], version)
        settled = server_now - VISIBILITY_LAG
        if settled > since:
            client.insert(
                "summary_watermarks",
                [[WATERMARK, settled, server_now]],
                column_names=["name", "watermark", "updated_at"],
            )
            result.watermark = settled
        result.seconds = time.monotonic() - started
        if result.total:
            log.debug("summaries: recomputed %s in %.3f s", result.keys, result.seconds)
        return result


__all__ = [
    "KINDS",
    "RefreshResult",
    "dirty_keys",
    "read_watermark",
    "recompute",
    "refresh",
    "seconds_since_refresh",
]
