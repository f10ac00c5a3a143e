"""A sink batch: values read since the last commit, sorted by table and writer schema.

Per value the hot path does a header check and a list append, nothing more
(no decoding, no per-value objects beyond aiokafka's own record): at the
rates the sink runs, every microsecond per value is a visible share of the
insert's cost.

Touches and sessions come straight from the input topics: those the worker
refuses (R3 times, unknown apps, :mod:`attrib.admission`) are left out and
counted (``attrib_sink_skipped_total``), so reports count what the worker
counted; the worker keeps their dead letters. The check reads three fields
of the value, not the whole of it (~3 µs a touch).

A value that is not the record its topic carries becomes a dead-letter row in
the same batch, so that it is stored before the offsets after it are
committed. Its ``received_time`` is the Kafka record's timestamp, not the
clock: a replay then writes the very same row. A bad value read from the
dead-letter topic itself is only counted and logged (dead-lettering it again
would loop).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import TopicPartition

from attrib import topics
from attrib.admission import SinkAdmission
from attrib.analytics.framing import check_value
from attrib.analytics.metrics import SINK_ERRORS, SINK_SKIPPED
from attrib.analytics.targets import ADMITTED_TABLES, DEAD_LETTERS, TableTarget
from attrib.analytics.writer import MadeValue, Rejection, Value
from attrib.avro import records
from attrib.avro.codec import AvroCodec, AvroDecodeError
from attrib.deadletter import dead_letter_record
from attrib.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """table -> writer fingerprint -> values, and the offsets to commit once all are stored."""

    groups: dict[str, dict[bytes, list[Value]]] = field(default_factory=dict)
    next_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    size: int = 0

    def add(self, table: str, fingerprint: bytes, value: Value) -> None:
        self.groups.setdefault(table, {}).setdefault(fingerprint, []).append(value)

    def rows(self, table: str) -> int:
        return sum(len(values) for values in self.groups.get(table, {}).values())

    def __bool__(self) -> bool:
        return bool(self.next_offsets)


class BatchAssembler:
    """Sorts read values into a :class:`Batch` and turns bad ones into dead-letter rows."""

    def __init__(
        self,
        settings: Settings,
        targets: dict[str, TableTarget],
        codec: AvroCodec,
        admission: SinkAdmission | None = None,
    ) -> None:
        self._targets = targets
        self._codec = codec
        self._admission = admission
        self._dead_letter_topic = settings.topic(topics.DEAD_LETTER)

    def add(self, batch: Batch, tp: TopicPartition, messages: Sequence[Value]) -> None:
        """Add what one ``getmany`` returned for one partition."""
        target = self._targets[tp.topic]
        table, expect, schemas = target.table, target.record, self._codec.schemas
        groups = batch.groups.setdefault(table, {})
        admission = self._admission if table in ADMITTED_TABLES else None
        last: bytes | None = None
        group: list[Value] = []
        for message in messages:
            checked = check_value(message.value, expect, schemas)
            if isinstance(checked, AvroDecodeError):
                self.reject(batch, table, Rejection(message, checked.reason, checked.detail))
                continue
            if admission is not None:
                # the record's timestamp, not the clock: a replay skips the same values
                refusal = admission.refusal(message.value, message.timestamp)
                if refusal is not None:
                    SINK_SKIPPED.labels(table, refusal.reason).inc()
                    continue
            if checked != last:
                group = groups.setdefault(checked, [])
                last = checked
            group.append(message)
        batch.size += len(messages)
        batch.next_offsets[tp] = messages[-1].offset + 1

    def reject(self, batch: Batch, table: str, rejection: Rejection) -> None:
        """Count and log a value that cannot be stored in ``table``; keep it as a dead letter."""
        log_rejection(table, rejection)
        source = rejection.source
        if source.topic == self._dead_letter_topic:
            return
        record = dead_letter_record(
            source.topic,
            source.partition,
            source.offset,
            rejection.reason,
            source.value,
            source.key,
            received_time_ms=source.timestamp,
            detail=rejection.detail,
        )
        value = self._codec.encode(records.DEAD_LETTER, record)
        made = MadeValue(
            source.topic, source.partition, source.offset, source.timestamp, source.key, value
        )
        batch.add(DEAD_LETTERS, value[2:10], made)


def log_rejection(table: str, rejection: Rejection) -> None:
    """Count and log a value that cannot be stored."""
    source = rejection.source
    SINK_ERRORS.labels(table, rejection.reason).inc()
    log.warning(
        "sink: %s[%d]@%d cannot be stored in %s: %s: %s",
        source.topic,
        source.partition,
        source.offset,
        table,
        rejection.reason,
        rejection.detail,
    )
