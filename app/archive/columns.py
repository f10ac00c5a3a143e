"""The columns of an archive file: Kafka's own, then the record's fields for analysts.

The Arrow schema of a topic's files follows the newest version of the Avro
record it carries (every older version decodes into it, filling defaults), so
all files of a topic share one schema whatever versions were mixed in them.
Nested Avro types keep their shape (arrays of records as lists of structs,
maps as maps), which ClickHouse reads as ``Array(Tuple)`` and ``Map``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from attrib.archive.layout import META_COLUMNS, RECORD
from attrib.avro.codec import default_codec

_PRIMITIVE = {
    "string": pa.string(),
    "long": pa.int64(),
    "int": pa.int32(),
    "boolean": pa.bool_(),
    "double": pa.float64(),
    "float": pa.float32(),
    "bytes": pa.binary(),
}

_META_TYPES = (pa.int32(), pa.int64(), pa.int64(), pa.binary(), pa.binary())


class UnsupportedAvroType(TypeError):
    """An Avro type the archive has no column type for."""


def arrow_type(avro: Any) -> pa.DataType:
    """The Arrow type of one Avro type (unions with null become nullable columns)."""
    if isinstance(avro, str):
        if avro in _PRIMITIVE:
            return _PRIMITIVE[avro]
        raise UnsupportedAvroType(avro)
    if isinstance(avro, list):
        branches = [b for b in avro if b != "null"]
        if len(branches) != 1:
            raise UnsupportedAvroType(f"union {avro}")
        return arrow_type(branches[0])
    kind = avro.get("type")
    if kind == "record":
        return pa.struct([pa.field(f["name"], arrow_type(f["type"])) for f in avro["fields"]])
    if kind == "array":
        return pa.list_(arrow_type(avro["items"]))
    if kind == "map":
        return pa.map_(pa.string(), arrow_type(avro["values"]))
    if kind == "enum":
        return pa.string()
    if isinstance(kind, (str, list, dict)):
        return arrow_type(kind)
    raise UnsupportedAvroType(str(avro))


@functools.cache
def topic_schema(topic: str) -> pa.Schema:
    """Kafka's columns, then one column per field of the topic's newest record version."""
    record = default_codec().schema(RECORD[topic])
    fields = [pa.field(n, t) for n, t in zip(META_COLUMNS, _META_TYPES, strict=True)]
    fields.extend(pa.field(f["name"], arrow_type(f["type"])) for f in record["fields"])
    return pa.schema(fields)


def record_fields(topic: str) -> list[str]:
    """The decoded columns of ``topic``'s files, in file order."""
    return topic_schema(topic).names[len(META_COLUMNS) :]


@functools.cache
def _record_schema(topic: str) -> pa.Schema:
    schema = topic_schema(topic)
    return pa.schema(list(schema)[len(META_COLUMNS) :])


def build_table(
    topic: str,
    partition: int,
    rows: Sequence[tuple[int, int, bytes | None, bytes | None, dict[str, Any]]],
) -> pa.Table:
    """One file's table from ``(offset, timestamp_ms, key, value, decoded)`` rows."""
    decoded = pa.Table.from_pylist([r[4] for r in rows], schema=_record_schema(topic))
    meta = [
        pa.array([partition] * len(rows), pa.int32()),
        pa.array([r[0] for r in rows], pa.int64()),
        pa.array([r[1] for r in rows], pa.int64()),
        pa.array([r[2] for r in rows], pa.binary()),
        pa.array([r[3] for r in rows], pa.binary()),
    ]
    return pa.Table.from_arrays(meta + decoded.columns, schema=topic_schema(topic))


__all__ = ["UnsupportedAvroType", "arrow_type", "build_table", "record_fields", "topic_schema"]
