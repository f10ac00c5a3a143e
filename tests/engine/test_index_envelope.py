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


def test_the_intake_writes_the_envelope_the_setting_names_with_the_same_entries() -> None:
    # "records" is for a rolling upgrade: workers of the release before read only those.
    import uuid

    from attrib.avro import codec
    from attrib.config import validate_app_config
    from attrib.engine.intake import InputRecord, route
    from attrib.engine.outbox import Outbox
    from attrib.engine.simulation import driver_topics
    from tests.engine.harness import touch_record

    app = "com.example.envelope"
    config = validate_app_config(
        app, {"platform": "android", "store_url": "https://play.google.com/store/apps/details?id=x"}
    )
    now = 1_780_000_000_000
    topics = driver_topics(4)
    records = [
        InputRecord(
            "clicks",
            0,
            n,
            None,
            codec.encode(
                "Touch",
                touch_record(app, touch_time=now - n, ids={"advertising_id": str(uuid.uuid4())}),
            ),
        )
        for n in range(30)
    ]
    written: dict[str, list[tuple[int | None, list[IndexEntry]]]] = {}
    for envelope in ("packed", "records"):
        outbox = Outbox()
        route(
            records,
            topics=topics,
            configs=lambda _: config,
            now_ms=now,
            outbox=outbox,
            envelope=envelope,
        )
        values = outbox.by_topic(topics.touch_index)
        names = {wire.internal_codec().decode_named(r.value)[0] for r in values}
        assert names == {"TouchIndexPack" if envelope == "packed" else "TouchIndexBatch"}
        written[envelope] = [(r.partition, index_envelope.decode(r.value)) for r in values]
    assert written["packed"] == written["records"]
    assert sum(len(entries) for _, entries in written["packed"]) >= 60  # id, referrer, ip
