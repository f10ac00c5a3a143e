"""Single-object values re-framed as Avro containers, and the header check before it."""

from __future__ import annotations

import io

import fastavro
import pytest
from analytics_helpers import session, touch

from attrib.analytics.framing import ContainerFramer, check_value, zigzag_varint
from attrib.analytics.targets import SESSIONS, TARGETS
from attrib.avro import records
from attrib.avro.codec import AvroDecodeError, default_codec

CODEC = default_codec()


@pytest.mark.parametrize(
    ("n", "encoded"),
    [
        (0, b"\x00"),
        (-1, b"\x01"),
        (1, b"\x02"),
        (63, b"\x7e"),
        (64, b"\x80\x01"),
        (300, b"\xd8\x04"),
    ],
)
def test_zigzag_varint_is_avro_long_encoding(n: int, encoded: bytes) -> None:
    assert zigzag_varint(n) == encoded


def test_a_container_reads_back_as_the_records_with_the_table_names() -> None:
    launches = [session(f"s{i}", i, "2025-03-02 12:00") for i in range(3)]
    values = CODEC.encode_many(records.SESSION, launches)
    framer = ContainerFramer(CODEC.schemas, TARGETS[SESSIONS].renames)

    body = framer.frame(values[0][2:10], values)

    read = list(fastavro.reader(io.BytesIO(body)))
    assert [r["session_time"] for r in read] == [s["event_time"] for s in launches]
    assert [r["event_id"] for r in read] == ["s0", "s1", "s2"]
    assert "event_time" not in read[0]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, AvroDecodeError.TOO_SHORT),
        (b"\xc3\x01\x00", AvroDecodeError.TOO_SHORT),
        (b'{"json": "not avro"}', AvroDecodeError.BAD_MARKER),
        (b"\xc3\x01" + b"\xff" * 8 + b"body", AvroDecodeError.UNKNOWN_SCHEMA),
        (CODEC.encode(records.SESSION, session("s", 1, "2025-03-02 12:00")), "unexpected_record"),
    ],
)
def test_the_header_check_names_the_codec_reason(value: bytes | None, reason: str) -> None:
    checked = check_value(value, records.TOUCH, CODEC.schemas)
    assert isinstance(checked, AvroDecodeError)
    assert checked.reason == reason


def test_the_header_check_returns_the_writer_fingerprint() -> None:
    value = CODEC.encode(records.TOUCH, touch("t1", "2025-03-01 10:00"))
    assert check_value(value, records.TOUCH, CODEC.schemas) == CODEC.fingerprint(records.TOUCH)
