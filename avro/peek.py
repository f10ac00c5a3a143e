"""A few top-level fields of an encoded value, without decoding the rest.

The ClickHouse sink never decodes what it stores (``attrib.analytics.framing``),
yet it must not store the touches and sessions the worker refused (R3 times,
unknown apps: ``attrib.admission``). Those checks need three fields; a full
fastavro decode of a touch costs ~10 µs, about what the sink spends on the
whole row. A peek walks the body once, reading the wanted fields and
skipping the others by their encoding, in code generated per writer schema
(the way :mod:`attrib.avro.codec` generates its writers): ~2 µs a touch.

Only the common shapes are covered (primitives, enums, fixed,
``null``-plus-one unions, and maps and arrays of those to skip, up to the
last wanted field); :func:`compile_peek` returns ``None`` otherwise and the
caller decodes in full. A truncated body raises ``IndexError``; a negative
length or block size (never written by an encoder) ``ValueError``, so that a
malformed value cannot send the peek backwards into an endless loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from attrib.avro.codec import HEADER_SIZE
from attrib.avro.compiled_reader import read_long
from attrib.avro.schemas import SchemaSet, SchemaVersion

Peek = Callable[[bytes], tuple[Any, ...]]

_FIXED_SIZE = {"float": 4, "double": 8, "boolean": 1}
_VARINT = ("int", "long", "string", "bytes")


class _Unsupported(Exception):
    pass


def _emit(lines: list[str], indent: int, schema: Any, target: str | None) -> None:
    """Lines that read (into ``target``) or skip one value of ``schema`` at ``p``."""
    pad = "    " * indent
    if isinstance(schema, list):
        if len(schema) != 2 or "null" not in schema:
            raise _Unsupported(str(schema))
        other = schema[1 - schema.index("null")]
        if isinstance(other, list) or other == "null":
            raise _Unsupported(str(schema))
        present = 2 * (1 - schema.index("null"))  # zig-zag of the other branch's index
        lines.append(f"{pad}b = buf[p]; p += 1")
        if target is not None:
            lines.append(f"{pad}{target} = None")
        lines.append(f"{pad}if b == {present}:")
        _emit(lines, indent + 1, other, target)
        lines.append(f"{pad}elif b != {2 - present}: raise ValueError('bad union index')")
        return
    if isinstance(schema, dict):
        if schema.get("type") == "enum":
            schema = "int"  # read as its index
        elif schema.get("type") in ("map", "array") and target is None:
            _emit_blocks(lines, indent, schema)
            return
        elif schema.get("type") == "fixed":
            size = int(schema["size"])
            lines.append(f"{pad}{target} = buf[p:p + {size}]" if target else f"{pad}pass")
            lines.append(f"{pad}p += {size}")
            return
        else:
            raise _Unsupported(str(schema.get("type")))
    if schema == "null":
        if target is not None:
            lines.append(f"{pad}{target} = None")
        return
    if schema in _FIXED_SIZE:
        size = _FIXED_SIZE[schema]
        if target is not None:
            value = "buf[p] == 1" if schema == "boolean" else f"buf[p:p + {size}]"
            lines.append(f"{pad}{target} = {value}")
        lines.append(f"{pad}p += {size}")
        return
    if schema not in _VARINT:
        raise _Unsupported(str(schema))
    # one-byte varints (lengths under 64, small ints) are the common case
    lines.append(f"{pad}b = buf[p]")
    lines.append(f"{pad}if b < 0x80: n = (b >> 1) ^ -(b & 1); p += 1")
    lines.append(f"{pad}else: n, p = read_long(buf, p)")
    if schema in ("int", "long"):
        if target is not None:
            lines.append(f"{pad}{target} = n")
        return
    lines.append(f"{pad}if n < 0: raise ValueError('negative length')")
    if target is not None:
        text = "buf[p:p + n].decode()" if schema == "string" else "buf[p:p + n]"
        lines.append(f"{pad}{target} = {text}")
    lines.append(f"{pad}p += n")


def _emit_blocks(lines: list[str], indent: int, schema: dict[str, Any]) -> None:
    """Lines skipping a map or array: blocks of items, a negative count giving its size."""
    pad = "    " * indent
    lines.append(f"{pad}count, p = read_long(buf, p)")
    lines.append(f"{pad}while count != 0:")
    lines.append(f"{pad}    if count < 0:")
    lines.append(f"{pad}        size, p = read_long(buf, p)")
    lines.append(f"{pad}        if size < 0: raise ValueError('negative block size')")
    lines.append(f"{pad}        p += size")
    lines.append(f"{pad}    else:")
    lines.append(f"{pad}        for _ in range(count):")
    if schema["type"] == "map":
        _emit(lines, indent + 3, "string", None)
    _emit(lines, indent + 3, schema["values" if schema["type"] == "map" else "items"], None)
    lines.append(f"{pad}    count, p = read_long(buf, p)")


def compile_peek(parsed: dict[str, Any], fields: Sequence[str]) -> Peek | None:
    """A function: single-object encoded value -> the values of ``fields``, in that order.

    ``None`` when a field is missing from the schema or a field before the
    last wanted one is not flat.
    """
    names = [field["name"] for field in parsed.get("fields", [])]
    if any(name not in names for name in fields):
        return None
    last = max(names.index(name) for name in fields)
    lines = ["def peek(buf):", f"    p = {HEADER_SIZE}"]
    try:
        for field in parsed["fields"][: last + 1]:
            name = field["name"]
            target = f"v_{names.index(name)}" if name in fields else None
            _emit(lines, 1, field["type"], target)
    except _Unsupported:
        return None
    lines.append("    if p > len(buf): raise IndexError('value cut short')")
    lines.append("    return (" + "".join(f"v_{names.index(n)}, " for n in fields) + ")")
    namespace: dict[str, Any] = {"read_long": read_long}
    exec(compile("\n".join(lines), f"<avro peek {parsed.get('name')}>", "exec"), namespace)
    return namespace["peek"]  # type: ignore[no-any-return]


class PeekByWriter:
    """Peeks of encoded values of any writer schema, compiled once per fingerprint.

    ``fields`` names what to read of a writer's records (``None``: nothing,
    e.g. a record kind the caller does not judge).
    """

    def __init__(
        self, schemas: SchemaSet, fields: Callable[[SchemaVersion], Sequence[str] | None]
    ) -> None:
        self._schemas = schemas
        self._fields = fields
        self._peeks: dict[bytes, Peek | None] = {}

    def read(self, value: bytes) -> tuple[Any, ...] | None:
        """The fields of ``value``; ``None`` when its writer has no peek or the value is
        cut short or malformed (the caller's decoder then says what is wrong)."""
        fingerprint = value[2:HEADER_SIZE]
        if fingerprint not in self._peeks:
            self._peeks[fingerprint] = self._compile(fingerprint)
        peek = self._peeks[fingerprint]
        if peek is None:
            return None
        try:
            return peek(value)
        except (IndexError, ValueError, UnicodeDecodeError):
            return None

    def _compile(self, fingerprint: bytes) -> Peek | None:
        version = self._schemas.by_fingerprint(fingerprint)
        fields = self._fields(version) if version is not None else None
        return compile_peek(version.parsed, fields) if version and fields else None


__all__ = ["Peek", "PeekByWriter", "compile_peek"]
