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
precomputed, and when writer and reader are the same version (the common
case) the value is read by a reader generated once per schema
(``avro/compiled_reader.py``, about twice as fast as fastavro on a touch);
fastavro reads everything else (other versions, values that reader cannot
read to their end) with ``reader_schema=None`` when no resolution is needed.

Encoding flat records (the collector's touches, installs, sessions and events:
one per HTTP request) goes through an encoder generated once per schema
(:func:`_compile_writer`): straight-line Python that appends each field's
bytes, several times faster than fastavro's generic walk, which picks every
union branch by validating the value. It covers only the plain case, a
``dict`` holding the schema's fields (those with a plain default may be
left out), each value of exactly the expected Python type and range;
anything else (an extra or misspelt field, a wrong type, text that is not valid
Unicode, a schema with enums, fixed or unions of more than null and one
other type) is handed to fastavro, which writes it or raises as before. It
covers nested records and arrays too: the engine's envelopes are arrays of
records. The bytes are fastavro's, byte for byte
(tests/avro/test_fast_writer.py compares them on generated records).

Records are plain dicts; times are plain ints (epoch ms), never datetimes.
Encoding is strict: a missing field without a default, an unknown field
(usually a typo) or a wrong type raises :class:`AvroEncodeError` instead of
silently dropping data.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from fastavro import schemaless_reader, schemaless_writer

from attrib.avro.codegen import Source, null_union
from attrib.avro.compiled_reader import Reader, compile_reader
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


# ---- the generated writer of flat records (see the module doc) ---------------------------
#: A value written as a generated writer expects: ``str`` for string, ``int`` (not bool) in
#: range for int and long, ``bytes``, ``bool``, ``None``; and maps of those.
_INT_RANGES = {"int": 1 << 31, "long": 1 << 63}
_SMALL_VARINTS = tuple(bytes([n]) for n in range(128))
#: Strings and bytes shorter than this have a one-byte length prefix (zig-zag doubles it).
_SHORT = 64


class _NotFlat(Exception):
    """A schema the generated writer does not cover; fastavro writes all its records."""


