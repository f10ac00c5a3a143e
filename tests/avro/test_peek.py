"""attrib.avro.peek: the fields it reads are the decoder's, whatever the record holds."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attrib.avro import codec
from attrib.avro.peek import compile_peek
from attrib.avro.schemas import SchemaSet

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
