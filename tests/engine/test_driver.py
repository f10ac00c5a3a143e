"""The engine's processors end to end through the broker-less driver (tests/engine/driver.py).

Event-time correctness (R1): history imports and late sources decide as a
replay in event-time order would; retention of devices and conversion data;
the touch-index sweep keeps up with the write rate.
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from attrib.config import validate_app_config
from attrib.engine import devices
from attrib.engine.partitioning import partition_for
from attrib.identifiers import device_key, normalise_identifiers
from attrib.keys import device_record_key
from tests.engine.driver import EngineDriver
from tests.engine.harness import event_record, install_record, session_record, touch_record

APP = "com.example.driver"
DAY = 86_400_000
T0 = 1_780_000_000_000  # "today" of these tests
CONFIG = validate_app_config(
    APP,
    {"platform": "android", "store_url": "https://play.google.com/store/apps/details?id=x"},
)


def driver(**kwargs: Any) -> EngineDriver:
    return EngineDriver({APP: CONFIG}, start_ms=T0, **kwargs)


def gaid() -> dict[str, str]:
    return {"advertising_id": str(uuid.uuid4())}


def click(ids: dict[str, str], at: int, *, received: int | None = None, **kw: Any) -> dict:
    record = touch_record(APP, touch_time=at, ids=ids, ip=None, **kw)
    record["received_time"] = at if received is None else received
    return record


def install(ids: dict[str, str], at: int, *, received: int = T0, **kw: Any) -> dict:
    record = install_record(APP, install_time=at, ids=ids, received_time=received, **kw)
    record["ip"] = None
    return record


def todays_traffic(d: EngineDriver, n: int = 40) -> None:
    """Clicks of other devices at today's time: every partition's event time is today."""
    d.pipe("clicks", [click(gaid(), T0) for _ in range(n)])


def test_a_click_then_its_install_is_attributed_and_files_conversion_data() -> None:
    d = driver()
    ids = gaid()
    d.pipe("clicks", [click(ids, T0 - 60_000, media_source="netA")])
    d.pipe("installs", [install(ids, T0)])
    assert d.read("attributions") == []  # the install waits decision_delay (R4)
    d.advance(1_000)
    [decision] = d.read("attributions")
    assert (decision["media_source"], decision["match_type"]) == ("netA", "id")
    assert b'"media_source":"netA"' in (d.conversion_answer(APP, ids["advertising_id"]) or b"")


def test_r4_a_touch_received_after_the_decision_does_not_change_it() -> None:
    """R4: the decision is over every touch received within decision_delay; a later
    arrival, even one that would have won (last touch), changes nothing."""
    d = driver()
    ids, other = gaid(), gaid()
    d.pipe("clicks", [click(ids, T0 - 7_200_000, media_source="early")])
    d.pipe("installs", [install(ids, T0)])
    d.advance(1_000)
    d.pipe("clicks", [click(ids, T0 - 3_600_000, media_source="late", received=T0 + 1_000)])
    d.advance(5_000)
    [decision] = d.read("attributions")
    assert decision["media_source"] == "early"
    # The same late click received inside decision_delay is seen, and wins.
    d.pipe("clicks", [click(other, T0 - 7_200_000, media_source="early")])
    d.pipe("installs", [install(other, T0 + 6_000, received=T0 + 6_000)])
    d.pipe("clicks", [click(other, T0 - 3_600_000, media_source="late", received=T0 + 6_500)])
    d.advance(1_000)
    [_, seen] = d.read("attributions")
    assert (seen["device_key"], seen["media_source"]) == (device_key(other), "late")


def test_history_import_decides_as_in_event_time_order() -> None:
    """A click 41 days ago and its install 40 days ago, received today while the
    app has today's traffic: attributed, not organic (touches are kept for a
    horizon after their reception, not only in event time)."""
    d = driver()
    todays_traffic(d)
    ids = gaid()
    d.pipe("clicks", [click(ids, T0 - 41 * DAY, received=T0, media_source="netH")])
    d.pipe("installs", [install(ids, T0 - 40 * DAY)])
    d.advance(1_000)
    [decision] = d.read("attributions")
    assert decision["media_source"] == "netH"
    assert decision["conversion_type"] == "install"


def test_a_reattribution_builds_on_a_forty_day_old_imported_install() -> None:
    d = driver()
    todays_traffic(d)
    ids = gaid()
    d.pipe("clicks", [click(ids, T0 - 41 * DAY, received=T0, media_source="netH")])
    d.pipe("installs", [install(ids, T0 - 40 * DAY)])
    d.advance(1_000)
    d.pipe("clicks", [click(ids, T0 - 3_600_000, media_source="netR", is_retargeting=True)])
    d.pipe("installs", [install(ids, T0)])
    d.advance(1_000)
    first, second = d.read("attributions")
    assert first["media_source"] == "netH"
    assert (second["conversion_type"], second["media_source"]) == ("reattribution", "netR")


def test_a_reengagement_of_a_device_installed_forty_days_ago() -> None:
    d = driver()
    ids = gaid()
    d.pipe("installs", [install(ids, T0 - 40 * DAY)])
    d.advance(1_000)
    d.pipe("clicks", [click(ids, T0 - 60_000, media_source="netR", is_retargeting=True)])
    d.pipe("sessions", [session_record(APP, session_time=T0, ids=ids)])
    d.advance(1_000)
    [reengagement] = d.read("reengagements")
    assert reengagement["media_source"] == "netR"


def test_an_untouched_device_is_forgotten_after_the_retention_in_both_clocks() -> None:
    d = driver(retention_ms=2 * DAY)
    ids = gaid()
    d.pipe("installs", [install(ids, T0)])
    d.advance(1_000)
    key = device_record_key(APP, device_key(normalise_identifiers(ids)) or "")
    assert d.device_state(APP, key.decode().split("|", 1)[1]) is not None
    # Three days later in processing time, but nothing newer in event time: kept.
    d.advance(3 * DAY)
    d.sweep()
    assert d.device_state(APP, key.decode().split("|", 1)[1]) is not None
    # Event time moves on too (another device of the same partition is active): forgotten.
    partition = partition_for(key, d.topics.partitions)
    other = _device_on(partition, d.topics.partitions)
    d.pipe("events", [event_record(APP, event_time=T0 + 3 * DAY, ids=other)])
    d.sweep()
    assert d.device_state(APP, key.decode().split("|", 1)[1]) is None
    assert d.conversion_answer(APP, ids["advertising_id"]) is None


def test_conversion_data_written_recently_is_kept() -> None:
    d = driver(retention_ms=2 * DAY)
    ids = gaid()
    d.pipe("installs", [install(ids, T0)])
    d.advance(1_000)
    d.advance(DAY)
    d.sweep()
    assert d.conversion_answer(APP, ids["advertising_id"]) is not None


def _device_on(partition: int, partitions: int) -> dict[str, str]:
    while True:
        ids = gaid()
        key = device_record_key(APP, device_key(normalise_identifiers(ids)) or "")
        if partition_for(key, partitions) == partition:
            return ids


def test_the_index_sweep_keeps_up_with_the_write_rate() -> None:
    """A day of new keys per step for 60 days: the index holds about the last 30 days
    (the id and referrer horizon), never all of them."""
    d = driver()
    per_day = 50
    for _ in range(60):
        d.pipe("clicks", [click(gaid(), d.clock()) for _ in range(per_day)])
        d.advance(DAY)
    # Each click is filed under a referrer and an id key (no fingerprint: no IP).
    written = 60 * per_day * 2
    assert 30 * per_day * 2 <= d.index_keys() <= 32 * per_day * 2 < written
    # The expiry index holds one entry per live key, give or take a day's writes.
    assert d.index_keys(expiry=True) <= 33 * per_day * 2


@settings(max_examples=25, deadline=None)
@given(
    ctit_minutes=st.lists(st.integers(1, 6 * 24 * 60), min_size=1, max_size=5),
    order=st.randoms(use_true_random=False),
    install_at=st.integers(0, 5),
)
def test_any_arrival_order_within_decision_delay_decides_as_event_time_order(
    ctit_minutes: list[int], order: Any, install_at: int
) -> None:
    ids = gaid()
    touches = [
        click(ids, T0 - m * 60_000, media_source=f"net{i}", touch_id=f"t{i}")
        for i, m in enumerate(ctit_minutes)
    ]

    def decide(arrivals: list[dict]) -> tuple:
        d = driver(decision_delay_ms=1_000)
        for item in arrivals:
            d.pipe("installs" if "event_id" in item else "clicks", [item])
            d.advance(100)  # every arrival inside the install's decision_delay
        d.advance(1_000)
        [decision] = d.read("attributions")
        return decision["media_source"], decision["touch_id"], decision["match_type"]

    the_install = install(ids, T0)
    in_event_time = [*sorted(touches, key=lambda t: t["touch_time"]), the_install]
    shuffled = list(touches)
    order.shuffle(shuffled)
    shuffled.insert(min(install_at, len(shuffled)), the_install)
    assert decide(shuffled) == decide(in_event_time)


def test_a_record_on_the_wrong_partition_is_counted_and_routed_to_its_device() -> None:
    """streams.md's partition guard: an event produced with another partitioner is
    attributed from its device's state (the device does not look new)."""
    from attrib.avro import codec

    d = driver()
    ids = gaid()
    d.pipe("clicks", [click(ids, T0 - 60_000, media_source="netA")])
    d.pipe("installs", [install(ids, T0)])
    d.advance(1_000)
    key = device_record_key(APP, device_key(normalise_identifiers(ids)) or "")
    wrong = (partition_for(key, d.topics.partitions) + 1) % d.topics.partitions
    event = event_record(APP, event_time=T0 + 60_000, ids=ids)
    counts = d.pipe_raw("events", [codec.encode("InAppEvent", event)], partition=wrong)
    assert counts.misplaced == 1
    [attributed] = d.read("attributed-events")
    assert (attributed["media_source"], attributed["conversion_type"]) == ("netA", "install")


