"""A touch as the touch index stores it: the input record less what its entry key holds.

Every index entry holds its touch (a touch is filed under about two keys,
:mod:`attrib.engine.index`). The touch's id and event time are already in the
entry's key and its reception time in the value's first 8 bytes
(:mod:`attrib.engine.touch_store`), so the stored record leaves those three fields
out. They were 18 of the 91 bytes on disk per indexed touch of ``bench/engine.py``:
an id and two times barely compress, and ZSTD does not see that the key's
big-endian time and the record's zig-zag varint are the same number.

:func:`strip` cuts them out of the record's bytes, :func:`restore` puts them back
byte for byte, so the decisions read exactly the record the collector wrote, and
neither decodes nor encodes Avro. The cut relies on the layout of the ``Touch``
versions: ``touch_id`` first, ``touch_time`` and ``received_time`` last, which
:data:`STRIPPABLE` checks for each version (a version without it is stored whole).

Stored form: :data:`STRIPPED`, the record's 10-byte Avro header, then the record's
bytes between its first field and its last two. A record that cannot be cut
exactly (another layout, a reception time the entry does not carry, a negative
event time, which the entry key does not hold) is stored whole: it starts with
Avro's marker byte ``0xC3``, never :data:`STRIPPED`, and so do values stored
before this form existed.
"""

from __future__ import annotations

from attrib.avro.codec import MARKER, default_codec
from attrib.avro.codec import long_bytes as _zigzag

#: First byte of a stripped touch (a whole Avro single-object record starts with 0xC3).
STRIPPED = b"\x01"
#: Avro single-object header: the 2-byte marker and the schema's 8-byte fingerprint.
HEADER_SIZE = 10


def _strippable_headers() -> frozenset[bytes]:
    """Headers of the ``Touch`` versions laid out as :func:`strip` expects."""
    headers = set()
    avro = default_codec()
    for version in avro.versions("Touch"):
        fields = [(f["name"], f["type"]) for f in avro.schema("Touch", version)["fields"]]
        if (
            len(fields) > 3
            and fields[0] == ("touch_id", "string")
            and fields[-2:] == [("touch_time", "long"), ("received_time", "long")]
        ):
            headers.add(MARKER + avro.fingerprint("Touch", version))
    return frozenset(headers)


STRIPPABLE = _strippable_headers()


def strip(raw: bytes, touch_id: str, touch_time: int, received_time: int) -> bytes:
    """The stored form of a ``Touch`` record's bytes (``raw`` itself when it cannot be
    cut exactly: see the module)."""
    header = raw[:HEADER_SIZE]
    if header not in STRIPPABLE or touch_time < 0:
        return raw
    tid = touch_id.encode()
    head = _zigzag(len(tid)) + tid
    tail = _zigzag(touch_time) + _zigzag(received_time)
    start, end = HEADER_SIZE + len(head), len(raw) - len(tail)
    if end < start or not raw.startswith(head, HEADER_SIZE) or not raw.endswith(tail):
        return raw
    return b"".join((STRIPPED, header, raw[start:end]))


def restore(stored: bytes, touch_id: bytes, touch_time: int, received_time: int) -> bytes:
    """The record's bytes again, from its stored form and what its entry holds."""
    if stored[:1] != STRIPPED:
        return stored
    return b"".join(
        (
            stored[1 : 1 + HEADER_SIZE],
            _zigzag(len(touch_id)),
            touch_id,
            stored[1 + HEADER_SIZE :],
            _zigzag(touch_time),
            _zigzag(received_time),
        )
    )
