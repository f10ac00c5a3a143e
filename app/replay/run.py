"""One ``attrib replay``: read the range and its lookback, re-decide, compare with live.

How far back to read (:func:`lookback_ms`): an install's decision reads its
device's touches (at most the widest click window a tracking link may ask
for, 30 d, R12) and its device's earlier install (reattribution and
re-engagement windows, R19, R23). So replay reads touches, installs and
sessions from ``--from`` minus the widest of those windows in either
configuration, and in-app events of the range only (they decide nothing).
Decisions of the lookback period are made but not counted. A shorter
``--lookback`` is faster; an install whose device's history is older than it
may then decide differently from live, which the summary would show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from attrib.avro import codec
from attrib.config import WINDOW_RANGES_MS, AppConfig
from attrib.replay.compare import SourceRow, latest_by_install, summarize
from attrib.replay.records import ArchivedRecord
from attrib.replay.redecide import Progress, Replayed, redecide
from attrib.replay.source import ArchiveReader

DAY_MS = 86_400_000
TOUCH_TOPICS = ("clicks", "impressions")


def lookback_ms(*configs: AppConfig) -> int:
    """How much history before ``--from`` the decisions of the range can read (module doc)."""
    widest = WINDOW_RANGES_MS["click_lookback"][1]
    for config in configs:
        a = config.attribution
        widest = max(widest, a.reattribution_window_ms, a.reengagement_window_ms)
    return widest


def day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def ms_day(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, UTC).date()


@dataclass(frozen=True)
class ReplayRange:
    """The app and the UTC days (both included) whose installs are compared."""

    app_id: str
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"--to {self.last} is before --from {self.first}")

    @property
    def start_ms(self) -> int:
        return day_start_ms(self.first)

    @property
    def end_ms(self) -> int:
        """The first millisecond after the range."""
        return day_start_ms(self.last + timedelta(days=1))

    def contains(self, ms: int) -> bool:
        return self.start_ms <= ms < self.end_ms


@dataclass
class ReplayResult:
    rows: list[SourceRow]
    before: dict[str, dict[str, Any]]
    after: dict[str, dict[str, Any]]
    replayed: Replayed
    lookback_ms: int


def inputs_from_archive(
    reader: ArchiveReader, span: ReplayRange, lookback: int
) -> list[ArchivedRecord]:
    """The input records replay needs: the range, and its lookback for what decides."""
    since = ms_day(span.start_ms - lookback)
    out: list[ArchivedRecord] = []
    for topic in (*TOUCH_TOPICS, "installs", "sessions"):
        out.extend(reader.read(topic, span.app_id, since, span.last))
    out.extend(reader.read("events", span.app_id, span.first, span.last))
    return out


def live_from_archive(
    reader: ArchiveReader, span: ReplayRange
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The live attributions and attributed events of the range, from the archived outputs."""
    attributions = [
        codec.decode(r.value)
        for r in sorted(
            reader.read("attributions", span.app_id, span.first, span.last),
            key=lambda r: (r.partition, r.offset),
        )
    ]
    events = [
        codec.decode(r.value)
        for r in reader.read("attributed-events", span.app_id, span.first, span.last)
    ]
    return attributions, events


def compare(
    span: ReplayRange,
    inputs: Iterable[ArchivedRecord],
    config: AppConfig,
    live_attributions: Iterable[dict[str, Any]],
    live_events: Iterable[dict[str, Any]],
    *,
    lookback: int,
    progress: Progress | None = None,
) -> ReplayResult:
    """Re-decide ``inputs`` with ``config``; summarise the range against the live decisions."""
    replayed = redecide(inputs, config, progress=progress)
    before = {
        k: a
        for k, a in latest_by_install(live_attributions).items()
        if span.contains(a["install_time"])
    }
    after = {
        k: a
        for k, a in latest_by_install(replayed.attributions).items()
        if span.contains(a["install_time"])
    }
    events_before = [e for e in live_events if span.contains(e["event_time"])]
    events_after = [e for e in replayed.attributed_events if span.contains(e["event_time"])]
    rows = summarize(before, after, events_before, events_after)
    return ReplayResult(rows, before, after, replayed, lookback)


__all__ = [
    "ReplayRange",
    "ReplayResult",
    "compare",
    "inputs_from_archive",
    "live_from_archive",
    "lookback_ms",
]