def test_a_session_arriving_while_its_install_is_pending_is_applied_after_it() -> None:
    """Both due in one tick: the session's (empty) answer comes back before the
    install's lookups are answered; it waits for the install's decision."""
    d = driver()
    ids = gaid()
    session = session_record(APP, session_time=T0 + 5_000, ids=ids)
    d.pipe("installs", [install(ids, T0)])
    d.pipe("sessions", [session])
    d.advance(1_000)
    [decision] = d.read("attributions")
    assert decision["conversion_type"] == "install"
    state = d.device_state(APP, decision["device_key"])
    assert state is not None
    assert devices.session_seen(state, session["event_id"])  # applied (R21, R26), not dropped
    assert state["last_activity_time"] == T0 + 5_000


def test_an_sdk_retry_after_much_other_traffic_is_attributed_once() -> None:
    """R26: ids are remembered for the dedupe window, not for the last N ids (a count
    bound of 128 let this retry through as a second attribution)."""
    d = driver()
    ids = gaid()
    d.pipe("installs", [install(ids, T0)])
    d.advance(1_000)
    events = [event_record(APP, event_time=T0 + 60_000 + i, ids=ids) for i in range(300)]
    d.pipe("events", events)
    d.pipe("events", [events[0]])  # the SDK retries the first one
    assert len(d.read("attributed-events")) == 300


