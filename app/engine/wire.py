"""Encoding of the engine's internal topics and table values.

Internal records are Avro too (schemas in ``avro/internal/``), with the same
single-object encoding as the contracts, so that a rolling upgrade can read
what the previous version wrote. They are the workers' business: no other
program reads them, and they are not part of streams.md.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from prometheus_client import Counter

from attrib.avro.codec import AvroCodec, AvroDecodeError

log = logging.getLogger(__name__)

UNREADABLE = Counter(
    "attrib_unreadable_internal_total",
    "Internal records (table values, envelopes) that could not be decoded and were skipped",
    ["record"],
)

#: What an unreadable value of each container record counts as: empty.
EMPTY: dict[str, dict[str, Any]] = {
    "PendingInstalls": {"installs": []},
    "TouchList": {"entries": []},
    "WaitingEvents": {"events": []},
    "LookupBatch": {"lookups": []},
    "CandidateBatch": {"answers": []},
}


@functools.cache
def internal_codec() -> AvroCodec:
    folder = resources.files("attrib.avro").joinpath("internal")
    return AvroCodec(Path(str(folder)))


def encode(name: str, record: dict[str, Any]) -> bytes:
    return internal_codec().encode(name, record)


def decode(data: bytes, name: str) -> dict[str, Any]:
    """Decode an internal record. An unreadable one (corrupt, or written by a
    schema this version does not know) is logged, counted and read as empty:
    one bad value must never stop an agent and with it a whole partition."""
    try:
        return internal_codec().decode(data, expect=name)
    except AvroDecodeError as exc:
        if name not in EMPTY:
            raise
        unreadable(name, exc.reason)
        return copy.deepcopy(EMPTY[name])


def decode_or_none(data: bytes | None, name: str) -> dict[str, Any] | None:
    """Like :func:`decode` for records with no empty form: ``None`` when absent or unreadable."""
    if data is None:
        return None
    try:
        return internal_codec().decode(data, expect=name)
    except AvroDecodeError as exc:
        unreadable(name, exc.reason)
        return None


def decode_named(data: bytes, names: Sequence[str]) -> tuple[str, dict[str, Any]] | None:
    """``(record name, record)`` of an internal record that is one of ``names`` (an
    envelope written by this version or the one before); ``None``, logged and
    counted as the first of ``names``, when it is unreadable or another record."""
    try:
        name, record = internal_codec().decode_named(data)
    except AvroDecodeError as exc:
        unreadable(names[0], exc.reason)
        return None
    if name not in names:
        unreadable(names[0], f"a {name}")
        return None
    return name, record


def unreadable(name: str, reason: str) -> None:
    """Count and log an internal record that is skipped because it cannot be read."""
    UNREADABLE.labels(name).inc()
    log.error(
        "unreadable internal record skipped",
        extra={"fields": {"record": name, "reason": reason}},
    )
