"""What one processing step wants written to Kafka, gathered before anything is sent.

The engine's processors are synchronous: they read and write tables through
the state layer (:mod:`attrib.tables.state`) and put every record they want
produced into an :class:`Outbox`. The agent then sends the outbox and
commits the tables (:func:`attrib.engine.sender.commit_batch`), so a batch
of a thousand records costs one round of acknowledgements, and tests can run
the processors without a broker (``tests/engine/driver.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from attrib.engine import wire
from attrib.engine.batching import encoded_chunks

T = TypeVar("T")

#: Encoded bytes per entry of each envelope record, as last seen: a list of entries
#: too large for one envelope is cut before it is encoded (``encoded_chunks``).
_BYTES_PER_ENTRY: dict[str, float] = {}


@dataclass(slots=True)
class OutRecord:
    topic: str
    key: bytes | None
    value: bytes | None
    partition: int | None = None
    #: Told the record's offset once Kafka acknowledged it (a changelog's table).
    ack: Any = None


@dataclass(slots=True)
class Outbox:
    records: list[OutRecord] = field(default_factory=list)

    def add(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        ack: Any = None,
    ) -> None:
        self.records.append(OutRecord(topic, key, value, partition, ack))

    def envelopes(
        self,
        topic: str,
        record: str,
        field_name: str,
        grouped: dict[int, list[dict[str, Any]]],
        **extra: object,
    ) -> int:
        """Add ``grouped`` entries as ``record`` envelopes (entries under ``field_name``),
        one or more per partition, each below the envelope size bound. Returns how many."""
        return self.encoded_envelopes(
            topic, record, grouped, lambda chunk: wire.encode(record, {field_name: chunk, **extra})
        )

    def encoded_envelopes(
        self,
        topic: str,
        record: str,
        grouped: dict[int, list[T]],
        encode: Callable[[list[T]], bytes],
    ) -> int:
        """Add ``grouped`` entries as envelopes ``encode`` writes (``record`` names them for
        the size last seen), one or more per partition, each below the envelope size
        bound. Returns how many."""
        added = 0
        per_entry = _BYTES_PER_ENTRY.get(record, 0.0)
        for partition, entries in grouped.items():
            size = 0
            for value in encoded_chunks(entries, encode, bytes_per_entry=per_entry):
                self.add(topic, None, value, partition)
                size += len(value)
                added += 1
            if entries:
                per_entry = size / len(entries)
        _BYTES_PER_ENTRY[record] = per_entry
        return added

    def __len__(self) -> int:
        return len(self.records)

    def by_topic(self, topic: str) -> list[OutRecord]:
        return [r for r in self.records if r.topic == topic]
