"""Fuzzing the single-object Avro decoder over every released schema version.

Every value a worker, the sink or replay reads comes from a topic anyone with
broker access can write to. Properties: decoding any bytes returns a record
or raises :class:`AvroDecodeError` with one of its documented reasons (the
batch form puts the error in place, with its index), and never hangs.
Valid values of each version are mutated (bit flips, truncation, extension)
as well as random bytes tried.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attrib.avro import codec
from attrib.avro.codec import HEADER_SIZE, MARKER, AvroDecodeError
from attrib.avro.schemas import SchemaSet, SchemaVersion
from tests.avro.conftest import _samples
from tests.fuzz.budget import fuzz_settings, no_hang
from tests.fuzz.mutations import mutated

REASONS = {
    AvroDecodeError.TOO_SHORT,
    AvroDecodeError.BAD_MARKER,
    AvroDecodeError.UNKNOWN_SCHEMA,
    AvroDecodeError.CORRUPT_BODY,
    AvroDecodeError.UNEXPECTED_RECORD,
}
VERSIONS = list(SchemaSet.packaged())


def _ids(sv: SchemaVersion) -> str:
    return f"{sv.name}.v{sv.version}"


def valid_value(sv: SchemaVersion) -> bytes:
    """A realistic value written with version ``sv`` (the shared sample, its fields only)."""
    names = {f["name"] for f in sv.declared["fields"]}
    record: dict[str, Any] = {k: v for k, v in _samples()[sv.name].items() if k in names}
    return codec.encode(sv.name, record, version=sv.version)


def check_decode(data: bytes, expect: str | None = None) -> tuple[str, dict[str, Any]] | None:
    """Decode ``data``: a record, or None after a documented error; anything else fails."""
    try:
        with no_hang():
            name, record = codec.decode_named(data, expect=expect)
    except AvroDecodeError as exc:
        error = exc
    else:
        error = None
    if error is not None:
        assert error.reason in REASONS, error
        assert error.detail
        return None
    assert isinstance(record, dict)
    assert expect is None or name == expect
    return name, record


def test_every_released_version_has_a_valid_sample() -> None:
    for sv in VERSIONS:
        assert codec.decode_named(valid_value(sv))[0] == sv.name


@pytest.mark.parametrize("sv", VERSIONS, ids=_ids)
def test_mutated_values_decode_or_fail_with_a_reason(sv: SchemaVersion) -> None:
    @fuzz_settings()
    @given(data=mutated(valid_value(sv)), expect=st.sampled_from([None, sv.name, "Touch"]))
    def run(data: bytes, expect: str | None) -> None:
        check_decode(data, expect)

    run()


@fuzz_settings()
@given(
    body=st.binary(max_size=300),
    header=st.one_of(
        st.binary(max_size=12),
        st.sampled_from([MARKER + sv.fingerprint for sv in VERSIONS]),
    ),
)
def test_random_bodies_behind_any_header_decode_or_fail_with_a_reason(
    body: bytes, header: bytes
) -> None:
    check_decode(header + body)


@fuzz_settings()
@given(
    datas=st.lists(
        st.one_of(
            st.sampled_from(VERSIONS).flatmap(lambda sv: mutated(valid_value(sv))),
            st.sampled_from(VERSIONS).map(valid_value),
            st.binary(max_size=40),
        ),
        max_size=8,
    )
)
def test_a_batch_keeps_every_error_in_place(datas: list[bytes]) -> None:
    with no_hang():
        out = codec.try_decode_many(datas)
    assert len(out) == len(datas)
    for i, (data, item) in enumerate(zip(datas, out, strict=True)):
        if isinstance(item, AvroDecodeError):
            assert item.index == i
            assert item.reason in REASONS
            assert check_decode(data) is None  # the same answer one by one
        else:
            assert check_decode(data) == (codec.decode_named(data)[0], item)
    assert all(
        len(data) >= HEADER_SIZE
        for data, item in zip(datas, out, strict=True)
        if not isinstance(item, AvroDecodeError)
    )
