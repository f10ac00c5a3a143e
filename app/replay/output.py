"""The replay's answer as a table, CSV or JSON (the report formatter's conventions)."""

from __future__ import annotations

from attrib.analytics.formatting import render
from attrib.analytics.report import ReportResult
from attrib.replay.compare import SourceRow

COLUMNS = [
    "media_source",
    "installs_before",
    "installs_after",
    "change",
    "to_organic",
    "from_organic",
    "revenue_before",
    "revenue_after",
    "revenue_moved",
]


def as_result(rows: list[SourceRow]) -> ReportResult:
    return ReportResult(
        "replay",
        COLUMNS,
        [
            (
                r.media_source,
                r.installs_before,
                r.installs_after,
                r.installs_after - r.installs_before,
                r.to_organic,
                r.from_organic,
                r.revenue_before,
                r.revenue_after,
                r.revenue_moved,
            )
            for r in rows
        ],
    )


def render_rows(rows: list[SourceRow], fmt: str) -> str:
    """``rows`` in ``fmt`` (table, csv or json)."""
    return render(as_result(rows), fmt)


__all__ = ["COLUMNS", "as_result", "render_rows"]
