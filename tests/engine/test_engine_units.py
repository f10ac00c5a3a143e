"""The engine's pure parts: keys, partitions, touch lists, pending installs, devices."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrib.avro import codec
from attrib.engine import devices, pending, touch_lists
from attrib.engine.conversion import conversion_key, format_time, install_answer
from attrib.engine.convert import (
    attribution_id_for,
    install_from_record,
    touch_from_record,
    touch_record_index_keys,
)
from attrib.engine.index import MAX_TOUCHES_PER_KEY, install_lookup_keys, touch_index_keys
from attrib.engine.index_envelope import IndexEntry, index_entry
from attrib.engine.partitioning import partition_for
from attrib.engine.scheduler import DueQueue
from attrib.engine.touch_store import EVENT_DUE, PROCESSING_DUE, TouchIndex
from attrib.rules.model import Decision
from attrib.tables.state import MemoryBackend
from attrib.tables.values import TOUCHES
from tests.avro.schema_values import values_of
from tests.engine.harness import install_record, touch_record

DAY = 86_400_000
GAID = "2f1e6a7c-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
UA_ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile"
UA_IOS = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15"


def test_partition_for_matches_kafkas_default_partitioner() -> None:
    partitioner = DefaultPartitioner()
    for n in (1, 2, 4, 12):
        parts = list(range(n))
        for i in range(200):
            key = f"com.app|advertising_id:{i}".encode()
            assert partition_for(key, n) == partitioner(key, parts, parts)


def test_touch_index_keys_cover_referrer_id_and_fingerprint() -> None:
    touch = touch_from_record(
        touch_record("app", touch_time=0, touch_id="t1", ids={"advertising_id": GAID})
    )
    keys = touch_index_keys(touch)
    assert keys == ["r|app|t1", f"i|app|advertising_id:{GAID}", "p|app|198.51.100.7|android|14"]


def test_impressions_are_not_filed_by_referrer() -> None:
    touch = touch_from_record(
        touch_record("app", touch_type="impression", touch_time=0, touch_id="t1", ip=None)
    )
    assert touch_index_keys(touch) == []


def test_install_lookup_keys_match_the_touch_keys() -> None:
    install = install_from_record(
        install_record(
            "app",
            install_time=0,
            ids={"advertising_id": GAID, "idfv": GAID},
            referrer="attrib_touch_id=t1&pid=netA",
        )
    )
    keys = install_lookup_keys(install)
    assert keys == ["r|app|t1", f"i|app|advertising_id:{GAID}", "p|app|198.51.100.7|android|14"]
    assert not any("idfv" in k for k in keys)  # idfv never appears on touches


def _index() -> TouchIndex:
    return TouchIndex(TOUCHES.bind("touches", MemoryBackend()))


def _entry(key: str, touch_id: str, at: int, received: int | None = None) -> IndexEntry:
    return index_entry(key, touch_id, at, touch_id.encode(), at if received is None else received)


def _commit(index: TouchIndex) -> None:
    for partition, changes in index.touches.take_changes().items():
        index.touches.backend.write(partition, changes)


def test_the_index_dedups_and_answers_newest_first_inside_the_window() -> None:
    key = "i|app|advertising_id:x"
    index = _index()
    index.file(0, [_entry(key, "a", 5 * DAY), _entry(key, "a", 5 * DAY)], now_ms=6 * DAY)
    index.file(0, [_entry(key, "b", 6 * DAY), _entry(key, "late", 6 * DAY + 1)], now_ms=6 * DAY)
    _commit(index)
    assert index.candidates(0, key, install_time=6 * DAY) == [b"b", b"a"]  # R2: not "late"
    assert index.candidates(0, key, install_time=6 * DAY, newer_than=5 * DAY) == [b"b"]
    assert index.candidates(0, "i|app|advertising_id:y", install_time=6 * DAY) == []


def test_fingerprint_keys_expire_after_a_day_referrer_after_thirty() -> None:
    fingerprint, referrer = "p|a|ip|android|14", "r|a|t"
    assert touch_lists.keeps(fingerprint, 0, 0, watermark_ms=DAY, now_ms=DAY)
    assert not touch_lists.keeps(fingerprint, 0, 0, watermark_ms=DAY + 1, now_ms=DAY + 1)
    assert touch_lists.keeps(referrer, 0, 0, watermark_ms=30 * DAY, now_ms=30 * DAY)
    assert not touch_lists.keeps(referrer, 0, 0, watermark_ms=30 * DAY + 1, now_ms=30 * DAY + 1)


def test_retention_keeps_a_late_received_touch_a_horizon_after_its_reception() -> None:
    key = "r|a|t"
    # 41 days old in event time, received today: kept (a history import).
    assert touch_lists.keeps(key, 0, 41 * DAY, watermark_ms=41 * DAY, now_ms=41 * DAY)
    assert not touch_lists.keeps(key, 0, 41 * DAY, watermark_ms=72 * DAY, now_ms=72 * DAY)


def test_the_sweep_drops_what_retention_drops_and_keeps_the_rest() -> None:
    key = "p|a|ip|android|14"
    index = _index()
    index.file(0, [_entry(key, "old", 0)], now_ms=0)
    index.file(0, [_entry(key, "new", 2 * DAY)], now_ms=2 * DAY)
    _commit(index)
    # Two days on in processing time; event time stands at the newest touch: "new"
    # is kept by event time, "old" is out of both horizons.
    deleted, _ = index.sweep(0, now_ms=4 * DAY)
    _commit(index)
    assert deleted == 1
    assert index.candidates(0, key, install_time=2 * DAY + 1) == [b"new"]


def test_lookups_are_bounded() -> None:
    index = _index()
    index.file(0, [_entry("i|a|x", f"t{i:04}", i) for i in range(1_500)], now_ms=1_500)
    _commit(index)
    found = index.candidates(0, "i|a|x", install_time=1_500)
    assert len(found) == MAX_TOUCHES_PER_KEY
    assert found[0] == b"t1499"  # the newest are kept


def test_pending_install_completes_after_every_answer_once() -> None:
    entry = pending.new_entry(
        event_id="e1", install=b"i", arrived_ms=10, delay_ms=1_000, keys=["k1", "k2"]
    )
    assert entry["due_ms"] == 1_010
    entries, added = pending.add([], entry)
    assert added
    assert pending.add(entries, entry) == (entries, False)
    entries, done = pending.record_answer(entries, "e1", "k1", [b"t1"])
    assert done is None
    entries, done = pending.record_answer(entries, "e1", "k1", [b"t1"])  # resent lookup
    assert done is None
    entries, done = pending.record_answer(entries, "e1", "k2", [b"t2"])
    assert done is not None
    assert done["touches"] == [b"t1", b"t2"]
    assert entries == []
    assert pending.record_answer(entries, "e1", "k2", []) == ([], None)


def test_install_without_lookup_keys_waits_for_the_direct_answer() -> None:
    entry = pending.new_entry(event_id="e", install=b"", arrived_ms=0, delay_ms=0, keys=[])
    assert entry["keys"] == [pending.NO_LOOKUP]


def test_device_state_tracks_history_and_decided_events() -> None:
    install = Decision(conversion_type="install", status="organic")
    state = devices.apply_decision(
        None,
        install_time=100,
        decision=install,
        event_id="e1",
        attribution_id="a1",
        attribution=b"A",
    )
    history = devices.history_of(state)
    assert history is not None
    assert (history.first_install_time, history.attribution_install_time) == (100, 100)
    assert devices.decided_attribution_id(state, "e1") == "a1"
    reinstall = Decision(conversion_type="reinstall", status="organic")
    state = devices.apply_decision(
        state,
        install_time=500,
        decision=reinstall,
        event_id="e2",
        attribution_id="a2",
        attribution=b"B",
    )
    history = devices.history_of(state)
    assert history is not None
    assert history.attribution_install_time == 100  # a reinstall creates no attribution
    assert history.last_install_time == 500
    # R26: every install id inside the dedupe window is remembered, however many.
    for i in range(100):
        state = devices.apply_decision(
            state,
            install_time=600 + i,
            decision=install,
            event_id=f"x{i}",
            attribution_id="z",
            attribution=b"",
        )
    assert devices.decided_attribution_id(state, "x0") == "z"
    assert devices.decided_attribution_id(state, "e1") is not None
    # An install a window later in event time lets the old ids go.
    state = devices.apply_decision(
        state,
        install_time=650 + devices.DEDUPE_WINDOW_MS,
        decision=install,
        event_id="late",
        attribution_id="z",
        attribution=b"",
    )
    assert devices.decided_attribution_id(state, "x0") is None
    assert devices.decided_attribution_id(state, "x99") == "z"


def test_due_queue_orders_and_deduplicates() -> None:
    q = DueQueue()
    q.push(30, b"k", "b")
    q.push(10, b"k", "a")
    q.push(10, b"k", "a")
    assert len(q) == 2
    assert q.pop_due(5) == []
    assert q.pop_due(30) == [(b"k", "a"), (b"k", "b")]


def test_conversion_answer_omits_nulls_and_formats_times() -> None:
    answer = install_answer(
        {
            "status": "organic",
            "media_source": "organic",
            "campaign": None,
            "install_time": 1764000000123,
            "touch_time": None,
            "is_retargeting": False,
            "conversion_type": "install",
        }
    )
    assert answer == {
        "status": "organic",
        "media_source": "organic",
        "install_time": "2025-11-24 16:00:00.123",
        "is_first_launch": True,
        "is_retargeting": False,
        "conversion_type": "install",
    }
    assert format_time(0) == "1970-01-01 00:00:00.000"
    assert conversion_key("app", " ABC ") == "app|abc"


@given(st.integers(min_value=-(10**12), max_value=2**45))
def test_format_time_is_strftimes_utc_milliseconds(ms: int) -> None:
    from datetime import UTC, datetime, timedelta

    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)  # exact, no float
    expected = at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    assert format_time(ms) == expected


def test_attribution_id_is_stable_per_install_event() -> None:
    assert attribution_id_for("a", "e") == attribution_id_for("a", "e")
    assert attribution_id_for("a", "e") != attribution_id_for("a", "f")


def test_unreadable_internal_values_read_as_empty_and_are_counted() -> None:
    from attrib.engine import wire

    before = wire.UNREADABLE.labels("PendingInstalls")._value.get()
    assert wire.decode(b"\xc3\x01garbage-bytes", "PendingInstalls") == {"installs": []}
    assert wire.UNREADABLE.labels("PendingInstalls")._value.get() == before + 1
    assert wire.decode_or_none(b"nope", "DeviceState") is None
    assert wire.decode_or_none(None, "DeviceState") is None
    good = wire.encode("TouchList", {"entries": [{"touch_id": "t", "touch_time": 1, "touch": b""}]})
    assert wire.decode(good, "TouchList")["entries"][0]["touch_id"] == "t"


def test_envelopes_are_cut_below_the_record_size_limit() -> None:
    from attrib.engine import wire
    from attrib.engine.batching import MAX_ENVELOPE_BYTES, encoded_chunks

    def encode(chunk: list[dict[str, object]]) -> bytes:
        return wire.encode("CandidateBatch", {"answers": chunk})

    entries = [
        {"install_key": f"k{i}", "event_id": f"e{i}", "key": "i|a|x", "touches": [b"x" * 370] * 10}
        for i in range(2_000)
    ]
    values = list(encoded_chunks(entries, encode))
    assert len(values) > 1
    assert all(len(v) <= MAX_ENVELOPE_BYTES for v in values)
    decoded = [a for v in values for a in wire.decode(v, "CandidateBatch")["answers"]]
    assert [a["event_id"] for a in decoded] == [e["event_id"] for e in entries]  # all, in order
    small = entries[:3]
    assert list(encoded_chunks(small, encode)) == [encode(small)]  # one encoding, not cut
    big = [{**entries[0], "touches": [b"y" * (MAX_ENVELOPE_BYTES + 1)]}]
    assert list(encoded_chunks(big, encode)) == [encode(big)]  # an oversized entry goes alone


def test_a_large_list_is_encoded_at_most_twice_and_once_with_a_size_hint() -> None:
    from attrib.engine import wire
    from attrib.engine.batching import MAX_ENVELOPE_BYTES, encoded_chunks

    encoded_entries = 0

    def encode(chunk: list[dict[str, object]]) -> bytes:
        nonlocal encoded_entries
        encoded_entries += len(chunk)
        return wire.encode("CandidateBatch", {"answers": chunk})

    entries = [
        {"install_key": f"k{i}", "event_id": f"e{i}", "key": "i|a|x", "touches": [b"x" * 370] * 10}
        for i in range(5_000)
    ]
    values = list(encoded_chunks(entries, encode))
    assert all(len(v) <= MAX_ENVELOPE_BYTES for v in values)
    assert encoded_entries <= 2 * len(entries)  # halving until it fit took 5 encodings
    per_entry = sum(map(len, values)) / len(entries)
    encoded_entries = 0
    hinted = list(encoded_chunks(entries, encode, bytes_per_entry=per_entry))
    assert encoded_entries == len(entries)
    assert all(len(v) <= MAX_ENVELOPE_BYTES for v in hinted)
    decoded = [a for v in hinted for a in wire.decode(v, "CandidateBatch")["answers"]]
    assert [a["event_id"] for a in decoded] == [e["event_id"] for e in entries]
    encoded_entries = 0  # a hint that is far too small costs one more encoding, not a wrong cut
    tiny_hint = list(encoded_chunks(entries, encode, bytes_per_entry=1.0))
    assert all(len(v) <= MAX_ENVELOPE_BYTES for v in tiny_hint)
    assert encoded_entries <= 2 * len(entries)


def test_due_queue_pops_at_most_the_limit() -> None:
    q = DueQueue()
    for i in range(10):
        q.push(0, b"k", f"e{i}")
    assert len(q.pop_due(5, limit=3)) == 3
    assert len(q) == 7


def test_a_completed_session_waits_for_an_earlier_pending_install() -> None:
    install_entry = pending.new_entry(
        event_id="i", install=b"", arrived_ms=10, delay_ms=0, keys=["k"]
    )
    session = pending.new_entry(
        event_id="s", install=b"", arrived_ms=20, delay_ms=0, keys=[], kind=pending.SESSION
    )
    session = {**session, "answered": [pending.NO_LOOKUP]}
    entries, held = pending.hold_behind_installs([install_entry], session)
    assert held
    assert entries == [install_entry, session]
    # Not released while the install is pending; released once it is gone.
    assert pending.released_sessions(entries) == (entries, [])
    assert pending.released_sessions([session]) == ([], [session])
    # A session that arrived before the install does not wait for it.
    early = {**session, "arrived_ms": 5}
    assert pending.hold_behind_installs([install_entry], early) == ([install_entry], False)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_intake_s_keys_of_a_record_are_those_of_its_touch(data: st.DataObject) -> None:
    record = data.draw(values_of(codec.default_codec()._writers[("Touch", None)].parsed))
    record["touch_type"] = data.draw(st.sampled_from(["click", "impression"]))
    record["user_agent"] = data.draw(st.sampled_from([None, UA_ANDROID, UA_IOS, "curl/8"]))
    record["ip"] = data.draw(st.sampled_from([None, "", "10.1.2.3", "2001:db8::1"]))
    assert touch_record_index_keys(record) == touch_index_keys(touch_from_record(record))


def test_a_touch_kept_for_its_reception_only_is_listed_by_reception_at_once() -> None:
    # A backfilled fingerprint touch: 8 days old in event time, received now. Event time
    # is past its horizon for good, so only the processing-time index lists its key; a
    # sweep need not move it there later. (The indexes list index keys: ``old`` is filed
    # under a key of its own here so that the listings tell the two touches apart.)
    key, old_key = "p|a|ip|android|14", "p|a|ip2|android|14"
    index = _index()
    index.file(0, [_entry(key, "new", 10 * DAY)], now_ms=10 * DAY)
    index.file(0, [_entry(old_key, "old", 2 * DAY, received=10 * DAY)], now_ms=10 * DAY)
    _commit(index)
    backend = index.touches.backend
    assert isinstance(backend, MemoryBackend)
    listed: dict[bytes, list[bytes]] = {EVENT_DUE: [], PROCESSING_DUE: []}
    for raw in backend.partitions[0]:
        for prefix in listed:
            if raw.startswith(prefix):
                listed[prefix].append(raw[len(prefix) + 8 :])  # prefix, due step, index key
    assert listed[PROCESSING_DUE] == [old_key.encode()]
    assert listed[EVENT_DUE] == [key.encode()]
    # Swept a horizon after its reception, not before.
    assert index.sweep(0, now_ms=10 * DAY + DAY // 2)[0] == 0
    _commit(index)
    assert index.sweep(0, now_ms=11 * DAY + 3_600_000)[0] == 1
    _commit(index)
    assert index.candidates(0, old_key, install_time=3 * DAY) == []
