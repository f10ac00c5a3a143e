"""Sessions, re-engagements and in-app events on the real broker (R19, R21, R23–R26, R31).

Each test runs a real ``attrib worker`` process with its own topics and
state, produces Avro records as the collector would, and reads
``reengagements`` and ``attributed-events``.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from attrib.avro import codec
from attrib.keys import device_record_key
from tests.engine.harness import (
    ANDROID_APP,
    WorkerProcess,
    event_record,
    index_entries,
    install_record,
    metric_value,
    now_ms,
    produce_raw,
    produce_records,
    produce_touches,
    read_records,
    session_record,
    setup_deployment,
    touch_record,
    wait_indexed,
    wait_metric,
)

pytestmark = pytest.mark.integration

APP = "com.example.activity"
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def _gaid() -> str:
    return str(uuid.uuid4())


def _ids(gaid: str) -> dict[str, str]:
    return {"advertising_id": gaid}


@pytest.fixture
async def deployment(isolated_settings):
    await setup_deployment(isolated_settings, APP, dict(ANDROID_APP))
    return isolated_settings


async def _install(s, worker: WorkerProcess, installs: list[dict[str, Any]]) -> dict[str, dict]:
    """Produce installs and wait for their decisions; returns every decision by install event."""
    await produce_records(s, "installs", "Install", installs)
    wanted = {i["event_id"] for i in installs}
    deadline = time.monotonic() + 60
    decisions: dict[str, dict] = {}
    while time.monotonic() < deadline and not wanted <= set(decisions):
        records = await read_records(s, "attributions", expect=10**6, within=1)
        decisions = {d["install_event_id"]: d for d in records}
    assert wanted <= set(decisions), worker.log_tail()
    return decisions


def _conversion(worker: WorkerProcess, gaid: str, want: dict[str, Any], within: float = 5) -> dict:
    deadline = time.monotonic() + within
    body: Any = None
    while time.monotonic() < deadline:
        status, body = worker.get(f"/v1/sdk/{APP}/conversion-data?device_id={gaid}")
        if status == 200 and all(body.get(k) == v for k, v in want.items()):
            return body
        time.sleep(0.1)
    raise AssertionError(f"conversion data for {gaid}: {body}, wanted {want}")


def _by_event(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in records:
        out.setdefault(r["event_id"], []).append(r)
    return out


async def test_a_session_after_an_eligible_retargeting_click_re_engages_once(isolated_settings):
    """R23 and R21: id match inside click_lookback, after install, inactivity respected;
    each touch re-engages once; probabilistic matches never do; R26 for sessions; R37."""
    s = isolated_settings
    await setup_deployment(s, APP, dict(ANDROID_APP))
    lazy = "com.example.inactive"
    await setup_deployment(s, lazy, {**ANDROID_APP, "attribution": {"inactivity_period": "1d"}})
    t = now_ms()
    a, b, c, d, e, f, g = (_gaid() for _ in range(7))
    worker = WorkerProcess(s, decision_delay="0s")
    worker.start()
    try:
        await _install(
            s,
            worker,
            [
                install_record(APP, install_time=t - 10 * DAY, ids=_ids(a), ip="192.0.2.1"),
                install_record(APP, install_time=t - 10 * DAY, ids=_ids(b)),  # 198.51.100.7
                install_record(APP, install_time=t - 10 * DAY, ids=_ids(c), ip="192.0.2.3"),
                install_record(APP, install_time=t - 10 * DAY, ids=_ids(d), ip="192.0.2.4"),
                install_record(APP, install_time=t - 2 * HOUR, ids=_ids(e), ip="192.0.2.5"),
                install_record(lazy, install_time=t - 10 * DAY, ids=_ids(f), ip="192.0.2.6"),
                install_record(lazy, install_time=t - 10 * DAY, ids=_ids(g), ip="192.0.2.7"),
            ],
        )
        # c: no session yet, so the answer is its first launch (R37).
        _conversion(worker, c, {"is_first_launch": True, "conversion_type": "install"})
        # f (inactivity app) is active 3 hours ago, before any click.
        f_active = session_record(lazy, session_time=t - 3 * HOUR, ids=_ids(f))
        await produce_records(s, "sessions", "Session", [f_active])
        wait_metric(worker, "attrib_sessions_decided_total", 1, 'outcome="session"')

        rt = dict(media_source="netR", is_retargeting=True, campaign="winback")
        clicks = [
            touch_record(APP, touch_time=t - HOUR, ids=_ids(a), **rt),  # id match: re-engages
            # b: same IP and device, no id: a probabilistic match only.
            touch_record(APP, touch_time=t - HOUR, **rt),
            touch_record(APP, touch_time=t - 8 * DAY, ids=_ids(d), **rt),  # outside 7d lookback
            touch_record(APP, touch_time=t - 3 * HOUR, ids=_ids(e), **rt),  # before e's install
            touch_record(lazy, touch_time=t - HOUR, ids=_ids(f), **rt),  # f active 2h before
            touch_record(lazy, touch_time=t - HOUR, ids=_ids(g), **rt),  # g inactive 10 days
            touch_record(APP, touch_time=t - HOUR, ids=_ids(c)),  # not a retargeting click
        ]
        await produce_touches(s, clicks)
        wait_indexed(worker, index_entries(clicks))

        first_a = session_record(APP, session_time=t, ids=_ids(a))
        sessions = [
            first_a,
            first_a,  # the SDK retried (R26)
            session_record(APP, session_time=t + MINUTE, ids=_ids(a)),  # the click is used up
            session_record(APP, session_time=t, ids=_ids(b)),
            session_record(APP, session_time=t, ids=_ids(c)),
            session_record(APP, session_time=t, ids=_ids(d)),
            session_record(APP, session_time=t, ids=_ids(e)),
            session_record(lazy, session_time=t, ids=_ids(f)),
            session_record(lazy, session_time=t, ids=_ids(g)),
        ]
        await produce_records(s, "sessions", "Session", sessions)
        wait_metric(worker, "attrib_sessions_decided_total", 7, 'outcome="session"')
        wait_metric(worker, "attrib_sessions_decided_total", 2, 'outcome="reengagement"')
        await asyncio.sleep(1)
        found = await read_records(s, "reengagements", expect=3, within=3)
        by_device = {r["device_key"]: r for r in found}
        assert len(found) == 2, found
        assert set(by_device) == {f"advertising_id:{a}", f"advertising_id:{g}"}
        ra = by_device[f"advertising_id:{a}"]
        assert ra["touch_id"] == clicks[0]["touch_id"]
        assert ra["session_event_id"] == first_a["event_id"]
        assert (ra["match_type"], ra["media_source"], ra["campaign"]) == ("id", "netR", "winback")
        assert (ra["touch_time"], ra["reengagement_time"]) == (t - HOUR, t)
        assert ra["window_end"] == t + 30 * DAY  # reengagement_window default

        # R37: after a re-engagement the answer is the re-engagement ...
        _conversion(
            worker,
            a,
            {"conversion_type": "reengagement", "is_retargeting": True, "media_source": "netR"},
        )
        # ... and after a plain session the install is no longer a first launch.
        _conversion(worker, c, {"is_first_launch": False, "conversion_type": "install"})
    finally:
        worker.stop()


async def test_events_in_a_reengagement_window_are_attributed_twice(isolated_settings):
    """R24: retargeting primary plus acquisition not primary inside the window; once
    outside it; an event right behind its re-engaging session waits for the decision."""
    s = isolated_settings
    # A one-hour window, so that an event after it is not in the future (R3).
    await setup_deployment(s, APP, {**ANDROID_APP, "attribution": {"reengagement_window": "1h"}})
    t = now_ms()
    back = t - 2 * HOUR  # the re-engaging session; its window ends an hour later
    gaid = _gaid()
    worker = WorkerProcess(s, decision_delay="2s")
    worker.start()
    try:
        ua = touch_record(APP, touch_time=t - 10 * DAY - HOUR, ids=_ids(gaid), campaign="launch")
        rt = touch_record(
            APP,
            touch_time=back - HOUR,
            ids=_ids(gaid),
            media_source="netR",
            is_retargeting=True,
            campaign="winback",
        )
        await produce_touches(s, [ua, rt])
        wait_indexed(worker, index_entries([ua, rt]))
        await _install(s, worker, [install_record(APP, install_time=t - 10 * DAY, ids=_ids(gaid))])

        before = event_record(APP, event_time=back - MINUTE, ids=_ids(gaid), event_name="level")
        await produce_records(s, "events", "InAppEvent", [before])
        [record] = await read_records(s, "attributed-events", expect=1)
        assert (record["attribution_kind"], record["is_primary_attribution"]) == (
            "user_acquisition",
            True,
        )
        assert (record["media_source"], record["campaign"], record["conversion_type"]) == (
            "netA",
            "launch",
            "install",
        )
        assert record["days_since_install"] == 9  # 9 days 21 h 59 min: 9 whole days
        assert record["install_time"] == t - 10 * DAY

        session = session_record(APP, session_time=back, ids=_ids(gaid))
        await produce_records(s, "sessions", "Session", [session])
        wait_metric(worker, "attrib_pending_installs", 1)  # the session waits decision_delay
        inside = event_record(
            APP, event_time=back + 1_000, ids=_ids(gaid), revenue="4.99", currency="USD"
        )
        await produce_records(s, "events", "InAppEvent", [inside])
        records = await read_records(s, "attributed-events", expect=3)
        [reengagement] = await read_records(s, "reengagements", expect=1)
        assert reengagement["window_end"] == back + HOUR
        got = _by_event(records)[inside["event_id"]]
        assert [(r["attribution_kind"], r["is_primary_attribution"]) for r in got] == [
            ("retargeting", True),
            ("user_acquisition", False),
        ], worker.log_tail()
        retargeting, acquisition = got
        assert retargeting["conversion_type"] == "reengagement"
        assert (retargeting["media_source"], retargeting["campaign"]) == ("netR", "winback")
        assert retargeting["touch_id"] == rt["touch_id"]
        assert retargeting["reengagement_id"] == reengagement["reengagement_id"]
        assert (acquisition["media_source"], acquisition["conversion_type"]) == ("netA", "install")
        assert acquisition["reengagement_id"] is None
        assert retargeting["revenue"] == acquisition["revenue"] == "4.99"
        assert retargeting["attribution_id"] == acquisition["attribution_id"]
        assert retargeting["attribution_id"] == record["attribution_id"]

        after = event_record(APP, event_time=t, ids=_ids(gaid))
        await produce_records(s, "events", "InAppEvent", [after])
        records = await read_records(s, "attributed-events", expect=4)
        [late] = _by_event(records)[after["event_id"]]
        assert (late["attribution_kind"], late["is_primary_attribution"]) == (
            "user_acquisition",
            True,
        )
        assert late["media_source"] == "netA"
        assert late["days_since_install"] == 10
    finally:
        worker.stop()


async def test_events_after_reinstall_reattribution_and_blocked_install(isolated_settings):
    """R19: a reinstall's events are organic, a re-attribution's go to the new source;
    R31: a blocked install's events carry the reason."""
    s = isolated_settings
    blocked = _gaid()
    await setup_deployment(s, APP, {**ANDROID_APP, "fraud": {"blocked_devices": [blocked]}})
    t = now_ms()
    again, back = _gaid(), _gaid()
    worker = WorkerProcess(s, decision_delay="0s")
    worker.start()
    try:
        ua = [
            touch_record(APP, touch_time=t - 10 * DAY - HOUR, ids=_ids(g))
            for g in (again, back, blocked)
        ]
        rt = touch_record(
            APP, touch_time=t - 2 * DAY, ids=_ids(back), media_source="netR", is_retargeting=True
        )
        await produce_touches(s, [*ua, rt])
        wait_indexed(worker, index_entries([*ua, rt]))
        await _install(
            s,
            worker,
            [
                install_record(APP, install_time=t - 10 * DAY, ids=_ids(g), ip=f"192.0.2.{i}")
                for i, g in enumerate((again, back, blocked), start=1)
            ],
        )
        second = [
            install_record(APP, install_time=t - DAY, ids=_ids(g), ip=f"192.0.2.{i}")
            for i, g in enumerate((again, back), start=1)
        ]
        decisions = await _install(s, worker, second)
        assert decisions[second[0]["event_id"]]["conversion_type"] == "reinstall"
        assert decisions[second[1]["event_id"]]["conversion_type"] == "reattribution"

        events = [event_record(APP, event_time=t, ids=_ids(g)) for g in (again, back, blocked)]
        await produce_records(s, "events", "InAppEvent", events)
        got = _by_event(await read_records(s, "attributed-events", expect=3))
        [reinstalled] = got[events[0]["event_id"]]
        assert (reinstalled["media_source"], reinstalled["conversion_type"]) == (
            "organic",
            "reinstall",
        )
        assert reinstalled["touch_id"] is None
        assert reinstalled["install_time"] == t - DAY
        [reattributed] = got[events[1]["event_id"]]
        assert (reattributed["attribution_kind"], reattributed["is_primary_attribution"]) == (
            "retargeting",
            True,
        )
        assert (reattributed["media_source"], reattributed["conversion_type"]) == (
            "netR",
            "reattribution",
        )
        assert reattributed["touch_id"] == rt["touch_id"]
        [blocked_event] = got[events[2]["event_id"]]
        assert blocked_event["blocked_reason"] == "device_blocklist"
        assert blocked_event["conversion_type"] == "blocked"
        assert blocked_event["media_source"] == "netA"  # the touch that would have won
    finally:
        worker.stop()


