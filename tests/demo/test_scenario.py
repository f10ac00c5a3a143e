"""The demo's data set is pure and its expected figures follow the simple rules it states."""

from __future__ import annotations

import json
from datetime import timedelta

from attrib.demo.scenario import FRAUD_SOURCE, build

NOW = 1_790_000_000_000  # 2026-09-21 (a fixed clock: the scenario never reads one)


def rows(scenario, report):
    return scenario.expected[report]


def test_same_seed_same_requests_and_expectations() -> None:
    a, b = build("demo-a", NOW, sdk_key="k"), build("demo-a", NOW, sdk_key="k")
    assert [r.path for p in a.phases for r in p.requests] == [
        r.path for p in b.phases for r in p.requests
    ]
    assert [r.body for p in a.phases for r in p.requests] == [
        r.body for p in b.phases for r in p.requests
    ]
    assert a.expected == b.expected


def test_phases_in_pipeline_order_and_small() -> None:
    s = build("demo-a", NOW)
    assert [p.name for p in s.phases] == [
        "touches",
        "installs",
        "reinstalls",
        "sessions",
        "purchases",
    ]
    kinds = [{r.kind for r in p.requests} for p in s.phases]
    assert kinds == [{"click", "impression"}, {"install"}, {"install"}, {"session"}, {"event"}]
    assert sum(len(p.requests) for p in s.phases) < 2_000


def test_event_times_in_the_past_weeks_and_never_in_the_future() -> None:
    s = build("demo-a", NOW)
    times = []
    for p in s.phases:
        for r in p.requests:
            if r.body is None:
                times.append(int(r.path.split("ts=")[1].split("&")[0]))
            else:
                times.append(json.loads(r.body)["timestamp"])
    assert max(times) < NOW
    assert NOW - min(times) < timedelta(days=29).total_seconds() * 1000  # inside the index horizon
    assert NOW - min(times) > timedelta(days=14).total_seconds() * 1000


def test_overview_totals() -> None:
    s = build("demo-a", NOW)
    overview = {(r["media_source"], r["campaign"]): r for r in rows(s, "overview")}
    first_installs = len(s.phases[1].requests)
    total = sum(
        r["installs"] + r["organic_installs"] + r["blocked_installs"] for r in overview.values()
    )
    # every first install is counted once; plus the three new installs after the window
    assert total == first_installs + 3
    assert overview["facebook_ads", "winback"]["reattributions"] == 3
    assert overview["facebook_ads", "winback"]["reengagements"] == 6
    assert overview[FRAUD_SOURCE, "incent"]["installs"] == 0
    assert overview["googleadwords_int", "search_brand"]["blocked_installs"] == 6
    assert {c for r in overview.values() for c in r["revenue"]} == {"USD", "EUR"}


def test_fraud_expectations() -> None:
    s = build("demo-a", NOW)
    fraud = {(r["kind"], r["reason"]): r["count"] for r in rows(s, "fraud")}
    assert fraud == {
        ("blocked_install", "ip_blocklist"): 6,
        ("rejected_touch", "ctit_too_short"): 12,
        ("rejected_touch", "too_many_engagements"): 360,
    }


def test_ctit_sources_have_their_own_signature() -> None:
    s = build("demo-a", NOW)
    by_source: dict[str, dict[str, int]] = {}
    for r in rows(s, "ctit"):
        agg = by_source.setdefault(r["media_source"], {})
        for bucket in ("<10s", "10s-1m", "1m-10m", "10m-1h", "1h-24h", "1-7d", ">7d"):
            agg[bucket] = agg.get(bucket, 0) + r[bucket]
    assert by_source["applovin_int"]["1-7d"] == 18
    assert by_source["tiktok_int"]["1h-24h"] == 30
    assert all(agg["<10s"] == 0 for agg in by_source.values())  # short CTITs never win
    assert FRAUD_SOURCE not in by_source


def test_retention_is_null_for_days_still_to_come() -> None:
    s = build("demo-a", NOW)
    for r in rows(s, "retention"):
        for n in (1, 3, 7, 14, 30):
            future = r["install_day"] + timedelta(days=n) > s.today
            assert (r[f"day_{n}"] is None) == future
