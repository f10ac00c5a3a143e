"""The single-object encoding on the wire, and how the codec refuses bad bytes."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from fastavro import schemaless_writer
from fastavro.schema import to_parsing_canonical_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrib.avro import codec
from attrib.avro.codec import AvroDecodeError, AvroEncodeError
from attrib.avro.schemas import SchemaSet, UnknownRecordError, schema_fingerprint


def _crc64_avro(data: bytes) -> int:
    """CRC-64-AVRO as the Avro specification writes it out (independent of fastavro)."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


@pytest.mark.parametrize(
    ("schema", "java_long"),
    # Values from the Avro project's test data (fingerprints as Java longs).
    [("int", 8247732601305521295), ("null", 7195948357588979594)],
)
def test_fingerprint_matches_avro_reference_values(schema: str, java_long: int) -> None:
    assert schema_fingerprint(schema) == java_long.to_bytes(8, "little")


@pytest.mark.parametrize("name", codec.names())
def test_fingerprint_is_little_endian_crc64_of_canonical_form(name: str) -> None:
    canonical = to_parsing_canonical_form(codec.schema(name))
    expected = _crc64_avro(canonical.encode()).to_bytes(8, "little")
    assert codec.fingerprint(name) == expected


def test_value_is_marker_fingerprint_then_schemaless_body(sample_records) -> None:
    record = sample_records["Touch"]
    data = codec.encode("Touch", record)
    body = BytesIO()
    schemaless_writer(body, SchemaSet.packaged().get("Touch").parsed, record)
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == codec.fingerprint("Touch")
    assert data[10:] == body.getvalue()


def test_revenue_keeps_its_decimal_text(sample_records) -> None:
    record = dict(sample_records["InAppEvent"], revenue="0.10")
    assert codec.decode(codec.encode("InAppEvent", record))["revenue"] == "0.10"


def test_decode_accepts_bytearray_and_memoryview(sample_records) -> None:
    data = codec.encode("Session", sample_records["Session"])
    assert codec.decode(bytearray(data)) == sample_records["Session"]
    assert codec.decode(memoryview(data)) == sample_records["Session"]


def _reason(data: bytes, **kwargs: Any) -> str:
    with pytest.raises(AvroDecodeError) as info:
        codec.decode(data, **kwargs)
    assert isinstance(info.value, ValueError)
    return info.value.reason


def test_decode_errors_name_their_reason(sample_records) -> None:
    good = codec.encode("Touch", sample_records["Touch"])
    assert _reason(b"") == "too_short"
    assert _reason(good[:9]) == "too_short"
    assert _reason(b'{"json": "value"}') == "bad_marker"
    assert _reason(good[:2] + bytes(8) + good[10:]) == "unknown_schema"
    assert _reason(good[:-3]) == "corrupt_body"
    assert _reason(good + b"\x00") == "corrupt_body"
    assert _reason(good, expect="Install") == "unexpected_record"


def test_decode_error_detail_is_readable(sample_records) -> None:
    with pytest.raises(AvroDecodeError, match=r"unknown_schema: fingerprint 0000000000000000"):
        codec.decode(b"\xc3\x01" + bytes(12))


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(codec.names()), body=st.binary(max_size=200))
def test_random_body_decodes_or_raises_decode_error(name: str, body: bytes) -> None:
    data = b"\xc3\x01" + codec.fingerprint(name) + body
    # try_decode_many returns decode errors in place; any other exception escapes.
    [result] = codec.try_decode_many([data])
    if isinstance(result, AvroDecodeError):
        assert result.reason == "corrupt_body"
    else:
        assert codec.decode_named(data) == (name, result)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_flipped_byte_never_escapes_as_another_exception(data, sample_records) -> None:
    name = data.draw(st.sampled_from(sorted(sample_records)))
    value = bytearray(codec.encode(name, sample_records[name]))
    position = data.draw(st.integers(0, len(value) - 1))
    value[position] ^= data.draw(st.integers(1, 255))
    [result] = codec.try_decode_many([bytes(value)])
    if isinstance(result, AvroDecodeError):
        assert result.reason in {"bad_marker", "unknown_schema", "corrupt_body"}
    else:
        assert isinstance(result, dict)


