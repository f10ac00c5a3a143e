"""Fuzzing the peeks (attrib.avro.peek) the sink's admission and replay read values with.

The sink never decodes what it stores: a peek reads ``app_id`` and the times
of any value on an input topic. Properties: a peek of any bytes behind a
released header returns the fields or ``None`` (the caller's decoder then
says what is wrong), never raises, never hangs; and when the full decoder
accepts a value, the peek reads exactly the decoder's fields.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attrib.admission import TIME_FIELD
from attrib.avro import codec
from attrib.avro.codec import MARKER, AvroDecodeError
from attrib.avro.peek import PeekByWriter
from attrib.avro.schemas import SchemaSet, SchemaVersion
from tests.fuzz.avro.test_codec_fuzz import valid_value
from tests.fuzz.budget import fuzz_settings, no_hang
from tests.fuzz.mutations import mutated

SCHEMAS = SchemaSet.packaged()
PEEKED = [sv for sv in SCHEMAS if sv.name in TIME_FIELD]


def _fields(sv: SchemaVersion) -> list[str] | None:
    if sv.name not in TIME_FIELD:
        return None
    return ["app_id", TIME_FIELD[sv.name], "received_time"]


PEEKS = PeekByWriter(SCHEMAS, _fields)


def _writer_fields(data: bytes) -> dict[str, Any] | None:
    """The wanted fields as the writer wrote them (the full decoder, writer's schema)."""
    try:
        _, record = codec.decode_named(data)
    except AvroDecodeError:
        return None
    return record


def check_peek(data: bytes) -> None:
    with no_hang():
        peeked = PEEKS.read(data)
    assert peeked is None or isinstance(peeked, tuple)
    record = _writer_fields(data)
    sv = SCHEMAS.by_fingerprint(data[2:10]) if len(data) >= 10 else None
    if peeked is not None and record is not None and sv is not None:
        wanted = _fields(sv)
        assert wanted is not None
        assert peeked == tuple(record[f] for f in wanted), (peeked, record)


@pytest.mark.parametrize("sv", PEEKED, ids=lambda sv: f"{sv.name}.v{sv.version}")
def test_a_peek_of_a_mutated_value_reads_the_decoders_fields_or_nothing(
    sv: SchemaVersion,
) -> None:
    @fuzz_settings()
    @given(data=mutated(valid_value(sv)))
    def run(data: bytes) -> None:
        check_peek(data)

    run()


@fuzz_settings()
@given(
    header=st.sampled_from([MARKER + sv.fingerprint for sv in PEEKED]),
    body=st.binary(max_size=200),
)
def test_a_peek_of_random_bytes_returns_fields_or_nothing(header: bytes, body: bytes) -> None:
    check_peek(header + body)
