"""The touch index's stored form of a touch: cut exactly, restored byte for byte."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from attrib.avro import codec
from attrib.engine.index_envelope import from_record
from attrib.engine.stored_touch import STRIPPABLE, STRIPPED, restore, strip
from attrib.engine.touch_store import TouchIndex
from attrib.tables.state import MemoryBackend
from attrib.tables.values import TOUCHES
from tests.engine.harness import touch_record

TIMES = st.integers(min_value=0, max_value=2**45)
TEXT = st.text(max_size=40)


@st.composite
def touches(draw: st.DrawFn) -> dict[str, Any]:
    record = touch_record(
        draw(TEXT),
        touch_type=draw(st.sampled_from(["click", "impression"])),
        touch_time=draw(TIMES),
        media_source=draw(TEXT),
        ip=draw(st.one_of(st.none(), TEXT)),
        campaign=draw(st.one_of(st.none(), TEXT)),
        touch_id=draw(st.text(min_size=1, max_size=40)),
    )
    record["received_time"] = draw(TIMES)
    record["view_lookback_ms"] = draw(st.one_of(st.none(), st.integers(0, 2**40)))
    return record


def _restored(record: dict[str, Any], stored: bytes) -> bytes:
    return restore(
        stored, record["touch_id"].encode(), record["touch_time"], record["received_time"]
    )


@given(touches())
def test_a_stripped_touch_is_restored_byte_for_byte(record: dict[str, Any]) -> None:
    raw = codec.encode("Touch", record)
    stored = strip(raw, record["touch_id"], record["touch_time"], record["received_time"])
    assert stored[:1] == STRIPPED
    assert len(stored) < len(raw)  # at least the id's length and two times are gone
    assert _restored(record, stored) == raw
    assert codec.decode(_restored(record, stored), expect="Touch") == codec.decode(raw)


@given(touches(), st.integers(min_value=1, max_value=2**40))
def test_a_touch_whose_entry_says_otherwise_is_stored_whole(
    record: dict[str, Any], other: int
) -> None:
    # The entry's reception time is the intake's (``received_time or now``) and its key
    # holds the time clamped at 0: when they are not the record's, it cannot be cut.
    raw = codec.encode("Touch", record)
    tid, at, received = record["touch_id"], record["touch_time"], record["received_time"]
    assert strip(raw, tid, at, received + other) == raw
    assert strip(raw, tid + "x", at, received) == raw
    negative = {**record, "touch_time": -other}
    raw_negative = codec.encode("Touch", negative)
    assert strip(raw_negative, tid, -other, received) == raw_negative


def test_values_stored_whole_are_returned_as_they_are() -> None:
    # Values written before the stored form existed, and bytes the tests file directly.
    raw = codec.encode("Touch", touch_record("app", touch_time=5))
    assert restore(raw, b"anything", 1, 2) == raw
    assert restore(b"x", b"t", 1, 2) == b"x"
    assert strip(b"not avro", "t", 1, 2) == b"not avro"


def test_the_current_touch_version_is_stripped() -> None:
    # A new Touch version that moves touch_id from the front or adds fields after the
    # two times would be stored whole (20% more disk): change the cut with it.
    assert codec.encode("Touch", touch_record("app", touch_time=5))[:10] in STRIPPABLE


def test_a_lookup_answers_the_record_the_collector_wrote() -> None:
    record = touch_record("app", touch_time=5_000, ids={"advertising_id": "a-1"})
    record["received_time"] = 6_000
    raw = codec.encode("Touch", record)
    index = TouchIndex(TOUCHES.bind("touches", MemoryBackend()))
    key = "i|app|advertising_id:a-1"
    stored = strip(raw, record["touch_id"], 5_000, 6_000)
    entry = {
        "key": key,
        "touch_id": record["touch_id"],
        "touch_time": 5_000,
        "touch": stored,
        "received_time": 6_000,
    }
    index.file(0, [from_record(entry)], now_ms=6_000)
    for partition, changes in index.touches.take_changes().items():
        index.touches.backend.write(partition, changes)
    assert index.candidates(0, key, install_time=7_000) == [raw]