def test_r25_many_events_before_their_install_all_wait_for_it() -> None:
    """No count makes an event leave early (R25): 150 events sent before their install
    are all attributed to it (a bound of 100 used to emit 50 of them unattributed)."""
    d = driver()
    ids = gaid()
    d.pipe("clicks", [click(ids, T0 - 60_000, media_source="netA")])
    d.pipe("events", [event_record(APP, event_time=T0 + i, ids=ids) for i in range(150)])
    assert d.read("attributed-events") == []
    d.pipe("installs", [install(ids, T0)])
    d.advance(1_000)
    attributed = d.read("attributed-events")
    assert len(attributed) == 150
    assert {a["media_source"] for a in attributed} == {"netA"}


def test_events_read_their_device_attribution_decoded_once_and_a_bounded_number_is_kept(
    monkeypatch: Any,
) -> None:
    """The device partition keeps decoded attributions by their bytes: an active
    device's events do not decode it each time, other devices' events still get
    their own, and no more than ``ATTRIBUTIONS_KEPT`` are kept."""
    from attrib.engine import device_partition

    monkeypatch.setattr(device_partition, "ATTRIBUTIONS_KEPT", 2)
    d = driver()
    ids = gaid()
    d.pipe("clicks", [click(ids, T0 - 60_000, media_source="netA")])
    d.pipe("installs", [install(ids, T0)])
    d.advance(1_000)
    for n in range(3):
        d.pipe("events", [event_record(APP, event_time=T0 + 60_000 + n, ids=ids)])
    assert len(d.device._attributions) == 1
    others = [gaid() for _ in range(3)]
    for other in others:
        d.pipe("installs", [install(other, T0)])
    d.advance(1_000)
    for other in others:
        d.pipe("events", [event_record(APP, event_time=T0 + 60_000, ids=other)])
    assert len(d.device._attributions) <= 2
    sources = [e["media_source"] for e in d.read("attributed-events")]
    assert sources == ["netA"] * 3 + ["organic"] * 3
