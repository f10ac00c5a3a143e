"""The generated writer of flat records writes fastavro's bytes, or leaves the record to fastavro.

:meth:`AvroCodec.encode` writes plain records (a dict of exactly the schema's
fields, each of exactly the expected type) with code generated per schema, and
hands every other record to fastavro. Either way the answer must be what
fastavro alone gives: the same bytes, or an :class:`AvroEncodeError` where
fastavro raises.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from fastavro import schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrib.avro import codec
from attrib.avro.codec import AvroEncodeError, default_codec
from attrib.avro.schemas import SchemaSet
from attrib.engine.wire import internal_codec

from .schema_values import values_of

SCHEMAS = SchemaSet.packaged()
FLAT = [name for name in codec.names() if default_codec()._writers[(name, None)].fast is not None]
#: The records the collector writes once per request: these must take the generated path.
HOT = ["Touch", "Install", "Session", "InAppEvent"]

_text = st.text(max_size=80) | st.text(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2
)
_any = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    _text,
    st.binary(max_size=80),
    st.tuples(st.just("string"), st.text(max_size=5)),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    st.lists(st.integers(), max_size=2),
)


def _valid(schema: Any) -> st.SearchStrategy[Any]:
    """Values of ``schema`` as a producer would pass them (edges of each range included)."""
    if isinstance(schema, list):
        return st.one_of(*(_valid(branch) for branch in schema))
    if isinstance(schema, dict):  # maps, arrays, nested records
        return values_of(schema)
    return {
        "null": st.none(),
        "boolean": st.booleans(),
        "int": st.integers(min_value=-(2**31), max_value=2**31 - 1),
        "long": st.integers(min_value=-(2**63), max_value=2**63 - 1)
        | st.sampled_from([0, -1, 63, 64, -64, -65, 2**63 - 1, -(2**63)]),
        "string": st.text(max_size=150),
        "bytes": st.binary(max_size=150),
    }[schema]


def _fields(name: str) -> list[dict[str, Any]]:
    return SCHEMAS.get(name).parsed["fields"]  # type: ignore[no-any-return]


def _reference(name: str, record: Any) -> bytes | None:
    """What fastavro alone writes (header included), or None when it refuses the record."""
    buf = BytesIO()
    buf.write(codec.MARKER + codec.fingerprint(name))
    try:
        schemaless_writer(buf, SCHEMAS.get(name).parsed, record, strict_allow_default=True)
    except Exception:
        return None
    return buf.getvalue()


def _ours(name: str, record: Any) -> bytes | None:
    try:
        return codec.encode(name, record)
    except AvroEncodeError:
        return None


@st.composite
def valid_records(draw: st.DrawFn, name: str) -> dict[str, Any]:
    return {f["name"]: draw(_valid(f["type"])) for f in _fields(name)}


@st.composite
def messy_records(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """Valid records with some fields left out, mistyped, or an unknown field added."""
    record = draw(valid_records(name))
    for field in _fields(name):
        change = draw(st.sampled_from(["keep", "keep", "keep", "drop", "wrong"]))
        if change == "drop":
            del record[field["name"]]
        elif change == "wrong":
            record[field["name"]] = draw(_any)
    if draw(st.booleans()):
        record[draw(st.text(max_size=8))] = draw(_any)
    return record


def test_the_hot_records_are_flat() -> None:
    assert set(HOT) <= set(FLAT)


@pytest.mark.parametrize("name", FLAT)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_records_are_written_as_fastavro_writes_them(name: str, data: st.DataObject) -> None:
    record = data.draw(valid_records(name))
    expected = _reference(name, record)
    assert expected is not None
    assert codec.encode(name, record) == expected
    assert codec.encode_many(name, [record, record]) == [expected, expected]
    assert codec.decode(expected) == record


@pytest.mark.parametrize("name", FLAT)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_record_gets_fastavros_bytes_or_its_refusal(name: str, data: st.DataObject) -> None:
    record = data.draw(messy_records(name))
    assert _ours(name, record) == _reference(name, record)


def test_the_sample_records_take_the_generated_path(sample_records) -> None:
    for name in HOT:
        fast = default_codec()._writers[(name, None)].fast
        assert fast is not None
        assert fast(sample_records[name]) == _reference(name, sample_records[name])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("touch_time", 2**63),  # out of the long range
        ("touch_time", True),  # a bool is an int to fastavro
        ("is_retargeting", 1),
        ("campaign", ("string", "spring")),  # fastavro's tuple notation for a union branch
        ("campaign", "\ud800"),  # a lone surrogate is not UTF-8
        ("campaign", b"spring"),
    ],
)
def test_edge_values_are_left_to_fastavro(sample_records, field: str, value: object) -> None:
    record = {**sample_records["Touch"], field: value}
    assert _ours("Touch", record) == _reference("Touch", record)


@pytest.mark.parametrize("kind", ["public", "internal"])
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_schema_version_writes_fastavro_s_bytes(kind: str, data: st.DataObject) -> None:
    # Nested records, arrays and null unions of records too: the engine's envelopes.
    codec_ = default_codec() if kind == "public" else internal_codec()
    key = data.draw(st.sampled_from(sorted(k for k in codec_._writers if k[1] is not None)))
    writer = codec_._writers[key]
    assert writer.fast is not None
    record = data.draw(values_of(writer.parsed))
    defaulted = [f["name"] for f in writer.parsed["fields"] if "default" in f]
    left_out = st.lists(st.sampled_from(defaulted), unique=True) if defaulted else st.just([])
    for name in data.draw(left_out):
        del record[name]  # left to its default, as the engine's envelopes do
    buf = BytesIO()
    buf.write(writer.header)
    schemaless_writer(buf, writer.parsed, record, strict_allow_default=True)
    assert writer.fast(record) == buf.getvalue()
    assert codec_.encode(key[0], record, version=key[1]) == buf.getvalue()


@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=20))
def test_the_varint_writer_writes_every_long_as_fastavro(values: list[int]) -> None:
    # Twice each: the second time from the writer's memo of large varints.
    for value in values + values:
        out = BytesIO()
        schemaless_writer(out, "long", value)
        assert codec._zigzag(value) == out.getvalue()
