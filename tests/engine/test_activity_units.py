"""The pure parts of sessions and in-app events (R21, R23–R26): keys, device state,
waiting events, and the records written to ``reengagements`` and ``attributed-events``."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from attrib.avro import codec
from attrib.engine import activity, devices, pending, remembered_ids, touch_lists, waiting, wire
from attrib.engine.conversion import reengagement_answer
from attrib.engine.convert import (
    attribution_record,
    decision_from_attribution,
    reengagement_id_for,
    session_from_record,
    touch_from_record,
)
from attrib.engine.index import session_lookup_keys
from attrib.rules.matching import MatchedTouch
from attrib.rules.model import Decision, RuleSettings
from attrib.rules.reengagement import is_reengagement, open_reengagement
from tests.engine.harness import event_record, install_record, session_record, touch_record

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
T0 = 1_764_000_000_000
APP = "com.example.game"
GAID = "2f1e6a7c-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
IDS = {"advertising_id": GAID}

UA_TOUCH = touch_record(APP, touch_time=T0 - HOUR, ids=IDS, touch_id="ua-1", campaign="launch")
RT_TOUCH = touch_record(
    APP,
    touch_time=T0 + 10 * DAY,
    ids=IDS,
    touch_id="rt-1",
    media_source="netR",
    is_retargeting=True,
    campaign="winback",
)
INSTALL = install_record(APP, install_time=T0, ids=IDS, event_id="install-1", received_time=T0)


def _attribution(conversion_type: str = "install", **fields: Any) -> dict[str, Any]:
    """An ``attributions`` record as decide-installs writes it (round-tripped through Avro)."""
    fields.setdefault("winner", touch_from_record(UA_TOUCH))
    fields.setdefault("match_type", "id" if fields["winner"] else None)
    status = "blocked" if conversion_type == "blocked" else "non_organic"
    decision = Decision(conversion_type, status, **fields)  # type: ignore[arg-type]
    record = attribution_record(INSTALL, decision, decided_time=T0 + 1_000)
    return codec.decode(codec.encode("Attribution", record), expect="Attribution")


def _state(attribution: dict[str, Any] | None = None) -> devices.DeviceState:
    attribution = attribution or _attribution()
    state = devices.apply_decision(
        None,
        install_time=T0,
        decision=decision_from_attribution(attribution),
        event_id="install-1",
        attribution_id=attribution["attribution_id"],
        attribution=codec.encode("Attribution", attribution),
    )
    return wire.decode(wire.encode("DeviceState", state), "DeviceState")


def _reengaged(state: devices.DeviceState, session_time: int = T0 + 11 * DAY):
    session = session_from_record(session_record(APP, session_time=session_time, ids=IDS))
    touch = touch_from_record(RT_TOUCH)
    matched = is_reengagement(
        session, [touch], RuleSettings(), devices.history_of(state), devices.used_touch_ids(state)
    )
    assert matched is not None
    reengagement = open_reengagement(session, matched, RuleSettings())
    stored = activity.open_reengagement(
        APP, session.event_id, codec.encode("Touch", RT_TOUCH), reengagement
    )
    updated = devices.apply_session(
        state,
        session_time=session_time,
        event_id=session.event_id,
        reengagement=stored,
        used_touch=(touch.touch_id, touch.touch_time),
    )
    return (
        session,
        matched,
        reengagement,
        wire.decode(wire.encode("DeviceState", updated), "DeviceState"),
    )


def _records(state: devices.DeviceState, event_time: int) -> list[dict[str, Any]]:
    event = event_record(APP, event_time=event_time, ids=IDS, revenue="9.99", currency="USD")
    attribution = codec.decode(state["attribution"], expect="Attribution")
    out = activity.attributed_event_records(event, attribution, state["reengagement"])
    for record in out:  # every record is valid for the contract
        codec.decode(codec.encode("AttributedEvent", record), expect="AttributedEvent")
    return out


# ---- keys and lookups ---------------------------------------------------------
def test_session_lookups_are_id_keys_only_and_never_probabilistic() -> None:
    session = session_from_record(
        session_record(APP, session_time=T0, ids={**IDS, "idfv": GAID, "customer_user_id": "u1"})
    )
    assert session_lookup_keys(session) == [f"i|{APP}|advertising_id:{GAID}"]


def test_a_session_lookup_returns_only_clicks_after_the_install() -> None:
    key = f"i|{APP}|advertising_id:{GAID}"
    assert touch_lists.lookup_window(key, install_time=T0 + DAY, newer_than=T0) == (
        T0 + 1,
        T0 + DAY,
    )
    oldest, _ = touch_lists.lookup_window(key, install_time=T0 + DAY)
    assert oldest < T0 - HOUR  # without newer_than, acquisition clicks are inside


def test_pending_sessions_are_pending_entries_of_kind_session() -> None:
    entry = pending.new_entry(
        event_id="s1",
        install=b"session",
        arrived_ms=0,
        delay_ms=1_000,
        keys=[],
        kind=pending.SESSION,
        newer_than=T0,
    )
    decoded = wire.decode(wire.encode("PendingInstalls", {"installs": [entry]}), "PendingInstalls")
    [back] = decoded["installs"]
    assert (back["kind"], back["newer_than"], back["keys"]) == ("session", T0, [pending.NO_LOOKUP])


# ---- device state -------------------------------------------------------------------
def test_r21_a_session_moves_last_activity_and_marks_the_launch() -> None:
    state = _state()
    assert (state["last_activity_time"], state["launched"]) == (T0, False)
    later = devices.apply_session(state, session_time=T0 + DAY, event_id="s1")
    assert (later["last_activity_time"], later["launched"]) == (T0 + DAY, True)
    assert devices.session_seen(later, "s1")
    assert not devices.session_seen(later, "s2")
    older = devices.apply_session(later, session_time=T0 + HOUR, event_id="s0")
    assert older["last_activity_time"] == T0 + DAY  # out of order: the latest stays


def test_r23_a_re_engagement_uses_its_click_up() -> None:
    session, _, _, state = _reengaged(_state())
    assert devices.used_touch_ids(state) == {"rt-1"}
    again = session_from_record(session_record(APP, session_time=T0 + 12 * DAY, ids=IDS))
    assert (
        is_reengagement(
            again,
            [touch_from_record(RT_TOUCH)],
            RuleSettings(),
            devices.history_of(state),
            devices.used_touch_ids(state),
        )
        is None
    )
    assert state["reengagement"]["reengagement_id"] == reengagement_id_for(APP, session.event_id)


def test_used_clicks_are_bounded_by_the_largest_click_window_and_a_count() -> None:
    state = _state()
    for i in range(devices.MAX_USED_TOUCHES + 5):
        state = devices.apply_session(
            state, session_time=T0 + i, event_id=f"s{i}", used_touch=(f"t{i}", T0 + i)
        )
    assert len(state["used_touches"]) == devices.MAX_USED_TOUCHES
    late = T0 + devices.USED_TOUCH_HORIZON_MS + 10 * DAY
    state = devices.apply_session(state, session_time=late, event_id="x", used_touch=("t", late))
    assert devices.used_touch_ids(state) == {"t"}
    # R26: sessions a dedupe window (30 d) older than the newest are forgotten.
    assert devices.session_seen(state, "x")
    assert not devices.session_seen(state, "s0")
    assert remembered_ids.count(state["session_digests"]) == 1


def test_a_new_install_decision_closes_the_re_engagement_and_the_launch() -> None:
    *_, state = _reengaged(_state())
    assert state["launched"]
    assert state["reengagement"] is not None
    reinstall = _attribution("reinstall", winner=None)
    after = devices.apply_decision(
        state,
        install_time=T0 + 20 * DAY,
        decision=decision_from_attribution(reinstall),
        event_id="install-2",
        attribution_id="a2",
        attribution=codec.encode("Attribution", reinstall),
    )
    assert (after["launched"], after["reengagement"]) == (False, None)
    assert devices.used_touch_ids(after) == {"rt-1"}  # a click still re-engages only once


def test_r26_event_ids_are_remembered_for_the_window_however_many() -> None:
    state = _state()
    assert not devices.event_seen(state, "e1")
    assert not devices.event_seen(None, "e1")
    state = devices.remember_events(state, ["e1"], [T0])
    assert devices.event_seen(state, "e1")
    many = [f"x{i}" for i in range(5_000)]  # far more than any count bound used to keep
    state = devices.remember_events(state, many, [T0 + i for i in range(5_000)])
    assert devices.event_seen(state, "e1")
    assert devices.remembered_events(state) == 5_001
    # Just past the window they are still remembered (pruned after the slack) ...
    state = devices.remember_events(state, ["w"], [T0 + devices.DEDUPE_WINDOW_MS + 5_000])
    assert devices.event_seen(state, "e1")
    # ... and a slack later in event time, the old ones go.
    late = T0 + devices.DEDUPE_WINDOW_MS + remembered_ids.PRUNE_SLACK_MS + 5_000
    state = devices.remember_events(state, ["late"], [late])
    assert not devices.event_seen(state, "e1")
    assert not devices.event_seen(state, "x4999")  # 4,999 ms after e1: outside too
    assert [devices.event_seen(state, e) for e in ("w", "late")] == [True, True]
    assert devices.remembered_events(state) == 2
    decoded = wire.decode(wire.encode("DeviceState", state), "DeviceState")
    assert [devices.event_seen(decoded, e) for e in ("e1", "w", "late")] == [False, True, True]


@given(
    ids=st.lists(st.text(min_size=1, max_size=6), max_size=40),
    others=st.lists(st.text(min_size=1, max_size=6), max_size=20),
)
def test_r26_a_remembered_event_is_seen_and_no_other(ids: list[str], others: list[str]) -> None:
    """Digests are matched on their 8-byte boundaries only: the bytes of two
    neighbours never make a third id look seen."""
    state = _state()
    for at, event_id in enumerate(ids):
        state = devices.remember_events(state, [event_id], [T0 + at])
    for event_id in [*ids, *others]:
        assert devices.event_seen(state, event_id) == (event_id in ids)


def test_r26_events_remembered_before_v4_are_read_and_moved_to_the_packed_fields() -> None:
    """A device written by the previous version (DeviceState v3: arrays of longs for
    events, of strings for sessions)."""
    old = {
        **_state(),
        "events": [remembered_ids.digest_long("old-1"), remembered_ids.digest_long("old-2")],
        "event_times": [T0, T0 + 1],
        "sessions": ["session-1"],
        "session_times": [T0],
    }
    for field in ("event_digests", "event_digest_times", "session_digests", "session_digest_times"):
        old.pop(field, None)
    raw = wire.internal_codec().encode("DeviceState", old, version=3)
    state = wire.decode(raw, "DeviceState")
    assert devices.event_seen(state, "old-1")
    assert not devices.event_seen(state, "new")
    assert devices.session_seen(state, "session-1")
    state = devices.remember_events(state, ["new"], [T0 + 2])
    assert (state["events"], state["event_times"]) == ([], [])
    assert devices.remembered_events(state) == 3
    assert all(devices.event_seen(state, e) for e in ("old-1", "old-2", "new"))
    assert struct.unpack("<3q", state["event_digest_times"]) == (T0, T0 + 1, T0 + 2)
    state = devices.apply_session(state, session_time=T0 + 3, event_id="session-2")
    assert (state["sessions"], state["session_times"]) == ([], [])
    assert devices.session_seen(state, "session-1")
    assert devices.session_seen(state, "session-2")
    assert remembered_ids.count(state["session_digests"]) == 2
    decoded = wire.decode(wire.encode("DeviceState", state), "DeviceState")
    assert devices.session_seen(decoded, "session-1")
    assert devices.event_seen(decoded, "old-2")


def test_r26_memory_costs_about_sixteen_bytes_per_event() -> None:
    """The figure docs/operations.md gives for ATTRIB_DEDUPE_WINDOW."""
    state = _state()
    base = len(wire.encode("DeviceState", state))
    state = devices.remember_events(
        state, [f"{i:08d}-event" for i in range(1_000)], [T0 + i * 60_000 for i in range(1_000)]
    )
    per_event = (len(wire.encode("DeviceState", state)) - base) / 1_000
    assert 12 <= per_event <= 18


def test_r26_memory_costs_about_sixteen_bytes_per_session() -> None:
    """The figure docs/operations.md gives for ATTRIB_DEDUPE_WINDOW (45 B before v4)."""
    state = _state()
    base = len(wire.encode("DeviceState", state))
    for i in range(300):
        state = devices.apply_session(
            state, session_time=T0 + i * 60_000, event_id=f"{i:08d}-4f1c-9a7e-8b2d-0c5e6f7a8b9c"
        )
    per_session = (len(wire.encode("DeviceState", state)) - base) / 300
    assert 15 <= per_session <= 17


# ---- waiting events (R25) ----------------------------------------------------------
def test_waiting_events_are_deduplicated_bounded_and_due_after_the_hold() -> None:
    first = waiting.new_entry(event_id="e1", event=b"1", arrived_ms=0)
    assert first["due_ms"] == waiting.HOLD_MS == 600_000
    entries, out = waiting.add([], first, limit=2)
    assert out == []
    assert waiting.add(entries, first, limit=2) == (entries, [])
    entries, _ = waiting.add(entries, waiting.new_entry(event_id="e2", event=b"2", arrived_ms=5))
    entries, out = waiting.add(
        entries, waiting.new_entry(event_id="e3", event=b"3", arrived_ms=9), limit=2
    )
    assert [e["event_id"] for e in out] == ["e1"]  # the oldest is let go at once
    assert [e["event_id"] for e in entries] == ["e2", "e3"]
    remaining, due = waiting.take_due(entries, 600_005)
    assert ([e["event_id"] for e in remaining], [e["event_id"] for e in due]) == (["e3"], ["e2"])


# ---- records ---------------------------------------------------------------------
def test_event_validation_keeps_refunds_and_refuses_bad_money() -> None:
    ok = event_record(APP, event_time=T0, ids=IDS, revenue="-4.99", currency="EUR")
    assert activity.event_problem(ok) is None
    assert activity.event_problem({**ok, "revenue": None, "currency": None}) is None
    assert "revenue" in activity.event_problem({**ok, "revenue": "1e3"})
    assert "currency" in activity.event_problem({**ok, "currency": "XYZ"})


def test_days_since_install_counts_elapsed_days() -> None:
    assert activity.days_since_install(T0, T0) == 0
    assert activity.days_since_install(T0, T0 + DAY - 1) == 0
    assert activity.days_since_install(T0, T0 + DAY) == 1
    assert activity.days_since_install(T0, T0 - HOUR) == 0


def test_r24_an_event_of_an_installed_device_has_one_primary_record() -> None:
    [record] = _records(_state(), T0 + 2 * DAY)
    assert (record["attribution_kind"], record["is_primary_attribution"]) == (
        "user_acquisition",
        True,
    )
    assert (record["media_source"], record["campaign"], record["touch_id"]) == (
        "netA",
        "launch",
        "ua-1",
    )
    assert (record["install_time"], record["days_since_install"]) == (T0, 2)
    assert (record["revenue"], record["currency"]) == ("9.99", "USD")
    assert record["attribution_id"] == _attribution()["attribution_id"]


def test_r24_inside_the_re_engagement_window_two_records_retargeting_first() -> None:
    _, _, reengagement, state = _reengaged(_state())
    retargeting, acquisition = _records(state, reengagement.reengagement_time + HOUR)
    assert (retargeting["attribution_kind"], retargeting["is_primary_attribution"]) == (
        "retargeting",
        True,
    )
    assert (retargeting["conversion_type"], retargeting["media_source"]) == (
        "reengagement",
        "netR",
    )
    assert retargeting["reengagement_id"] == state["reengagement"]["reengagement_id"]
    assert (acquisition["attribution_kind"], acquisition["is_primary_attribution"]) == (
        "user_acquisition",
        False,
    )
    assert acquisition["reengagement_id"] is None
    [after] = _records(state, reengagement.window_end + 1)
    assert after["is_primary_attribution"]
    assert after["media_source"] == "netA"


def test_r19_r31_reinstall_reattribution_and_blocked_records() -> None:
    [reinstalled] = _records(_state(_attribution("reinstall", winner=None)), T0 + DAY)
    assert (reinstalled["media_source"], reinstalled["conversion_type"]) == ("organic", "reinstall")
    reattributed = _attribution(
        "reattribution", winner=touch_from_record(RT_TOUCH), is_retargeting=True
    )
    [record] = _records(_state(reattributed), T0 + DAY)
    assert (record["attribution_kind"], record["media_source"]) == ("retargeting", "netR")
    blocked = _attribution("blocked", blocked_reason="device_blocklist")
    [record] = _records(_state(blocked), T0 + DAY)
    assert (record["blocked_reason"], record["media_source"]) == ("device_blocklist", "netA")


def test_r25_an_unattributed_event_is_organic_without_install() -> None:
    event = event_record(APP, event_time=T0, ids=IDS)
    record = activity.unattributed_event_record(event)
    codec.encode("AttributedEvent", record)
    assert (record["conversion_type"], record["media_source"]) == ("unattributed", "organic")
    assert (record["attribution_id"], record["install_time"], record["days_since_install"]) == (
        None,
        None,
        None,
    )


def test_reengagement_record_and_conversion_answer() -> None:
    state = _state()
    session, matched, reengagement, _ = _reengaged(state)
    raw_session = session_record(APP, session_time=session.session_time, ids=IDS)
    raw_session["event_id"] = session.event_id
    record = activity.reengagement_record(
        raw_session, matched, reengagement, decided_time=session.session_time + 1
    )
    codec.encode("Reengagement", record)
    assert record["reengagement_id"] == reengagement_id_for(APP, session.event_id)
    assert (record["touch_id"], record["match_type"], record["media_source"]) == (
        "rt-1",
        "id",
        "netR",
    )
    assert record["window_end"] == session.session_time + 30 * DAY
    answer = reengagement_answer(record, "click", T0)
    assert answer["conversion_type"] == "reengagement"
    assert (answer["is_retargeting"], answer["is_first_launch"]) == (True, False)
    assert isinstance(matched, MatchedTouch)


def test_due_queue_keeps_arrival_order_at_equal_due_times() -> None:
    """Two sessions of a device from one batch are decided in arrival order (R23)."""
    from attrib.engine.scheduler import DueQueue

    queue = DueQueue()
    for event_id in ("z-first", "a-second", "m-third"):
        queue.push(100, b"app|device", event_id)
    queue.push(50, b"app|other", "earlier")
    assert [e for _, e in queue.pop_due(100)] == ["earlier", "z-first", "a-second", "m-third"]
