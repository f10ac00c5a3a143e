"""Day summaries: what the overview, daily, retention and fraud reports read.

Those reports used to aggregate the base tables with ``FINAL`` on every run,
which on a month of a busy app takes seconds (docs/analytics.md, Summaries).
They now read small per-(app, day) tables that :func:`refresh` keeps up to
date: every key whose base rows were inserted since the last refresh is
recomputed from the base tables with ``FINAL`` (so it stays exact: a replayed
record or a re-made decision counts once) and written under a new version.

Who refreshes: the ClickHouse sink every ``ATTRIB_SUMMARY_REFRESH_INTERVAL``,
and every report run first (``attrib report``, the dashboard), so a report
never misses a row that is in the base tables. Refreshing is idempotent and
safe to run from several processes at once.
"""

from attrib.analytics.summaries.refreshing import RefreshResult, dirty_keys, refresh

__all__ = ["RefreshResult", "dirty_keys", "refresh"]
