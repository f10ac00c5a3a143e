"""attrib.avro.peek: the fields it reads are the decoder's, whatever the record holds."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attrib.avro import codec
from attrib.avro.peek import compile_peek
from attrib.avro.schemas import SchemaSet
from tests.fuzz.budget import no_hang

from .conftest import _samples

WANTED = {
    "Touch": ["app_id", "touch_time", "received_time"],
    "Session": ["app_id", "event_time", "received_time"],
    "Install": ["app_id", "event_time", "received_time"],
    "InAppEvent": ["app_id", "event_time", "received_time"],
}
VERSIONS = [sv for sv in SchemaSet.packaged() if sv.name in WANTED]

text = st.one_of(st.none(), st.text(max_size=300))
times = st.integers(min_value=-(2**62), max_value=2**62)


def _nullable_strings(sv: Any) -> list[str]:
    return [f["name"] for f in sv.declared["fields"] if f["type"] == ["null", "string"]]


@pytest.mark.parametrize("sv", VERSIONS, ids=lambda sv: f"{sv.name}.v{sv.version}")
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_peek_reads_what_the_decoder_reads(sv: Any, data: st.DataObject) -> None:
    record = dict(_samples()[sv.name])
    names = {f["name"] for f in sv.declared["fields"]}
    record = {k: v for k, v in record.items() if k in names}
    for name in _nullable_strings(sv):
        record[name] = data.draw(text, label=name)
    if "values" in names:  # a map before the times: skipped block by block
        record["values"] = data.draw(
            st.dictionaries(st.text(max_size=20), st.text(max_size=80), max_size=40), label="values"
        )
    record["app_id"] = data.draw(st.text(min_size=1, max_size=200), label="app_id")
    for name in WANTED[sv.name][1:]:
        record[name] = data.draw(times, label=name)
    value = codec.encode(sv.name, record, version=sv.version)
    peek = compile_peek(sv.parsed, WANTED[sv.name])
    assert peek is not None
    decoded = codec.decode(value, expect=sv.name)
    assert peek(value) == tuple(decoded[name] for name in WANTED[sv.name])


def test_a_cut_value_raises_instead_of_reading_past_its_end() -> None:
    sv = SchemaSet.packaged().get("Touch")
    peek = compile_peek(sv.parsed, WANTED["Touch"])
    assert peek is not None
    value = codec.encode("Touch", _samples()["Touch"])
    with pytest.raises(IndexError):
        peek(value[:-3])


def test_fields_the_schema_lacks_or_a_nested_record_have_no_peek() -> None:
    touch = SchemaSet.packaged().get("Touch")
    assert compile_peek(touch.parsed, ["app_id", "no_such_field"]) is None
    nested = {
        "type": "record",
        "name": "N",
        "fields": [
            {"name": "r", "type": {"type": "record", "name": "R", "fields": []}},
            {"name": "m", "type": {"type": "map", "values": "string"}},
            {"name": "t", "type": "long"},
        ],
    }
    assert compile_peek(nested, ["t"]) is None
    assert compile_peek(nested, ["m"]) is None  # maps are skipped, never read


def _event_with_empty_values() -> tuple[bytes, int]:
    """An InAppEvent value with ``values = {}``, and the offset of that map's one byte."""
    record = dict(_samples()["InAppEvent"], values={})
    value = codec.encode("InAppEvent", record)
    times = codec._zigzag(record["event_time"]) + codec._zigzag(record["received_time"])
    at = len(value) - len(times) - 1
    assert value[at] == 0  # the map's end-of-blocks marker
    return value, at


def test_a_negative_block_size_is_refused_instead_of_looping_forever() -> None:
    # Finding of tests/fuzz/avro/test_peek_fuzz.py: a block of -1 items sized -2 bytes sent
    # the peek back to the block's count, which it read again, for ever.
    value, at = _event_with_empty_values()
    looping = value[:at] + b"\x01\x03" + value[at + 1 :]
    sv = SchemaSet.packaged().get("InAppEvent")
    peek = compile_peek(sv.parsed, WANTED["InAppEvent"])
    assert peek is not None
    with no_hang(), pytest.raises(ValueError, match="negative block size"):
        peek(looping)


def test_a_negative_string_length_is_refused_instead_of_read_backwards() -> None:
    value, _ = _event_with_empty_values()
    negative = value[:10] + b"\x01" + value[11:]  # event_id's length: -1
    sv = SchemaSet.packaged().get("InAppEvent")
    peek = compile_peek(sv.parsed, WANTED["InAppEvent"])
    assert peek is not None
    with pytest.raises(ValueError, match="negative length"):
        peek(negative)


def test_a_long_longer_than_64_bits_is_not_read() -> None:
    # fastavro (the decoders' fallback) wraps such a varint to 64 bits; a peek that read
    # the whole number would disagree with the decoder (found by the peek fuzz test).
    flat = {"type": "record", "name": "F", "fields": [{"name": "t", "type": "long"}]}
    peek = compile_peek(flat, ["t"])
    assert peek is not None
    header = codec.default_codec().encode("Touch", _samples()["Touch"])[: codec.HEADER_SIZE]
    eleven_bytes = b"\xff" * 10 + b"\x01"  # 71 bits
    with pytest.raises(ValueError, match="longer than 64 bits"):
        peek(header + eleven_bytes)
    ten_bytes = b"\xfe" + b"\xff" * 8 + b"\x01"  # the largest zig-zagged long: 2**63 - 1
    assert peek(header + ten_bytes) == (2**63 - 1,)