async def test_events_before_their_install_wait_across_a_restart(deployment) -> None:
    """R25: events wait for their install (and are attributed when it is decided), at most
    the hold, then go out unattributed; the wait survives a restart (changelog only)."""
    s = deployment
    t = now_ms()
    coming, never = _gaid(), _gaid()
    hold = {"ATTRIB_EVENT_HOLD": "45s"}
    early = event_record(APP, event_time=t, ids=_ids(coming), revenue="1.50", currency="EUR")
    lost = event_record(APP, event_time=t, ids=_ids(never))
    worker = WorkerProcess(s, decision_delay="0s", **hold)
    worker.start()
    try:
        await produce_records(s, "events", "InAppEvent", [early, lost, early])
        wait_metric(worker, "attrib_waiting_events", 2)
        await asyncio.sleep(1)  # the changelog writes are acknowledged
    finally:
        worker.stop()
    assert await read_records(s, "attributed-events", expect=1, within=1) == []
    shutil.rmtree(Path(s.data_dir) / "worker" / "tables")  # recovered from changelogs only

    again = WorkerProcess(s, decision_delay="0s", **hold)
    again.start()
    try:
        ua = touch_record(APP, touch_time=t - 2 * MINUTE, ids=_ids(coming))
        await produce_touches(s, [ua])
        wait_indexed(again, index_entries([ua]))
        await _install(s, again, [install_record(APP, install_time=t - MINUTE, ids=_ids(coming))])
        [attributed] = await read_records(s, "attributed-events", expect=1)
        assert attributed["event_id"] == early["event_id"], again.log_tail()
        assert (attributed["conversion_type"], attributed["media_source"]) == ("install", "netA")
        assert (attributed["revenue"], attributed["currency"]) == ("1.50", "EUR")

        records = await read_records(s, "attributed-events", expect=2, within=60)
        got = _by_event(records)
        assert len(got[early["event_id"]]) == 1  # the repeated id had one effect (R26)
        [unattributed] = got[lost["event_id"]]
        assert unattributed["conversion_type"] == "unattributed"
        assert unattributed["media_source"] == "organic"
        assert unattributed["attribution_id"] is None
        assert unattributed["install_time"] is None
        assert unattributed["days_since_install"] is None
        assert unattributed["is_primary_attribution"] is True
        assert metric_value(again, "attrib_waiting_events") == 0
    finally:
        again.stop()


