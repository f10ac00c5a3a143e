"""What a dashboard request asks for (app, range, sort) and why it may be refused: pure.

The range is a closed interval of UTC days. No range means the last 30 days
up to today; a range whose start is after its end is empty and refused; a
range longer than :data:`MAX_DAYS` is refused (it would scan years of data
for a chart nobody can read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from attrib.analytics.report import ReportFilter

DEFAULT_DAYS = 30
MAX_DAYS = 366


class BadQuery(ValueError):
    """A request the dashboard refuses, with a sentence for the user (HTTP 400)."""


@dataclass(frozen=True)
class DashboardQuery:
    app: str
    date_from: date
    date_to: date
    today: date
    sort: str = ""
    descending: bool = False

    @property
    def includes_today(self) -> bool:
        """True when the range reaches today: the page refreshes itself then."""
        return self.date_from <= self.today <= self.date_to

    def report_filter(self) -> ReportFilter:
        return ReportFilter(self.app, self.date_from, self.date_to)

    def parameters(self) -> dict[str, object]:
        return self.report_filter().parameters()

    def query_string(self, **changes: str) -> dict[str, str]:
        """The URL parameters of this query, with ``changes`` applied."""
        params = {
            "app": self.app,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
        }
        if self.sort:
            params["sort"] = self.sort
            params["dir"] = "desc" if self.descending else "asc"
        params.update(changes)
        return params


def _parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadQuery(f"{name} must be a date like 2026-03-01, got {text!r}") from None


def parse_query(params: Mapping[str, str], today: date) -> DashboardQuery:
    """The query of URL parameters ``app``, ``from``, ``to``, ``sort``, ``dir``.

    Raises :class:`BadQuery` saying what is wrong.
    """
    app = params.get("app", "").strip()
    if not app:
        raise BadQuery("pick an app")
    if len(app) > 200:
        raise BadQuery("the app id is longer than 200 characters")
    date_to = _parse_day(params["to"], "to") if params.get("to") else today
    date_from = (
        _parse_day(params["from"], "from")
        if params.get("from")
        else date_to - timedelta(days=DEFAULT_DAYS - 1)
    )
    if date_from > date_to:
        raise BadQuery(f"the range is empty: from {date_from} is after to {date_to}")
    days = (date_to - date_from).days + 1
    if days > MAX_DAYS:
        raise BadQuery(f"the range covers {days} days; the dashboard shows at most {MAX_DAYS}")
    direction = params.get("dir", "asc")
    if direction not in ("asc", "desc"):
        raise BadQuery(f"dir must be asc or desc, got {direction!r}")
    return DashboardQuery(
        app, date_from, date_to, today, params.get("sort", ""), direction == "desc"
    )


__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "BadQuery", "DashboardQuery", "parse_query"]
