"""Why ``attrib replay --source clickhouse`` refuses to run, and what it would need.

The ClickHouse tables (app/analytics/migrations/0001_tables.sql) are shaped
for reports, not for re-deciding: each input below lacks fields the rules
read. Replaying without them would silently decide differently from live
(a referrer-matched install turning organic, a re-engagement lost), so the
command stops with this list instead of guessing. tests/replay checks the
list against the migration, so adding a column shows here.
"""

from __future__ import annotations

#: Input -> (ClickHouse table, the fields the rules need that it does not store, why).
MISSING: dict[str, tuple[str, tuple[str, ...], str]] = {
    "touches": (
        "touches",
        ("click_lookback_ms", "view_lookback_ms", "device_key"),
        "a tracking link's own windows (af_click_lookback, R11)",
    ),
    "installs": (
        "attributions",
        ("install_referrer", "install_begin_ts"),
        "referrer matching (R5) and the install's raw record (only decided installs are stored)",
    ),
    "sessions": (
        "sessions",
        ("advertising_id", "idfa", "idfv", "android_id", "oaid", "ip", "user_agent", "platform"),
        "matching a session to re-engagement touches (R23)",
    ),
}


class SourceUnavailable(RuntimeError):
    """The chosen source cannot supply what a replay needs."""


def clickhouse_gaps() -> str:
    """The human-readable list of what the ClickHouse tables lack."""
    lines = [
        f"  {name}: table {table} has no {', '.join(fields)} (needed for {why})"
        for name, (table, fields, why) in MISSING.items()
    ]
    return "\n".join(lines)


def require_clickhouse_inputs() -> None:
    """Raise :class:`SourceUnavailable`: ClickHouse cannot re-decide (see the module doc)."""
    raise SourceUnavailable(
        "ClickHouse does not hold enough to re-decide installs exactly like the live engine:\n"
        + clickhouse_gaps()
        + "\nUse --source archive (the Parquet archive `attrib archive` writes)."
    )


__all__ = ["MISSING", "SourceUnavailable", "clickhouse_gaps", "require_clickhouse_inputs"]
