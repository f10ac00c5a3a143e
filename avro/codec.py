"""Avro single-object encoding of every topic value (streams.md, Encoding).

Wire format of one value::

    C3 01 | 8-byte little-endian CRC-64-AVRO fingerprint | fastavro schemaless body

The fingerprint names the writer schema, so any producer and any later reader
agree without a registry server: the reader finds the writer version among the
released ``.avsc`` files and resolves it to its own (current) version of the
record, filling the defaults of fields the writer did not know and skipping
fields the reader does not know. Forward compatibility therefore needs the
reader to *have* the newer schema file: ship schema files before the writers
that use them.

Hot path notes: schemas are parsed once when the codec is built; the 10-byte
header of each writer and the fingerprint -> (writer, reader) table are
precomputed, and fastavro gets ``reader_schema=None`` when writer and reader
are the same version, so the common case costs one dict lookup plus fastavro.

Records are plain dicts; times are plain ints (epoch ms), never datetimes.
Encoding is strict: a missing field without a default, an unknown field
(usually a typo) or a wrong type raises :class:`AvroEncodeError` instead of
silently dropping data.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from fastavro import schemaless_reader, schemaless_writer

from attrib.avro.schemas import SchemaSet, SchemaVersion, UnknownRecordError

MARKER = b"\xc3\x01"
HEADER_SIZE = 10  # marker + fingerprint

Record = dict[str, Any]


class AvroDecodeError(ValueError):
    """Bytes that are not a decodable value; ``reason`` is a short machine code.

    Reasons: ``too_short``, ``bad_marker``, ``unknown_schema`` (fingerprint of
    no released schema), ``corrupt_body``, ``unexpected_record`` (a valid value
    of another record than the caller expected). ``index`` is the position in
    a batch, when the value came from one.
    """

    TOO_SHORT = "too_short"
    BAD_MARKER = "bad_marker"
    UNKNOWN_SCHEMA = "unknown_schema"
    CORRUPT_BODY = "corrupt_body"
    UNEXPECTED_RECORD = "unexpected_record"

    def __init__(self, reason: str, detail: str, index: int | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.index = index


class AvroEncodeError(ValueError):
    """A record that does not fit its schema (missing, unknown or mistyped field)."""


@dataclass(frozen=True, slots=True)
class _Writer:
    header: bytes
    parsed: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Reader:
    name: str
    writer: dict[str, Any]
    reader: dict[str, Any] | None  # None: the writer's schema is the reader's


class AvroCodec:
    """Encoder/decoder over one :class:`SchemaSet`.

    ``reader_versions`` pins the version a record decodes to (default: the
    latest of each record); it exists for rolling upgrades and for testing an
    older reader against a newer writer.
    """

    def __init__(
        self,
        schemas: SchemaSet | str | Path | None = None,
        *,
        reader_versions: Mapping[str, int] | None = None,
    ) -> None:
        if schemas is None:
            schemas = SchemaSet.packaged()
        elif not isinstance(schemas, SchemaSet):
            schemas = SchemaSet(schemas)
        self.schemas = schemas
        pins = dict(reader_versions or {})
        for name, version in pins.items():
            schemas.get(name, version)  # an unknown pin is a mistake, not a no-op
        self._writers: dict[tuple[str, int | None], _Writer] = {}
        self._readers: dict[bytes, _Reader] = {}
        current: dict[str, SchemaVersion] = {}
        for name in schemas.names():
            current[name] = schemas.get(name, pins.get(name))
            latest = schemas.get(name)
            self._writers[(name, None)] = self._writer(latest)
        for sv in schemas:
            self._writers[(sv.name, sv.version)] = self._writer(sv)
            target = current[sv.name]
            reader = None if target is sv else target.parsed
            self._readers[sv.fingerprint] = _Reader(sv.name, sv.parsed, reader)

    @staticmethod
    def _writer(sv: SchemaVersion) -> _Writer:
        return _Writer(MARKER + sv.fingerprint, sv.parsed)

    # ---- schema look-ups ---------------------------------------------------
    def names(self) -> list[str]:
        return self.schemas.names()

    def versions(self, name: str) -> list[int]:
        return self.schemas.versions(name)

    def schema(self, name: str, version: int | None = None) -> dict[str, Any]:
        """The declared schema (the ``.avsc`` JSON, a copy); latest version by default."""
        return copy.deepcopy(self.schemas.get(name, version).declared)

    def fingerprint(self, name: str, version: int | None = None) -> bytes:
        """The 8-byte little-endian CRC-64-AVRO fingerprint; latest version by default."""
        return self.schemas.get(name, version).fingerprint

    # ---- encoding ------------------------------------------------------------
    def _writer_for(self, name: str, version: int | None) -> _Writer:
        writer = self._writers.get((name, version))
        if writer is None:
            self.schemas.get(name, version)  # raises UnknownRecordError with the reason
            raise UnknownRecordError(name)  # pragma: no cover
        return writer

    def encode(self, name: str, record: Mapping[str, Any], *, version: int | None = None) -> bytes:
        """One value of record ``name`` (short name, e.g. ``"Touch"``), latest version."""
        writer = self._writer_for(name, version)
        buf = BytesIO()
        buf.write(writer.header)
        try:
            schemaless_writer(buf, writer.parsed, record, strict_allow_default=True)
        except Exception as exc:  # fastavro raises ValueError, TypeError, AttributeError...
            raise AvroEncodeError(f"{name}: {exc}") from exc
        return buf.getvalue()

    def encode_many(
        self, name: str, records: Iterable[Mapping[str, Any]], *, version: int | None = None
    ) -> list[bytes]:
        """Values of many records of one kind, in order (one buffer for the batch)."""
        writer = self._writer_for(name, version)
        header, parsed = writer.header, writer.parsed
        buf = BytesIO()
        ends: list[int] = []
        for i, record in enumerate(records):
            buf.write(header)
            try:
                schemaless_writer(buf, parsed, record, strict_allow_default=True)
            except Exception as exc:
                raise AvroEncodeError(f"{name} (batch index {i}): {exc}") from exc
            ends.append(buf.tell())
        data = buf.getbuffer()
        out: list[bytes] = []
        start = 0
        for end in ends:
            out.append(bytes(data[start:end]))
            start = end
        data.release()
        return out

    # ---- decoding ------------------------------------------------------------
    def decode_named(
        self, data: bytes, *, expect: str | None = None, index: int | None = None
    ) -> tuple[str, Record]:
        """``(record name, record)`` of one value, resolved to the reader version.

        ``expect`` names the record the caller's topic carries; a value of
        another record raises ``unexpected_record``.
        """
        size = len(data)
        if size < HEADER_SIZE:
            raise AvroDecodeError(
                AvroDecodeError.TOO_SHORT, f"{size} bytes, a value has at least 10", index
            )
        if data[:2] != MARKER:
            raise AvroDecodeError(
                AvroDecodeError.BAD_MARKER,
                f"starts with {bytes(data[:2]).hex()}, expected c301",
                index,
            )
        entry = self._readers.get(bytes(data[2:HEADER_SIZE]))
        if entry is None:
            raise AvroDecodeError(
                AvroDecodeError.UNKNOWN_SCHEMA,
                f"fingerprint {bytes(data[2:HEADER_SIZE]).hex()} is no released schema",
                index,
            )
        if expect is not None and entry.name != expect:
            raise AvroDecodeError(
                AvroDecodeError.UNEXPECTED_RECORD, f"a {entry.name}, expected a {expect}", index
            )
        buf = BytesIO(data)
        buf.seek(HEADER_SIZE)
        try:
            record = schemaless_reader(buf, entry.writer, entry.reader)
        except Exception as exc:  # EOFError, UnicodeDecodeError, IndexError...
            raise AvroDecodeError(
                AvroDecodeError.CORRUPT_BODY,
                f"{entry.name}: {type(exc).__name__}: {exc}",
                index,
            ) from exc
        if buf.tell() != size:
            raise AvroDecodeError(
                AvroDecodeError.CORRUPT_BODY,
                f"{entry.name}: {size - buf.tell()} bytes after the end of the record",
                index,
            )
        return entry.name, record  # type: ignore[return-value]

    def decode(self, data: bytes, *, expect: str | None = None) -> Record:
        """The record of one value, resolved to the reader version."""
        return self.decode_named(data, expect=expect)[1]

    def decode_many(self, datas: Sequence[bytes], *, expect: str | None = None) -> list[Record]:
        """Records of many values; the first bad one raises (its ``index`` set)."""
        decode_named = self.decode_named
        return [decode_named(d, expect=expect, index=i)[1] for i, d in enumerate(datas)]

    def try_decode_many(
        self, datas: Sequence[bytes], *, expect: str | None = None
    ) -> list[Record | AvroDecodeError]:
        """Like :meth:`decode_many`, with each bad value's error in its place.

        What a stream worker wants: decode a batch, dead-letter the errors,
        process the rest.
        """
        out: list[Record | AvroDecodeError] = []
        decode_named = self.decode_named
        for i, data in enumerate(datas):
            try:
                out.append(decode_named(data, expect=expect, index=i)[1])
            except AvroDecodeError as exc:
                out.append(exc)
        return out


@functools.cache
def default_codec() -> AvroCodec:
    """The codec over the schemas shipped in this package (built once per process)."""
    return AvroCodec(SchemaSet.packaged())


def encode(name: str, record: Mapping[str, Any], *, version: int | None = None) -> bytes:
    return default_codec().encode(name, record, version=version)


def encode_many(
    name: str, records: Iterable[Mapping[str, Any]], *, version: int | None = None
) -> list[bytes]:
    return default_codec().encode_many(name, records, version=version)


def decode(data: bytes, *, expect: str | None = None) -> Record:
    return default_codec().decode(data, expect=expect)


def decode_named(data: bytes, *, expect: str | None = None) -> tuple[str, Record]:
    return default_codec().decode_named(data, expect=expect)


def decode_many(datas: Sequence[bytes], *, expect: str | None = None) -> list[Record]:
    return default_codec().decode_many(datas, expect=expect)


def try_decode_many(
    datas: Sequence[bytes], *, expect: str | None = None
) -> list[Record | AvroDecodeError]:
    return default_codec().try_decode_many(datas, expect=expect)


def fingerprint(name: str, version: int | None = None) -> bytes:
    return default_codec().fingerprint(name, version)


def schema(name: str, version: int | None = None) -> dict[str, Any]:
    return default_codec().schema(name, version)


def versions(name: str) -> list[int]:
    return default_codec().versions(name)


def names() -> list[str]:
    return default_codec().names()
