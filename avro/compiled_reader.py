"""Generated readers of flat records: the decoding twin of the codec's writer.

fastavro's reader walks the schema for every value and pays about 0.4 µs per
union field; a touch has 23 fields, most of them ``["null", ...]`` unions, so
decoding was the worker's largest single cost (29% of the backlog's samples,
``bench/engine.py --py-spy``). :func:`compile_reader` turns a parsed schema
into straight-line Python over the value's bytes, about three times faster.

It covers what the generated writer covers (``avro/codec.py``): records of
string, bytes, int, long, double, float, boolean and null fields, nested
records, arrays and maps of those, and unions of null and one of those (the
engine's envelopes and table values). Any other schema (enums, fixed, named
references, wider unions) gets no reader. A reader is only used when the
value's writer schema is the reader's (no resolution) and only trusted when
it ends exactly at the value's end without raising; otherwise fastavro
decodes the value or says why not, so results and errors are fastavro's
(tests/avro/test_compiled_reader.py compares them on generated and mangled
values).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from attrib.avro.codegen import Source, null_union

#: ``read(data, position) -> (record, end)``: raises on bytes it cannot read.
Reader = Callable[[bytes, int], tuple[dict[str, Any], int]]

_PRIMITIVES = ("string", "bytes", "int", "long", "boolean", "null", "double", "float")


class _NotCovered(Exception):
    """A schema the generated reader does not cover."""


def read_long(data: bytes, pos: int) -> tuple[int, int]:
    """A zig-zag varint at ``pos``: ``(value, end)``; longer than 64 bits raises
    ValueError, where fastavro (the decoders' fallback) would wrap the value. The
    generated readers and the peek (``avro/peek.py``) share it.

    Unrolled up to six bytes, a millisecond time's length (a loop cost a fifth more,
    and times are most of the long varints the engine reads); longer ones loop.
    """
    byte = data[pos]
    n = byte & 0x7F
    if byte < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 1
    byte = data[pos + 1]
    n |= (byte & 0x7F) << 7
    if byte < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 2
    byte = data[pos + 2]
    n |= (byte & 0x7F) << 14
    if byte < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 3
    byte = data[pos + 3]
    n |= (byte & 0x7F) << 21
    if byte < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 4
    byte = data[pos + 4]
    n |= (byte & 0x7F) << 28
    if byte < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 5
    byte = data[pos + 5]
    n |= (byte & 0x7F) << 35
    if byte < 0x80:
        return (n >> 1) ^ -(n & 1), pos + 6
    return _long_loop(data, pos)


def _long_loop(data: bytes, pos: int) -> tuple[int, int]:
    """:func:`read_long` one byte at a time, any length."""
    byte = data[pos]
    pos += 1
    n = byte & 0x7F
    shift = 7
    while byte & 0x80:
        byte = data[pos]
        pos += 1
        n |= (byte & 0x7F) << shift
        shift += 7
    if n >> 64:  # more than a long: fastavro's 64-bit reading decides
        raise ValueError("varint longer than 64 bits")
    return (n >> 1) ^ -(n & 1), pos


_DOUBLE = struct.Struct("<d").unpack_from
_FLOAT = struct.Struct("<f").unpack_from


def _emit_varint(src: Source, indent: int, target: str) -> None:
    """``target`` = the zig-zag varint at ``p``: one byte inline, longer ones by a call."""
    src.emit(indent, f"{target} = d[p]")
    src.emit(indent, f"if {target} < 0x80: p += 1; {target} = ({target} >> 1) ^ -({target} & 1)")
    src.emit(indent, f"else: {target}, p = _long(d, p)")


def _emit_length(src: Source, indent: int, target: str) -> None:
    """``target`` = a non-negative length read at ``p``."""
    _emit_varint(src, indent, target)
    src.emit(indent, f"if {target} < 0: raise ValueError('negative length')")


def _emit_value(src: Source, indent: int, target: str, schema: Any) -> None:
    """Lines reading ``schema`` at ``p`` of ``d`` into ``target`` (an assignable name)."""
    if isinstance(schema, list):
        _emit_union(src, indent, target, schema)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if "logicalType" in schema:
            raise _NotCovered(str(schema))
        if kind == "map":
            _emit_blocks(src, indent, target, schema["values"], is_map=True)
        elif kind == "array":
            _emit_blocks(src, indent, target, schema["items"], is_map=False)
        elif kind == "record":
            _emit_record(src, indent, target, schema)
        elif kind in _PRIMITIVES:
            _emit_value(src, indent, target, kind)
        else:
            raise _NotCovered(str(kind))
    elif schema in ("string", "bytes"):
        size = src.temp()
        _emit_length(src, indent, size)
        src.emit(indent, f"e = p + {size}")
        src.emit(indent, "if e > n: raise ValueError('past the end')")
        if schema == "string":
            src.emit(indent, f"{target} = d[p:e].decode(); p = e")
        else:
            src.emit(indent, f"{target} = d[p:e]; p = e")
    elif schema in ("int", "long"):
        _emit_varint(src, indent, target)
    elif schema == "boolean":
        byte = src.temp()
        src.emit(indent, f"{byte} = d[p]; p += 1")
        src.emit(indent, f"if {byte} > 1: raise ValueError('boolean')")
        src.emit(indent, f"{target} = {byte} == 1")
    elif schema == "null":
        src.emit(indent, f"{target} = None")
    elif schema in ("double", "float"):
        size, unpack = (8, "_double") if schema == "double" else (4, "_float")
        src.emit(indent, f"if p + {size} > n: raise ValueError('past the end')")
        src.emit(indent, f"{target} = {unpack}(d, p)[0]; p += {size}")
    else:
        raise _NotCovered(str(schema))


def _emit_union(src: Source, indent: int, target: str, branches: list[Any]) -> None:
    covered = null_union(branches)
    if covered is None:
        raise _NotCovered(str(branches))
    null_index, other = covered
    index = src.temp()
    src.emit(indent, f"{index} = d[p]; p += 1")
    src.emit(indent, f"if {index} == {null_index << 1}: {target} = None")
    src.emit(indent, f"elif {index} == {(1 - null_index) << 1}:")
    _emit_value(src, indent + 1, target, other)
    src.emit(indent, "else: raise ValueError('union index')")


def _emit_blocks(src: Source, indent: int, target: str, items: Any, *, is_map: bool) -> None:
    """An array or a map: blocks of ``count`` items (a negative count has a byte size)."""
    out, count, key, item = src.temp(), src.temp(), src.temp(), src.temp()
    src.emit(indent, f"{out} = {{}}" if is_map else f"{out} = []")
    src.emit(indent, "while True:")
    src.emit(indent + 1, f"{count}, p = _long(d, p)")
    src.emit(indent + 1, f"if {count} == 0: break")
    src.emit(indent + 1, f"if {count} < 0: {count} = -{count}; _, p = _long(d, p)")
    src.emit(indent + 1, f"for _ in range({count}):")
    if is_map:
        _emit_value(src, indent + 2, key, "string")
    _emit_value(src, indent + 2, item, items)
    src.emit(indent + 2, f"{out}[{key}] = {item}" if is_map else f"{out}.append({item})")
    src.emit(indent, f"{target} = {out}")


def _emit_record(src: Source, indent: int, target: str, schema: dict[str, Any]) -> None:
    values = []
    for field in schema["fields"]:
        value = src.temp()
        _emit_value(src, indent, value, field["type"])
        values.append(f"{field['name']!r}: {value}")
    src.emit(indent, f"{target} = {{{', '.join(values)}}}")


def compile_reader(parsed: dict[str, Any]) -> Reader | None:
    """The generated reader of ``parsed`` (a record schema), or None if not covered."""
    if not isinstance(parsed, dict) or parsed.get("type") != "record":
        return None
    src = Source({"_long": read_long, "_double": _DOUBLE, "_float": _FLOAT})
    src.emit(0, "def read(d, p):")
    src.emit(1, "n = len(d)")
    try:
        _emit_record(src, 1, "r", parsed)
    except _NotCovered:
        return None
    src.emit(1, "return r, p")
    return src.build("read", f"<avro reader {parsed.get('name')}>")
