"""The generated readers read what fastavro reads, or leave the value to fastavro.

:meth:`AvroCodec.decode_named` reads values whose writer schema is the
reader's with code generated per schema (``avro/compiled_reader.py``) and
hands every other value, and every value that code cannot read to its end,
to fastavro. Either way the answer must be fastavro's: the same record, or
the same :class:`AvroDecodeError`.
"""

from __future__ import annotations

import dataclasses
import re
from io import BytesIO
from typing import Any

import pytest
from fastavro import schemaless_reader, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrib.avro.codec import HEADER_SIZE, AvroCodec, AvroDecodeError, default_codec
from attrib.avro.compiled_reader import compile_reader
from attrib.engine.wire import internal_codec

from .schema_values import values_of

#: Values the workers decode once per input record or envelope: these must be generated.
HOT = {
    "public": ["Touch", "Install", "Session", "InAppEvent", "Attribution"],
    "internal": [
        "TouchIndexPack",
        "TouchIndexBatch",
        "DeviceInputBatch",
        "LookupBatch",
        "CandidateBatch",
    ],
}
CODECS = {"public": default_codec, "internal": internal_codec}


def _versions(kind: str) -> list[tuple[str, bytes]]:
    codec = CODECS[kind]()
    return [(r.name, fp) for fp, r in codec._readers.items() if r.fast is not None]


@st.composite
def _encoded(draw: st.DrawFn, kind: str) -> tuple[AvroCodec, bytes, dict[str, Any]]:
    codec = CODECS[kind]()
    _, fp = draw(st.sampled_from(_versions(kind)))
    writer = codec._readers[fp].writer
    record = draw(values_of(writer))
    buf = BytesIO()
    buf.write(b"\xc3\x01" + fp)
    schemaless_writer(buf, writer, record)
    return codec, buf.getvalue(), writer


def _fastavro_only(codec: AvroCodec) -> AvroCodec:
    reference = AvroCodec(codec.schemas)
    reference._readers = {fp: dataclasses.replace(r, fast=None) for fp, r in codec._readers.items()}
    return reference


_REFERENCES = {kind: _fastavro_only(factory()) for kind, factory in CODECS.items()}


def _outcome(codec: AvroCodec, data: bytes) -> Any:
    try:
        return codec.decode_named(data)
    except AvroDecodeError as exc:
        return ("error", exc.reason, re.sub(r"0x[0-9a-f]+", "0x", exc.detail))  # no addresses


@pytest.mark.parametrize("kind", sorted(HOT))
def test_the_hot_records_have_generated_readers(kind: str) -> None:
    generated = {name for name, _ in _versions(kind)}
    assert set(HOT[kind]) <= generated


@pytest.mark.parametrize("kind", sorted(CODECS))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_readers_read_what_fastavro_reads(kind: str, data: st.DataObject) -> None:
    codec, value, writer = data.draw(_encoded(kind))
    fast = compile_reader(writer)
    assert fast is not None
    record, end = fast(value, HEADER_SIZE)
    buf = BytesIO(value)
    buf.seek(HEADER_SIZE)
    assert record == schemaless_reader(buf, writer, None)
    assert end == len(value) == buf.tell()
    assert codec.decode_named(value) == _REFERENCES[kind].decode_named(value)


@pytest.mark.parametrize("kind", sorted(CODECS))
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mangled_values_decode_or_fail_as_with_fastavro_alone(
    kind: str, data: st.DataObject
) -> None:
    codec, value, _ = data.draw(_encoded(kind))
    body = bytearray(value)
    how = data.draw(st.sampled_from(["truncate", "flip", "append", "replace"]))
    if how == "truncate":
        body = body[: data.draw(st.integers(HEADER_SIZE, max(HEADER_SIZE, len(body) - 1)))]
    elif how == "flip" and len(body) > HEADER_SIZE:
        at = data.draw(st.integers(HEADER_SIZE, len(body) - 1))
        body[at] ^= data.draw(st.integers(1, 255))
    elif how == "append":
        body += data.draw(st.binary(min_size=1, max_size=4))
    else:
        body[HEADER_SIZE:] = data.draw(st.binary(max_size=60))
    assert _outcome(codec, bytes(body)) == _outcome(_REFERENCES[kind], bytes(body))


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.binary(max_size=3))
def test_the_unrolled_varint_reads_every_long_as_fastavro(value: int, tail: bytes) -> None:
    from attrib.avro.compiled_reader import read_long

    out = BytesIO()
    schemaless_writer(out, "long", value)
    data = b"\x07" + out.getvalue() + tail
    assert read_long(data, 1) == (value, len(data) - len(tail))
