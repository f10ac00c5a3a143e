"""The analysts' reports of analytics.md: their SQL, filters, and running them.

Each report is one file ``reports/<name>.sql`` in this package, the same SQL
docs/analytics.md shows, with three server-side parameters that every report
takes: ``{app:String}`` (empty: every app), ``{date_from:Date}`` and
``{date_to:Date}`` (UTC days, both included; which day of a row counts is
the report's business: install, touch, event). Binding them server-side means
nothing a user types is ever pasted into SQL.

The overview, daily, retention, ctit and fraud reports read the day
summaries (:mod:`attrib.analytics.summaries`), refreshed first by
:func:`run_report`; postbacks reads its table with ``FINAL``. Either way the figures are
exact at any moment, duplicates from replays included (docs/analytics.md).
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from datetime import date
from typing import Any

from clickhouse_connect.driver.client import Client

from attrib.analytics.summaries import refresh

#: name -> one-line description (``attrib report --help``)
REPORTS: dict[str, str] = {
    "overview": "Per app, media source and campaign: touches, installs, events, revenue.",
    "daily": "The overview per UTC day.",
    "retention": "Day 1/3/7/14/30 retention by install day and media source.",
    "ctit": "Click-to-install time buckets per media source and site.",
    "fraud": "Blocked installs and rejected touches by reason and source.",
    "postbacks": "Deliveries per network, kind and host: outcomes, retries, latency.",
}

EARLIEST = date(1970, 1, 1)
LATEST = date(2149, 6, 6)  # the last day of ClickHouse's Date type


class UnknownReport(KeyError):
    def __str__(self) -> str:
        return f"no report named {self.args[0]!r}; reports: {', '.join(REPORTS)}"


@dataclass(frozen=True)
class ReportFilter:
    """What every report can be narrowed to: one app, a range of UTC days."""

    app: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"--from {self.date_from} is after --to {self.date_to}")

    def parameters(self) -> dict[str, Any]:
        return {
            "app": self.app or "",
            "date_from": self.date_from or EARLIEST,
            "date_to": self.date_to or LATEST,
        }


@dataclass(frozen=True)
class ReportResult:
    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def report_sql(name: str) -> str:
    """The SQL of report ``name`` (``reports/<name>.sql``)."""
    if name not in REPORTS:
        raise UnknownReport(name)
    return (importlib.resources.files("attrib.analytics") / "reports" / f"{name}.sql").read_text()


#: The reports that read the day summaries (the others read the tables themselves).
SUMMARY_REPORTS = frozenset({"overview", "daily", "retention", "ctit", "fraud"})


def run_report(client: Client, name: str, filters: ReportFilter | None = None) -> ReportResult:
    """Run report ``name`` on the client's database (summaries refreshed first)."""
    sql = report_sql(name)
    if name in SUMMARY_REPORTS:
        refresh(client)
    result = client.query(sql, parameters=(filters or ReportFilter()).parameters())
    return ReportResult(name, list(result.column_names), [tuple(r) for r in result.result_rows])
