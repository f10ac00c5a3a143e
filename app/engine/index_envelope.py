"""The touch-index envelope: the index entries the intake sends to one partition.

An entry is a touch filed under one index key (:mod:`attrib.engine.index`):
``(index key, touch id, touch time, touch, reception time)``, keys and ids as
UTF-8 bytes, the touch in the stored form of :mod:`attrib.engine.stored_touch`,
reception 0 when unknown. The same envelope is the touch index's changelog
record (``tables/touch_index.py``).

Why not an Avro array of records (``TouchIndexBatch``, which this replaced):
writing and reading a record per entry, its strings decoded only to be
encoded again for the RocksDB key, cost 3.5 µs per entry, more than filing
it. ``TouchIndexPack`` holds the entries as one ``bytes`` field, each a fixed
header (three lengths, two times) and its bytes: 0.7 µs per entry both ways.
The Avro header still names the record, so envelopes of either kind are
read (a rolling upgrade, the changelog written before).
"""

from __future__ import annotations

import struct
from typing import Any

from attrib.engine import wire

#: ``(index key, touch id, touch time, touch, reception time or 0)``
IndexEntry = tuple[bytes, bytes, int, bytes, int]

RECORD = "TouchIndexPack"
_HEADER = struct.Struct(">IIIqq")
_HEADER_SIZE = _HEADER.size


def index_entry(
    key: str, touch_id: str, touch_time: int, touch: bytes, received_time: int = 0
) -> IndexEntry:
    """An entry from its fields (the tests', and envelopes written as Avro records)."""
    return key.encode(), touch_id.encode(), touch_time, touch, received_time


def pack(entries: list[IndexEntry]) -> bytes:
    """The ``entries`` field of a ``TouchIndexPack``."""
    header = _HEADER.pack
    parts: list[bytes] = []
    append = parts.append
    for key, touch_id, touch_time, touch, received in entries:
        append(header(len(key), len(touch_id), len(touch), touch_time, received))
        append(key)
        append(touch_id)
        append(touch)
    return b"".join(parts)


def unpack(packed: bytes) -> list[IndexEntry]:
    """The entries of a ``TouchIndexPack``'s ``entries`` field; raises ``ValueError``
    when it does not end exactly after its last entry."""
    entries: list[IndexEntry] = []
    append = entries.append
    header = _HEADER.unpack_from
    size = len(packed)
    at = 0
    try:
        while at < size:
            key_size, id_size, touch_size, touch_time, received = header(packed, at)
            at += _HEADER_SIZE
            id_at = at + key_size
            touch_at = id_at + id_size
            end = touch_at + touch_size
            if end > size:
                raise ValueError("an entry runs past the end")
            append(
                (
                    packed[at:id_at],
                    packed[id_at:touch_at],
                    touch_time,
                    packed[touch_at:end],
                    received,
                )
            )
            at = end
    except struct.error as exc:
        raise ValueError(f"a cut entry header: {exc}") from None
    return entries


def encode(entries: list[IndexEntry]) -> bytes:
    """A ``TouchIndexPack`` envelope of ``entries``."""
    return wire.encode(RECORD, {"entries": pack(entries)})


def encode_records(entries: list[IndexEntry]) -> bytes:
    """A ``TouchIndexBatch`` envelope of ``entries``: what workers before
    ``TouchIndexPack`` read (``ATTRIB_TOUCH_INDEX_ENVELOPE=records``, for the time a
    rolling upgrade from such a version runs old and new workers side by side)."""
    return wire.encode(
        "TouchIndexBatch",
        {
            "entries": [
                {
                    "key": key.decode(),
                    "touch_id": touch_id.decode(),
                    "touch_time": touch_time,
                    "touch": touch,
                    "received_time": received,
                }
                for key, touch_id, touch_time, touch, received in entries
            ]
        },
    )


#: Envelope writers by ``ATTRIB_TOUCH_INDEX_ENVELOPE``.
ENCODERS = {"packed": (RECORD, encode), "records": ("TouchIndexBatch", encode_records)}


def decode(value: bytes) -> list[IndexEntry]:
    """The entries of an envelope, of either record; an unreadable one is counted,
    logged and read as empty (:func:`attrib.engine.wire.decode`): one bad envelope
    must not stop the partition."""
    named = wire.decode_named(value, (RECORD, "TouchIndexBatch"))
    if named is None:
        return []
    name, record = named
    if name == RECORD:
        try:
            return unpack(record["entries"])
        except ValueError as exc:
            wire.unreadable(RECORD, str(exc))
            return []
    return [from_record(entry) for entry in record.get("entries", [])]


def from_record(entry: dict[str, Any]) -> IndexEntry:
    """An entry from a ``TouchIndexEntry`` record (``TouchIndexBatch``'s) or its like."""
    return (
        entry["key"].encode(),
        entry["touch_id"].encode(),
        entry["touch_time"],
        entry["touch"],
        entry.get("received_time") or 0,
    )