async def test_repeated_event_ids_and_revenue(deployment) -> None:
    """R26: a repeated event id has one effect; revenue keeps its text and currency,
    refunds included; a malformed currency goes to dead-letter."""
    s = deployment
    t = now_ms()
    gaid = _gaid()
    worker = WorkerProcess(s, decision_delay="0s")
    worker.start()
    try:
        await _install(s, worker, [install_record(APP, install_time=t - DAY, ids=_ids(gaid))])
        refund = event_record(
            APP, event_time=t, ids=_ids(gaid), event_name="refund", revenue="-4.99", currency="EUR"
        )
        purchase = event_record(
            APP, event_time=t, ids=_ids(gaid), revenue="1234567.125", currency="JPY"
        )
        await produce_records(s, "events", "InAppEvent", [refund, purchase, refund])
        await read_records(s, "attributed-events", expect=2)
        await produce_records(s, "events", "InAppEvent", [refund])  # a later retry
        bad = event_record(APP, event_time=t, ids=_ids(gaid), revenue="1", currency="XYZ")
        await produce_raw(
            s,
            "events",
            codec.encode("InAppEvent", bad),
            device_record_key(APP, bad["device_key"]),
        )
        [dead] = await read_records(s, "dead-letter", expect=1)
        assert dead["reason"] == "invalid_event"
        records = await read_records(s, "attributed-events", expect=3, within=3)
        got = _by_event(records)
        assert sorted(got) == sorted([refund["event_id"], purchase["event_id"]])
        [r] = got[refund["event_id"]]
        assert (r["revenue"], r["currency"], r["event_name"]) == ("-4.99", "EUR", "refund")
        [p] = got[purchase["event_id"]]
        assert (p["revenue"], p["currency"]) == ("1234567.125", "JPY")
        assert p["days_since_install"] == 1
    finally:
        worker.stop()
