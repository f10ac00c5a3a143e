"""A scripted month of one app's traffic whose report figures are worked out by hand.

The comments next to each record say what it is there to prove; the expected
report rows live in test_reports.py. App ``com.example.game`` (``APP``) in
March 2025 unless noted; ``OTHER`` is a second app, and a few records fall in
February, both to be filtered out by ``--app`` / ``--from``.
"""

from __future__ import annotations

from typing import Any

from analytics_helpers import (
    APP,
    attribution,
    delivery,
    event,
    organic,
    reengagement,
    session,
    touch,
)

from attrib import topics

OTHER = "com.example.other"
BLOCKED = {"conversion_type": "blocked", "status": "blocked"}
NET_B = {"media_source": "netB", "campaign": "winback"}


def touches() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(clicks, impressions)."""
    clicks = [
        touch("t1", "2025-03-01 10:00"),
        touch("t2", "2025-03-01 11:00"),
        touch("t9", "2025-03-01 18:00"),
        touch("t3", "2025-03-02 09:00"),
        touch("t10", "2025-03-02 09:30"),
        touch("t11", "2025-03-02 10:30"),
        touch("t12", "2025-03-04 10:00"),
        touch("t13", "2025-03-04 11:00"),
        touch("t5", "2025-03-02 10:00", **NET_B),
        touch("t6", "2025-03-03 10:00", **NET_B),  # the blocked device's: still a click
        touch("t7", "2025-02-28 23:59"),  # February
        touch("o1", "2025-03-01 10:00", app_id=OTHER),
    ]
    impressions = [
        touch("t4", "2025-03-01 12:00", touch_type="impression"),
        touch("t8", "2025-03-02 12:00", touch_type="impression"),
    ]
    return clicks, impressions


def attributions() -> list[dict[str, Any]]:
    site2 = {"site_id": "site-2", "lookback": "30d"}
    return [
        attribution("a1", 1, "2025-03-01 10:00:30", ctit_seconds=10),  # 10s-1m (its lower edge)
        attribution("a2", 2, "2025-03-01 22:44", ctit_seconds=5),  # <10s
        attribution("a3", 3, "2025-03-02 09:10", ctit_seconds=604_800, **site2),  # 1-7d (7 d)
        attribution(
            "a9",
            9,
            "2025-03-02 10:00",
            ctit_seconds=60,  # 1m-10m (its lower edge)
            rejected_touches=[
                {"touch_id": "t-r1", "media_source": "netC", "reason": "ctit_too_short"},
                {"touch_id": "t-r2", "media_source": "netC", "reason": "click_injection"},
            ],
        ),
        attribution("a12", 12, "2025-03-04 09:00", ctit_seconds=700_000, **site2),  # >7d
        attribution("a13", 13, "2025-03-04 10:00", touch_type="impression", ctit_seconds=100),
        organic("a4", 4, "2025-03-01 15:00"),
        organic("a5", 5, "2025-03-02 08:00"),
        attribution(
            "a6",
            6,
            "2025-03-03 11:00",
            conversion_type="reattribution",
            is_retargeting=True,
            ctit_seconds=3_600,  # 1h-24h
            site_id="site-9",
            **NET_B,
        ),
        attribution(
            "a7",
            7,
            "2025-03-03 12:00",
            blocked_reason="ip_blocklist",
            rejected_touches=[
                {"touch_id": "t-x", "media_source": "netC", "reason": "ctit_too_short"}
            ],
            **BLOCKED,
            **NET_B,
        ),
        organic("a8", 8, "2025-03-03 13:00", blocked_reason="device_blocklist", **BLOCKED),
        organic("a10", 10, "2025-03-04 12:00", conversion_type="reinstall"),  # in no column
        attribution("a11", 11, "2025-02-28 12:00", ctit_seconds=10),  # February
        attribution("ao1", 1, "2025-03-01 10:00", app_id=OTHER),
    ]


def reengagements() -> list[dict[str, Any]]:
    return [
        reengagement("r1", 1, "2025-03-05 12:00"),
        reengagement("r2", 2, "2025-03-06 12:00"),
    ]


def sessions() -> list[dict[str, Any]]:
    return [
        session("s1", 1, "2025-03-02 08:00"),  # a1: day 1
        session("s2", 1, "2025-03-04 08:00"),  # a1: day 3
        session("s3", 1, "2025-03-08 08:00"),  # a1: day 7
        session("s4", 2, "2025-03-02 01:12"),  # a2 (22:44 the day before): day 1
        session("s5", 3, "2025-03-02 20:00"),  # a3: day 0, no retention day
        session("s6", 3, "2025-03-09 09:00"),  # a3: day 7
        session("s7", 4, "2025-03-31 23:00"),  # a4: day 30
        session("s8", 9, "2025-03-03 10:00"),  # a9: day 1
        session("s8", 9, "2025-03-03 10:00"),  # the same event_id again (R26)
        session("s9", 12, "2025-03-18 07:00"),  # a12: day 14
        session("s10", 7, "2025-03-04 07:00"),  # a blocked device: in no cohort
    ]


def attributed_events() -> list[dict[str, Any]]:
    netb_primary = {
        "attribution_kind": "retargeting",
        "reengagement_id": "r1",
        "conversion_type": "install",
        **NET_B,
    }
    return [
        event("e1", 1, "2025-03-01 12:00", revenue="9.99", currency="USD"),
        event("e1", 1, "2025-03-01 12:00", revenue="9.99", currency="USD"),  # repeated event_id
        event("e2", 1, "2025-03-02 12:00", revenue="5.00", currency="EUR"),
        event("e3", 2, "2025-03-02 13:00", event_name="level_up", revenue=None, currency=None),
        # One event in a re-engagement window: two records, the retargeting one primary.
        event("e4", 1, "2025-03-05 13:00", revenue="2.50", **netb_primary),
        event("e4", 1, "2025-03-05 13:00", revenue="2.50", is_primary_attribution=False),
        event(
            "e5",
            7,
            "2025-03-03 14:00",
            revenue="100.00",
            blocked_reason="ip_blocklist",
            conversion_type="blocked",
            **NET_B,
        ),  # a blocked install's event: in no aggregate
        event("e6", 4, "2025-03-03 15:00", revenue="1.01", media_source="organic", campaign=None),
        event(
            "e7",
            99,
            "2025-03-03 16:00",
            revenue="0.99",
            media_source="organic",
            campaign=None,
            conversion_type="unattributed",
            attribution_id=None,
        ),
        event("e8", 11, "2025-02-28 13:00", revenue="50.00"),  # February
    ]


def deliveries() -> list[dict[str, Any]]:
    retry = {"status": "retry", "http_status": 503}
    unreachable = {"http_status": None, "latency_ms": None, "error": "connection refused"}
    return [
        delivery("d1", 1, "2025-03-01 10:01", latency_ms=100),
        delivery("d1", 1, "2025-03-01 10:01", latency_ms=100),  # the same attempt again
        delivery("d2", 1, "2025-03-01 11:00", latency_ms=200, **retry),
        delivery("d2", 2, "2025-03-01 11:01", latency_ms=300, **retry),
        delivery("d2", 3, "2025-03-01 11:06", latency_ms=150),
        delivery("d3", 1, "2025-03-02 09:00", latency_ms=50, status="failed", http_status=400),
        *(
            delivery("d4", n, f"2025-03-02 1{n}:00", status="retry", **unreachable)
            for n in range(1, 6)
        ),
        delivery("d4", 6, "2025-03-02 17:00", status="dead", **unreachable),
        delivery("d5", 1, "2025-03-03 09:00", latency_ms=400, **retry),
        delivery(
            "d6",
            1,
            "2025-03-03 09:00",
            kind="push",
            media_source="",
            endpoint="https://push.advertiser.example/hook",
            host="push.advertiser.example",
            latency_ms=80,
        ),
        delivery("d7", 1, "2025-02-27 09:00"),  # February
    ]


def by_topic() -> dict[str, list[dict[str, Any]]]:
    clicks, impressions = touches()
    return {
        topics.CLICKS: clicks,
        topics.IMPRESSIONS: impressions,
        topics.ATTRIBUTIONS: attributions(),
        topics.REENGAGEMENTS: reengagements(),
        topics.SESSIONS: sessions(),
        topics.ATTRIBUTED_EVENTS: attributed_events(),
        topics.POSTBACK_DELIVERIES: deliveries(),
    }


#: what each table holds once, after deduplication
DISTINCT_ROWS = {
    "touches": 14,
    "attributions": 14,
    "reengagements": 2,
    "sessions": 10,
    "attributed_events": 9,
    "postback_deliveries": 14,
}

__all__ = ["APP", "DISTINCT_ROWS", "OTHER", "by_topic"]
