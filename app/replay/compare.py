"""Before (the live decisions) against after (the replay's), per media source.

An install's *bucket* is its media source when attributed (``non_organic``),
``organic``, or ``blocked`` (R31: recorded, counted nowhere). Counted are new
installs and reattributions; a ``reinstall`` counts nowhere (R19), like in
the overview report. Revenue is that of in-app events with a primary
attribution (R24), summed per currency, by the bucket of the event's owner.

:func:`same_decision` is what "replay reproduces live" means, field by field.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ORGANIC = "organic"
BLOCKED = "blocked"
#: The fields of an attribution that a decision consists of (not its timing).
DECISION_FIELDS = (
    "attribution_id",
    "conversion_type",
    "status",
    "media_source",
    "campaign",
    "touch_id",
    "touch_type",
    "touch_time",
    "match_type",
    "ctit_seconds",
    "blocked_reason",
    "is_retargeting",
)


def decision(attribution: dict[str, Any]) -> tuple[Any, ...]:
    """The decision fields of an attribution, for comparison."""
    return tuple(attribution.get(f) for f in DECISION_FIELDS)


def latest_by_install(attributions: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last attribution written per install event id (a topic may hold a re-send)."""
    return {a["install_event_id"]: a for a in attributions}


def bucket(record: dict[str, Any]) -> str:
    status = record.get("status")
    if status == BLOCKED or record.get("blocked_reason"):
        return BLOCKED
    if status == ORGANIC or not record.get("media_source"):
        return ORGANIC
    return str(record["media_source"])


def _counted(attribution: dict[str, Any]) -> bool:
    return attribution.get("conversion_type") != "reinstall"


def _event_bucket(event: dict[str, Any]) -> str:
    if event.get("blocked_reason"):
        return BLOCKED
    if event.get("conversion_type") in (None, ORGANIC, "reinstall") or not event.get(
        "media_source"
    ):
        return ORGANIC
    return str(event["media_source"])


@dataclass
class SourceRow:
    """One media source's line of the replay's answer."""

    media_source: str
    installs_before: int = 0
    installs_after: int = 0
    to_organic: int = 0
    from_organic: int = 0
    revenue_before: dict[str, Decimal] = field(default_factory=dict)
    revenue_after: dict[str, Decimal] = field(default_factory=dict)

    @property
    def revenue_moved(self) -> dict[str, Decimal]:
        """After minus before, per currency (non-zero only)."""
        out = {}
        for currency in sorted(set(self.revenue_before) | set(self.revenue_after)):
            delta = self.revenue_after.get(currency, Decimal(0)) - self.revenue_before.get(
                currency, Decimal(0)
            )
            if delta:
                out[currency] = delta
        return out


def _revenue(events: Iterable[dict[str, Any]]) -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for e in events:
        if not e.get("is_primary_attribution") or not e.get("revenue") or not e.get("currency"):
            continue
        out[_event_bucket(e)][e["currency"]] += Decimal(e["revenue"])
    return out


def summarize(
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    events_before: Iterable[dict[str, Any]] = (),
    events_after: Iterable[dict[str, Any]] = (),
) -> list[SourceRow]:
    """Per bucket: installs before → after, moves to/from organic, revenue (sorted by name)."""
    rows: dict[str, SourceRow] = {}

    def row(name: str) -> SourceRow:
        return rows.setdefault(name, SourceRow(name))

    counts_before = Counter(bucket(a) for a in before.values() if _counted(a))
    counts_after = Counter(bucket(a) for a in after.values() if _counted(a))
    for name, n in counts_before.items():
        row(name).installs_before = n
    for name, n in counts_after.items():
        row(name).installs_after = n
    for install_id, old in before.items():
        new = after.get(install_id)
        if new is None or not _counted(old):
            continue
        was, now = bucket(old), bucket(new)
        if was != ORGANIC and now == ORGANIC:
            row(was).to_organic += 1
        elif was == ORGANIC and now != ORGANIC:
            row(now).from_organic += 1
    for name, money in _revenue(events_before).items():
        row(name).revenue_before = dict(money)
    for name, money in _revenue(events_after).items():
        row(name).revenue_after = dict(money)
    return [rows[name] for name in sorted(rows)]


__all__ = [
    "BLOCKED",
    "DECISION_FIELDS",
    "ORGANIC",
    "SourceRow",
    "bucket",
    "decision",
    "latest_by_install",
    "summarize",
]
