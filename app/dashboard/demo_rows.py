"""The demo scenario's decided data as ClickHouse rows, written straight into the tables.

The dashboard's tests and ``bench/dashboard.py`` need the figures the demo
produces without running the collector, the engine and the sink: this turns
the scenario's facts (``attrib.demo.scenario.Facts``) into the rows the sink
would write (only the columns the reports read; the others take their
defaults) and inserts them with clickhouse-connect. The scenario's
``expected`` figures then hold for the reports over these rows.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from clickhouse_connect.driver.client import Client

from attrib.demo.scenario import FRAUD_SOURCE, Scenario, build

Rows = dict[str, tuple[list[str], list[list[Any]]]]
TOO_MANY = 50  # the demo app's max_touches_per_device_per_hour


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def demo_rows(scenario: Scenario) -> Rows:
    """table -> (columns, rows) of the scenario's decided data."""
    facts = scenario.facts
    if facts is None:
        raise ValueError("the scenario carries no facts")
    app = scenario.app_id

    def device(n: int) -> str:
        return f"demo-device-{n}"

    touch_rows = [
        [
            f"touch-{i}",
            tt.kind,
            app,
            tt.source,
            tt.campaign,
            tt.site,
            tt.retargeting,
            _at(tt.time),
            _at(tt.time),
        ]
        for i, (_, tt) in enumerate(facts.touches)
    ]
    spam = Counter(dev for dev, tt in facts.touches if tt.source == FRAUD_SOURCE)
    rejected_done: set[int] = set()
    attribution_rows = []
    for i, d in enumerate(facts.decisions):
        rejected = []
        if d.device in spam and d.device not in rejected_done and d.conversion_type != "reinstall":
            rejected_done.add(d.device)
            reason = "too_many_engagements" if spam[d.device] > TOO_MANY else "ctit_too_short"
            rejected = [
                (f"spam-{d.device}-{k}", FRAUD_SOURCE, reason) for k in range(spam[d.device])
            ]
        attribution_rows.append(
            [
                f"attribution-{i}",
                app,
                device(d.device),
                f"install-{i}",
                d.conversion_type,
                d.status,
                _at(d.time),
                _at(d.time),
                _at(d.time),
                d.touch_type,
                d.source,
                d.campaign or None,
                d.site or None,
                d.conversion_type == "reattribution",
                d.ctit,
                "ip_blocklist" if d.blocked else None,
                rejected,
            ]
        )
    session_rows = [
        [f"session-{i}", app, device(dev), _at(t), _at(t)]
        for i, (dev, t) in enumerate(facts.sessions)
    ]
    reengagement_rows = [
        [
            f"reengagement-{dev}",
            app,
            device(dev),
            f"rt-session-{dev}",
            f"rt-touch-{dev}",
            "facebook_ads",
            "winback",
            _at(t - 3_600_000),
            _at(t),
            _at(t + 7 * 86_400_000),
        ]
        for dev, t in facts.reengaged.items()
    ]
    event_rows = [
        [
            f"event-{i}",
            app,
            device(dev),
            "purchase",
            revenue,
            currency,
            _at(t),
            _at(t),
            "reengagement" if owner.conversion_type == "reengagement" else "acquisition",
            True,
            "blocked" if owner.blocked else "install",
            "ip_blocklist" if owner.blocked else None,
            owner.source,
            owner.campaign or None,
        ]
        for i, (dev, t, revenue, currency, owner) in enumerate(facts.events)
    ]
    return {
        "touches": (
            ["touch_id", "touch_type", "app_id", "media_source", "campaign", "site_id",
             "is_retargeting", "touch_time", "received_time"],
            touch_rows,
        ),
        "attributions": (
            ["attribution_id", "app_id", "device_key", "install_event_id", "conversion_type",
             "status", "install_time", "received_time", "decided_time", "touch_type",
             "media_source", "campaign", "site_id", "is_retargeting", "ctit_seconds",
             "blocked_reason", "rejected_touches"],
            attribution_rows,
        ),
        "sessions": (
            ["event_id", "app_id", "device_key", "session_time", "received_time"],
            session_rows,
        ),
        "reengagements": (
            ["reengagement_id", "app_id", "device_key", "session_event_id", "touch_id",
             "media_source", "campaign", "touch_time", "reengagement_time", "window_end"],
            reengagement_rows,
        ),
        "attributed_events": (
            ["event_id", "app_id", "device_key", "event_name", "revenue", "currency",
             "event_time", "received_time", "attribution_kind", "is_primary_attribution",
             "conversion_type", "blocked_reason", "media_source", "campaign"],
            event_rows,
        ),
    }  # fmt: skip


def insert_demo(client: Client, app_id: str, now_ms: int, *, seed: int = 7) -> Scenario:
    """Write the demo scenario for ``app_id`` as of ``now_ms`` into the client's database."""
    scenario = build(app_id, now_ms, seed=seed)
    for table, (columns, rows) in demo_rows(scenario).items():
        if rows:
            client.insert(table, rows, column_names=columns)
    return scenario


__all__ = ["demo_rows", "insert_demo"]
