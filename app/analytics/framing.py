"""Kafka values to ClickHouse insert bodies, without decoding them in Python.

Values on the topics are Avro single-object encoded (a 10-byte header naming
the writer schema, then the Avro body). ClickHouse reads Avro natively in its
``Avro`` input format, which is an Avro object container file: a header
carrying the writer schema, then blocks of bodies. So the sink re-frames the
bodies it received instead of decoding and re-encoding them: per value it
checks the 10-byte header (cheap) and copies the body, and ClickHouse's C++
decoder does the rest. Decoding an attribution in Python costs about 30 µs,
about three times what ClickHouse spends on the whole insert of a row; this
is what lets the sink keep up with a raw insert (bench/sink.py).

Details that matter:

- Each value is its own block (count 1, byte length, body, sync marker).
  A value whose body is corrupt therefore cannot shift its neighbours: the
  reader either fails on it (ClickHouse refuses the insert, and the sink's
  slow path finds the culprit with the Python decoder) or stops at the
  block's end.
- One container per writer schema version: the header carries that exact
  schema, so ClickHouse resolves old and new writers by field name, skips
  fields the table does not have, and gives table defaults to columns the
  writer did not know (``input_format_avro_allow_missing_fields``).
- Renames (``event_time`` -> ``session_time``) are applied to the header's
  schema only: a field's name is not part of the binary encoding.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from attrib.avro.codec import HEADER_SIZE, MARKER, AvroDecodeError
from attrib.avro.schemas import SchemaSet

CONTAINER_MAGIC = b"Obj\x01"
#: settings every Avro insert of the sink sends with the body
INSERT_SETTINGS = {"input_format_avro_allow_missing_fields": 1}


def zigzag_varint(n: int) -> bytes:
    """Avro's ``long`` encoding: zig-zag, then 7 bits per byte, low first."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _avro_bytes(data: bytes) -> bytes:
    return zigzag_varint(len(data)) + data


def check_value(value: bytes | None, expect: str, schemas: SchemaSet) -> bytes | AvroDecodeError:
    """The writer fingerprint of ``value``, or why it is not a value of record ``expect``.

    Checks what the header can tell (length, marker, a released schema of the
    expected record); the body is left to ClickHouse. Reasons are the codec's.
    """
    if value is None:
        return AvroDecodeError(AvroDecodeError.TOO_SHORT, "a tombstone (no value)")
    if len(value) < HEADER_SIZE:
        return AvroDecodeError(
            AvroDecodeError.TOO_SHORT, f"{len(value)} bytes, a value has at least 10"
        )
    if value[:2] != MARKER:
        return AvroDecodeError(
            AvroDecodeError.BAD_MARKER, f"starts with {value[:2].hex()}, expected c301"
        )
    fingerprint = value[2:HEADER_SIZE]
    writer = schemas.by_fingerprint(fingerprint)
    if writer is None:
        return AvroDecodeError(
            AvroDecodeError.UNKNOWN_SCHEMA, f"fingerprint {fingerprint.hex()} is no released schema"
        )
    if writer.name != expect:
        return AvroDecodeError(
            AvroDecodeError.UNEXPECTED_RECORD, f"a {writer.name}, expected a {expect}"
        )
    return fingerprint


class ContainerFramer:
    """Builds ``FORMAT Avro`` insert bodies for one table from single-object values."""

    def __init__(self, schemas: SchemaSet, renames: Mapping[str, str] | None = None) -> None:
        self._schemas = schemas
        self._renames = dict(renames or {})
        self._headers: dict[bytes, tuple[bytes, bytes]] = {}

    def writer_schema(self, fingerprint: bytes) -> dict[str, Any]:
        """The writer's declared schema with this table's renames applied."""
        version = self._schemas.by_fingerprint(fingerprint)
        if version is None:
            raise KeyError(fingerprint.hex())
        schema = copy.deepcopy(version.declared)
        for field in schema["fields"]:
            field["name"] = self._renames.get(field["name"], field["name"])
        return schema

    def _header(self, fingerprint: bytes) -> tuple[bytes, bytes]:
        cached = self._headers.get(fingerprint)
        if cached is None:
            schema = json.dumps(self.writer_schema(fingerprint), separators=(",", ":")).encode()
            sync = hashlib.md5(schema).digest()  # any 16 bytes; fixed per schema
            meta = {b"avro.schema": schema, b"avro.codec": b"null"}
            header = b"".join(
                [
                    CONTAINER_MAGIC,
                    zigzag_varint(len(meta)),
                    *(_avro_bytes(k) + _avro_bytes(v) for k, v in meta.items()),
                    zigzag_varint(0),
                    sync,
                ]
            )
            cached = self._headers[fingerprint] = (header, sync)
        return cached

    def frame(self, fingerprint: bytes, values: Sequence[bytes]) -> bytes:
        """One container holding the bodies of ``values`` (all of writer ``fingerprint``)."""
        header, sync = self._header(fingerprint)
        one = zigzag_varint(1)
        parts = [header]
        append = parts.append
        for value in values:
            size = len(value) - HEADER_SIZE
            append(one)
            append(zigzag_varint(size))
            append(memoryview(value)[HEADER_SIZE:])
            append(sync)
        return b"".join(parts)
