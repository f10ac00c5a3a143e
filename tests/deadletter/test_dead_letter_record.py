"""The DeadLetter record builder."""

from __future__ import annotations

import time

import pytest

from attrib.avro import codec
from attrib.deadletter import MAX_RAW_BYTES, dead_letter_record


def test_record_carries_origin_reason_and_bytes() -> None:
    record = dead_letter_record(
        "attrib.clicks", 3, 1234, "bad_marker", b"{}", b"k", 1_764_000_000_000, detail="json"
    )
    assert record == {
        "topic": "attrib.clicks",
        "partition": 3,
        "offset": 1234,
        "reason": "bad_marker",
        "detail": "json",
        "received_time": 1_764_000_000_000,
        "raw": b"{}",
        "raw_size": 2,
        "key": b"k",
    }
    assert codec.decode(codec.encode("DeadLetter", record)) == record


def test_raw_bytes_are_truncated_but_their_size_kept() -> None:
    raw = bytes(range(256)) * 1024  # 256 KiB
    record = dead_letter_record("t", 0, 0, "too_large", raw, raw)
    assert record["raw"] == raw[:MAX_RAW_BYTES]
    assert len(record["key"]) == MAX_RAW_BYTES
    assert record["raw_size"] == len(raw)


def test_tombstones_and_missing_keys_are_null() -> None:
    record = dead_letter_record("t", 0, 0, "tombstone", None, None)
    assert (record["raw"], record["raw_size"], record["key"]) == (None, 0, None)
    assert codec.decode(codec.encode("DeadLetter", record))["raw"] is None


def test_received_time_defaults_to_now() -> None:
    before = time.time_ns() // 1_000_000
    record = dead_letter_record("t", 0, 0, "x", b"", None)
    assert before <= record["received_time"] <= time.time_ns() // 1_000_000


def test_detail_is_bounded() -> None:
    record = dead_letter_record("t", 0, 0, "x", b"", None, detail="e" * 5000)
    assert len(record["detail"]) == 1024
    assert record["detail"].endswith("…")


@pytest.mark.parametrize("reason", ["", "Bad Marker", "bad marker", "x" * 65, "1abc"])
def test_reason_must_be_a_short_code(reason: str) -> None:
    with pytest.raises(ValueError, match="short lowercase code"):
        dead_letter_record("t", 0, 0, reason, b"", None)