def test_encode_refuses_records_that_do_not_fit(sample_records) -> None:
    touch = sample_records["Touch"]
    missing = {k: v for k, v in touch.items() if k != "touch_id"}
    with pytest.raises(AvroEncodeError, match="touch_id"):
        codec.encode("Touch", missing)
    with pytest.raises(AvroEncodeError, match="campain"):
        codec.encode("Touch", {**touch, "campain": "typo"})
    with pytest.raises(AvroEncodeError, match="Touch"):
        codec.encode("Touch", {**touch, "touch_time": "yesterday"})


def test_encode_fills_defaults_of_omitted_optional_fields(sample_records) -> None:
    minimal = {
        "touch_id": "t",
        "touch_type": "impression",
        "app_id": "a",
        "media_source": "netA",
        "touch_time": 1,
        "received_time": 2,
    }
    decoded = codec.decode(codec.encode("Touch", minimal))
    assert decoded["device_key"] is None
    assert decoded["is_retargeting"] is False
    assert decoded["touch_time"] == 1


def test_unknown_record_or_version_is_a_key_error(sample_records) -> None:
    with pytest.raises(UnknownRecordError, match="Tuch"):
        codec.encode("Tuch", {})
    with pytest.raises(UnknownRecordError, match="no version 99"):
        codec.encode("Touch", sample_records["Touch"], version=99)


def test_batch_helpers_match_single_calls(sample_records) -> None:
    touches = [dict(sample_records["Touch"], touch_id=f"t-{i}") for i in range(50)]
    datas = codec.encode_many("Touch", touches)
    assert datas == [codec.encode("Touch", t) for t in touches]
    assert codec.decode_many(datas) == touches
    assert codec.decode_many(datas, expect="Touch")[7]["touch_id"] == "t-7"


def test_batch_errors_carry_their_index(sample_records) -> None:
    datas = codec.encode_many("Touch", [sample_records["Touch"]] * 3)
    datas[1] = b"garbage"
    with pytest.raises(AvroDecodeError) as info:
        codec.decode_many(datas)
    assert info.value.index == 1
    results = codec.try_decode_many(datas)
    assert results[0] == sample_records["Touch"]
    assert isinstance(results[1], AvroDecodeError)
    assert results[1].reason == "too_short"
    assert results[2] == sample_records["Touch"]
    with pytest.raises(AvroEncodeError, match="batch index 1"):
        codec.encode_many("Touch", [sample_records["Touch"], {"touch_id": 1}])


def _one_by_one(datas: list[bytes], expect: str | None) -> list[Any]:
    out: list[Any] = []
    for i, data in enumerate(datas):
        try:
            out.append(codec.decode_named(data, expect=expect)[1])
        except AvroDecodeError as exc:
            out.append((exc.reason, i))
    return out


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_batch_decodes_as_its_values_one_by_one(data, sample_records) -> None:
    """try_decode_many skips the header's checks while values share one: a cut, flipped,
    foreign or other-record value among them still decodes (or fails) as alone."""
    touch = codec.encode("Touch", sample_records["Touch"])
    install = codec.encode("Install", sample_records["Install"])
    value = st.one_of(
        st.just(touch),
        st.just(install),
        st.integers(1, len(touch) - 1).map(lambda n: touch[:n]),
        st.binary(max_size=30).map(lambda tail: touch + tail),
        st.tuples(st.integers(0, len(touch) - 1), st.integers(1, 255)).map(
            lambda f: touch[: f[0]] + bytes([touch[f[0]] ^ f[1]]) + touch[f[0] + 1 :]
        ),
    )
    datas = data.draw(st.lists(value, max_size=12))
    expect = data.draw(st.sampled_from([None, "Touch", "Install"]))
    results = codec.try_decode_many(datas, expect=expect)
    assert [
        (r.reason, r.index) if isinstance(r, AvroDecodeError) else r for r in results
    ] == _one_by_one(datas, expect)
