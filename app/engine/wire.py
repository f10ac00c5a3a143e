"""Encoding of the engine's internal topics and table values.

Internal records are Avro too (schemas in ``avro/internal/``), with the same
single-object encoding as the contracts, so that a rolling upgrade can read
what the previous version wrote. They are the workers' business: no other
program reads them, and they are not part of streams.md.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

from attrib.avro.codec import AvroCodec


@functools.cache
def internal_codec() -> AvroCodec:
    folder = resources.files("attrib.avro").joinpath("internal")
    return AvroCodec(Path(str(folder)))


def encode(name: str, record: dict[str, Any]) -> bytes:
    return internal_codec().encode(name, record)


def decode(data: bytes, name: str) -> dict[str, Any]:
    return internal_codec().decode(data, expect=name)
