"""The touch-index envelope (``attrib.engine.index_envelope``): packed entries, and
the Avro-record envelopes written before it still read."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from attrib.engine import index_envelope, wire
from attrib.engine.index_envelope import IndexEntry, index_entry

LONG = st.integers(min_value=-(2**63), max_value=2**63 - 1)
entries = st.lists(
    st.builds(index_entry, st.text(min_size=1), st.text(), LONG, st.binary(max_size=300), LONG),
    max_size=40,
)


@given(entries)
def test_an_envelope_reads_back_its_entries_in_order(batch: list[IndexEntry]) -> None:
    assert index_envelope.decode(index_envelope.encode(batch)) == batch


def test_envelopes_written_as_avro_records_read_as_the_same_entries() -> None:
    record = {
        "key": "i|app|advertising_id:x",
        "touch_id": "t-1",
        "touch_time": 5_000,
        "touch": b"\x01stored",
        "received_time": 6_000,
    }
    older = {k: v for k, v in record.items() if k != "received_time"}  # v1: no reception
    expected = index_entry("i|app|advertising_id:x", "t-1", 5_000, b"\x01stored", 6_000)
    v2 = wire.internal_codec().encode("TouchIndexBatch", {"entries": [record]}, version=2)
    v1 = wire.internal_codec().encode("TouchIndexBatch", {"entries": [older]}, version=1)
    assert index_envelope.decode(v2) == [expected]
    assert index_envelope.decode(v1) == [(*expected[:4], 0)]


def test_a_cut_or_foreign_envelope_reads_as_empty_and_is_counted() -> None:
    whole = index_envelope.encode([index_entry("i|a|x", "t", 1, b"touch", 2)])
    packed = wire.internal_codec().decode(whole)["entries"]
    cut = wire.encode(index_envelope.RECORD, {"entries": packed[:-1]})
    header_cut = wire.encode(index_envelope.RECORD, {"entries": packed[:10]})
    foreign = wire.encode("LookupBatch", {"lookups": []})

    def unreadable() -> float:
        return wire.UNREADABLE.labels(index_envelope.RECORD)._value.get()

    for value in (cut, header_cut, foreign, b"not avro"):
        before = unreadable()
        assert index_envelope.decode(value) == []
        assert unreadable() == before + 1
