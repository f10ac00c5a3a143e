"""The charts' data, shaped from report rows: pure functions, no I/O.

Each function takes the rows of one query (dicts, column -> value) and
answers what Chart.js draws (labels and datasets), or for the retention
heatmap the grid the server draws as SVG.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

Row = Mapping[str, Any]

CTIT_BUCKETS = ("<10s", "10s-1m", "1m-10m", "10m-1h", "1h-24h", "1-7d", ">7d")
#: The buckets the fraud rules flag: under the minimum click-to-install time
#: (click injection, 10 s by default) and over 7 days (click flooding).
CTIT_FLAGGED = ("<10s", ">7d")
RETENTION_DAYS = (1, 3, 7, 14, 30)
POSTBACK_OUTCOMES = ("delivered", "retry", "failed", "dead")


def days_of(date_from: date, date_to: date) -> list[str]:
    """Every day of the range, ISO formatted."""
    return [
        (date_from + timedelta(days=n)).isoformat() for n in range((date_to - date_from).days + 1)
    ]


def installs_of(row: Row) -> int:
    """The installs a row counts: attributed, organic and re-attributions."""
    return int(row["installs"]) + int(row["organic_installs"]) + int(row["reattributions"])


def overview_totals(rows: Iterable[Row]) -> dict[str, Any]:
    """The headline numbers: clicks, installs (by kind), conversion rate, revenue per currency."""
    totals: dict[str, Any] = defaultdict(int)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        for name in (
            "impressions",
            "clicks",
            "installs",
            "organic_installs",
            "reattributions",
            "blocked_installs",
            "events",
        ):
            totals[name] += int(row[name])
        for currency, amount in (row.get("revenue") or {}).items():
            revenue[currency] += Decimal(str(amount))
    clicks = totals["clicks"]
    totals["conversion_rate"] = round(totals["installs"] / clicks, 4) if clicks else None
    totals["all_installs"] = totals["installs"] + totals["organic_installs"]
    totals["revenue"] = dict(sorted(revenue.items()))
    return dict(totals)


def daily_installs(rows: Iterable[Row], days: list[str]) -> dict[str, Any]:
    """Installs per day stacked by media source (organic is a source of its own)."""
    per_source: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        n = installs_of(row)
        if n:
            per_source[row["media_source"]][_iso(row["day"])] += n
    return {
        "labels": days,
        "datasets": [
            {"label": source, "data": [counts.get(day, 0) for day in days]}
            for source, counts in sorted(per_source.items())
        ],
    }


def ctit_histogram(rows: Iterable[Row]) -> dict[str, Any]:
    """Installs per click-to-install bucket, one dataset per media source (sites summed)."""
    per_source: dict[str, list[int]] = defaultdict(lambda: [0] * len(CTIT_BUCKETS))
    for row in rows:
        counts = per_source[row["media_source"]]
        for i, bucket in enumerate(CTIT_BUCKETS):
            counts[i] += int(row[bucket])
    return {
        "labels": list(CTIT_BUCKETS),
        "flagged": [CTIT_BUCKETS.index(b) for b in CTIT_FLAGGED],
        "datasets": [
            {"label": source, "data": counts} for source, counts in sorted(per_source.items())
        ],
    }


def fraud_bars(rows: Iterable[Row]) -> dict[str, Any]:
    """Blocked installs and rejected touches per reason, stacked by media source."""
    labels: list[str] = []
    per_source: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        kind = "blocked install" if row["kind"] == "blocked_install" else "rejected touch"
        label = f"{kind}: {row['reason'] or 'unknown'}"
        if label not in labels:
            labels.append(label)
        per_source[row["media_source"]][label] += int(row["count"])
    return {
        "labels": labels,
        "datasets": [
            {"label": source, "data": [counts.get(label, 0) for label in labels]}
            for source, counts in sorted(per_source.items())
        ],
    }


def postback_outcomes(rows: Iterable[Row], days: list[str]) -> dict[str, Any]:
    """Postback deliveries per day stacked by outcome (no datasets: no deliveries)."""
    per_outcome: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        per_outcome[row["outcome"]][_iso(row["day"])] += int(row["deliveries"])
    order = [o for o in POSTBACK_OUTCOMES if o in per_outcome]
    order += sorted(set(per_outcome) - set(order))
    return {
        "labels": days,
        "datasets": [
            {"label": outcome, "data": [per_outcome[outcome].get(day, 0) for day in days]}
            for outcome in order
        ],
    }


def retention_grid(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """Per install day: installs and day N retention over every media source.

    A day's share is the installs-weighted mean of its sources' shares (the
    share of the whole cohort); ``None`` while day N is still to come.
    """
    cohorts: dict[str, dict[str, Any]] = {}
    for row in rows:
        day = _iso(row["install_day"])
        cohort = cohorts.setdefault(
            day, {"install_day": day, "installs": 0, "retained": defaultdict(float), "open": set()}
        )
        installs = int(row["installs"])
        cohort["installs"] += installs
        for n in RETENTION_DAYS:
            share = row[f"day_{n}"]
            if share is None:
                cohort["open"].add(n)
            else:
                cohort["retained"][n] += float(share) * installs
    grid = []
    for day in sorted(cohorts):
        cohort = cohorts[day]
        total = cohort["installs"]
        grid.append(
            {
                "install_day": day,
                "installs": total,
                **{
                    f"day_{n}": None
                    if n in cohort["open"] or not total
                    else round(cohort["retained"][n] / total, 4)
                    for n in RETENTION_DAYS
                },
            }
        )
    return grid


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


__all__ = [
    "CTIT_BUCKETS",
    "CTIT_FLAGGED",
    "POSTBACK_OUTCOMES",
    "RETENTION_DAYS",
    "ctit_histogram",
    "daily_installs",
    "days_of",
    "fraud_bars",
    "overview_totals",
    "postback_outcomes",
    "retention_grid",
]