def _varint_loop(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _varint_unrolled(n: int) -> bytes:
    """:func:`_varint_loop` without the loop for two, three and six bytes (six: a
    millisecond time, zig-zagged)."""
    if n < 0x4000:
        return bytes((n & 0x7F | 0x80, n >> 7))
    if n < 0x200000:
        return bytes((n & 0x7F | 0x80, n >> 7 & 0x7F | 0x80, n >> 14))
    if 1 << 35 <= n < 1 << 42:
        return bytes(
            (
                n & 0x7F | 0x80,
                n >> 7 & 0x7F | 0x80,
                n >> 14 & 0x7F | 0x80,
                n >> 21 & 0x7F | 0x80,
                n >> 28 & 0x7F | 0x80,
                n >> 35,
            )
        )
    return _varint_loop(n)


#: Large varints are mostly times: a record's event and receive times are usually equal,
#: and records of the same millisecond share them, so recent ones are kept (a plain dict,
#: emptied when full: ``functools.lru_cache`` cost twice the encoding on a miss).
_LARGE_VARINTS: dict[int, bytes] = {}
_LARGE_VARINTS_KEPT = 4096


def _varint(n: int) -> bytes:
    """The Avro variable-length encoding of ``n`` >= 0 (already zig-zagged)."""
    if n < 0x80:
        return _SMALL_VARINTS[n]
    encoded = _LARGE_VARINTS.get(n)
    if encoded is None:
        encoded = _varint_unrolled(n)
        if len(_LARGE_VARINTS) >= _LARGE_VARINTS_KEPT:
            _LARGE_VARINTS.clear()
        _LARGE_VARINTS[n] = encoded
    return encoded


def _zigzag(n: int) -> bytes:
    return _varint((n << 1) ^ (n >> 63))


#: Avro's encoding of a long: zig-zag, then a varint (recent large ones cached).
long_bytes = _zigzag


def _emit_value(src: Source, indent: int, value: str, schema: Any, prefix: bytes) -> None:
    """Lines adding ``prefix`` (a union index, or nothing) and ``value`` written as ``schema``
    to the buffer ``o``.

    Every check that fails raises, and the caller falls back to fastavro.
    """
    if isinstance(schema, list):
        _emit_union(src, indent, value, schema)
        return
    if isinstance(schema, dict):
        kind = schema.get("type")
        if "logicalType" in schema:
            raise _NotFlat(str(kind))
        if kind == "map":
            _emit_map(src, indent, value, schema["values"], prefix)
        elif kind == "array":
            _emit_array(src, indent, value, schema["items"], prefix)
        elif kind == "record" and not prefix:  # a union writes its index first
            _emit_record(src, indent, value, schema)
        else:
            raise _NotFlat(str(kind))
        return
    if schema in ("string", "bytes"):
        data = src.temp()
        size = src.temp()
        if schema == "string":
            src.emit(indent, f"if type({value}) is not str: raise TypeError")
            src.emit(indent, f"{data} = {value}.encode()")
        else:
            src.emit(indent, f"if type({value}) is not bytes: raise TypeError")
            src.emit(indent, f"{data} = {value}")
        src.emit(indent, f"{size} = len({data})")
        short = src.constant(tuple(prefix + bytes([n << 1]) for n in range(_SHORT)))
        src.emit(indent, f"if {size} < {_SHORT}: o += {short}[{size}]")
        if prefix:
            src.emit(indent, f"else: o += {src.constant(prefix)}; o += _varint({size} << 1)")
        else:
            src.emit(indent, f"else: o += _varint({size} << 1)")
        src.emit(indent, f"o += {data}")
    elif schema in _INT_RANGES:
        bound = _INT_RANGES[schema]
        src.emit(
            indent,
            f"if type({value}) is not int or not -{bound} <= {value} < {bound}: raise TypeError",
        )
        if prefix:
            src.emit(indent, f"o += {src.constant(prefix)}")
        src.emit(indent, f"o += _varint(({value} << 1) ^ ({value} >> 63))")
    elif schema == "boolean":
        true, false = src.constant(prefix + b"\x01"), src.constant(prefix + b"\x00")
        src.emit(indent, f"if {value} is True: o += {true}")
        src.emit(indent, f"elif {value} is False: o += {false}")
        src.emit(indent, "else: raise TypeError")
    elif schema == "null":
        src.emit(indent, f"if {value} is not None: raise TypeError")
        if prefix:
            src.emit(indent, f"o += {src.constant(prefix)}")
    else:
        raise _NotFlat(str(schema))


def _emit_union(src: Source, indent: int, value: str, branches: list[Any]) -> None:
    # Only null + one other branch: fastavro picks a branch by validating the value
    # against each in turn, and with one non-null branch that choice is plain.
    covered = null_union(branches)
    if covered is None:
        raise _NotFlat(str(branches))
    null_index, other = covered
    src.emit(indent, f"if {value} is None: o += {src.constant(_zigzag(null_index))}")
    src.emit(indent, "else:")
    if isinstance(other, dict):  # a record, array or map: its index, then the value
        src.emit(indent + 1, f"o += {src.constant(_zigzag(1 - null_index))}")
        _emit_value(src, indent + 1, value, other, b"")
    else:
        _emit_value(src, indent + 1, value, other, _zigzag(1 - null_index))


def _emit_array(src: Source, indent: int, value: str, items: Any, prefix: bytes) -> None:
    """One block of every item, then the end (fastavro's layout)."""
    if prefix:
        src.emit(indent, f"o += {src.constant(prefix)}")
    item = src.temp()
    src.emit(indent, f"if type({value}) is not list: raise TypeError")
    src.emit(indent, f"if {value}:")
    src.emit(indent + 1, f"o += _varint(len({value}) << 1)")
    src.emit(indent + 1, f"for {item} in {value}:")
    _emit_value(src, indent + 2, item, items, b"")
    src.emit(indent, "o += _small[0]")


def _emit_record(src: Source, indent: int, value: str, schema: dict[str, Any]) -> None:
    """A nested record, written as a top-level one."""
    _emit_fields(src, indent, value, schema["fields"])


_MISSING = object()
#: Defaults the generated writer fills in (the field's own code then checks their type).
_PLAIN_DEFAULTS = (type(None), bool, int, str, list, dict)


def _emit_fields(src: Source, indent: int, value: str, fields: list[dict[str, Any]]) -> None:
    """A dict holding the record's fields and nothing else; a field with a default
    may be left out (fastavro's ``strict_allow_default``)."""
    src.emit(indent, f"if type({value}) is not dict: raise TypeError")
    optional = [isinstance(f.get("default", _MISSING), _PLAIN_DEFAULTS) for f in fields]
    count = src.temp()
    if any(optional):
        src.emit(indent, f"{count} = {optional.count(False)}")
    else:
        src.emit(indent, f"if len({value}) != {len(fields)}: raise TypeError")
    for field, may_be_left_out in zip(fields, optional, strict=True):
        item = src.temp()
        if may_be_left_out:
            src.emit(indent, f"{item} = {value}.get({field['name']!r}, _missing)")
            src.emit(indent, f"if {item} is _missing: {item} = {src.constant(field['default'])}")
            src.emit(indent, f"else: {count} += 1")
        else:
            src.emit(indent, f"{item} = {value}[{field['name']!r}]")
        _emit_value(src, indent, item, field["type"], b"")
    if any(optional):  # checked last: every field present or defaulted, none unknown
        src.emit(indent, f"if len({value}) != {count}: raise TypeError")


def _emit_map(src: Source, indent: int, value: str, values: Any, prefix: bytes) -> None:
    if prefix:
        src.emit(indent, f"o += {src.constant(prefix)}")
    key, item = src.temp(), src.temp()
    src.emit(indent, f"if type({value}) is not dict: raise TypeError")
    src.emit(indent, f"if {value}:")
    src.emit(indent + 1, f"o += _varint(len({value}) << 1)")
    src.emit(indent + 1, f"for {key}, {item} in {value}.items():")
    _emit_value(src, indent + 2, key, "string", b"")
    _emit_value(src, indent + 2, item, values, b"")
    src.emit(indent, "o += _small[0]")


def _compile_writer(parsed: dict[str, Any], header: bytes) -> Callable[[Any], bytes] | None:
    """``header`` + the Avro body of a record, for the plain case only; None if not flat.

    The function raises (anything) when the record is not the plain case.
    """
    if parsed.get("type") != "record":
        return None
    src = Source({"_varint": _varint, "_small": _SMALL_VARINTS, "_missing": _MISSING})
    fields = parsed["fields"]
    src.emit(0, "def write(record):")
    src.emit(1, f"o = bytearray({src.constant(header)})")
    try:
        _emit_fields(src, 1, "record", fields)
    except _NotFlat:
        return None
    src.emit(1, "return bytes(o)")
    return src.build("write", f"<avro writer {parsed.get('name')}>")


@dataclass(frozen=True, slots=True)
class _Writer:
    header: bytes
    parsed: dict[str, Any]
    #: header + body of a plain record, raising otherwise; None for schemas it does not cover
    fast: Callable[[Any], bytes] | None = None


@dataclass(frozen=True, slots=True)
class _Reader:
    name: str
    writer: dict[str, Any]
    reader: dict[str, Any] | None  # None: the writer's schema is the reader's
    #: the generated reader (avro/compiled_reader.py) when no resolution is needed
    fast: Reader | None = None


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
            fast = compile_reader(sv.parsed) if reader is None else None
            self._readers[sv.fingerprint] = _Reader(sv.name, sv.parsed, reader, fast)

    @staticmethod
    def _writer(sv: SchemaVersion) -> _Writer:
        header = MARKER + sv.fingerprint
        return _Writer(header, sv.parsed, _compile_writer(sv.parsed, header))

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
        writer = self._writers.get((name, version)) or self._writer_for(name, version)
        fast = writer.fast
        if fast is not None:
            try:
                return fast(record)
            except Exception:  # not the plain case: fastavro writes it or says why not
                pass
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
        header, parsed, fast = writer.header, writer.parsed, writer.fast
        buf = BytesIO()
        ends: list[int] = []
        for i, record in enumerate(records):
            if fast is not None:
                try:
                    buf.write(fast(record))
                    ends.append(buf.tell())
                    continue
                except Exception:  # not the plain case: fastavro writes it or says why not
                    pass
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
        fast = entry.fast
        if fast is not None and type(data) is bytes:
            try:
                record, end = fast(data, HEADER_SIZE)
                if end == size:
                    return entry.name, record
            except Exception:  # not readable so: fastavro reads it or says why not
                pass
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
        append = out.append
        decode_named = self.decode_named
        # A batch's values mostly share one header: while they do, the header's checks
        # and the reader's lookup are not repeated (about a microsecond a record).
        header = b""
        fast: Reader | None = None
        for i, data in enumerate(datas):
            if fast is not None and type(data) is bytes and data.startswith(header):
                try:
                    record, end = fast(data, HEADER_SIZE)
                except Exception:  # not readable so: decode_named says why, or reads it
                    pass
                else:
                    if end == len(data):
                        append(record)
                        continue
            try:
                append(decode_named(data, expect=expect, index=i)[1])
            except AvroDecodeError as exc:
                append(exc)
                continue
            if type(data) is bytes:
                header = data[:HEADER_SIZE]
                fast = self._readers[header[2:]].fast
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
