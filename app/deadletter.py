"""Dead letters: input records that could not be decoded or validated (streams.md).

A worker that meets such a record writes a ``DeadLetter`` (topic, partition,
offset, reason, the raw bytes) to the ``dead-letter`` topic and goes on with
the next record; one bad producer must not stop a partition.

Raw bytes are truncated to :data:`MAX_RAW_BYTES` so that a dead letter always
fits in a Kafka message whatever arrived (the original length is kept in
``raw_size``). The record has no key: dead letters are not grouped by device,
and a key would only skew partitions towards the worst offender.

``reason`` is a short machine code (``bad_marker``, ``timestamp_out_of_range``,
...) that dashboards and the ``attrib_dead_letters_total{reason}`` counter
group by; the human explanation goes to ``detail``.
"""

from __future__ import annotations

import re
import time
from typing import Any, Protocol

from prometheus_client import Counter

from attrib import topics
from attrib.avro import records
from attrib.avro.codec import AvroCodec, AvroDecodeError, default_codec
from attrib.settings import Settings

MAX_RAW_BYTES = 64 * 1024
MAX_DETAIL_CHARS = 1024
_REASON = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")

DEAD_LETTERS = Counter(
    "attrib_dead_letters",
    "Input records written to the dead-letter topic, by reason.",
    ["reason"],
)


def dead_letter_record(
    topic: str,
    partition: int,
    offset: int,
    reason: str,
    raw_value: bytes | None,
    raw_key: bytes | None,
    received_time_ms: int | None = None,
    *,
    detail: str | None = None,
) -> dict[str, Any]:
    """A ``DeadLetter`` record (dict) with the raw bytes truncated.

    ``reason`` must be a short lowercase code (``[a-z][a-z0-9_.:-]``, at most
    64 characters); ``detail`` is cut to 1,024 characters. ``received_time_ms``
    defaults to now.
    """
    if not _REASON.match(reason):
        raise ValueError(f"dead-letter reason must be a short lowercase code, got {reason!r}")
    if detail is not None and len(detail) > MAX_DETAIL_CHARS:
        detail = detail[: MAX_DETAIL_CHARS - 1] + "…"
    return {
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "reason": reason,
        "detail": detail,
        "received_time": time.time_ns() // 1_000_000
        if received_time_ms is None
        else received_time_ms,
        "raw": None if raw_value is None else bytes(raw_value[:MAX_RAW_BYTES]),
        "raw_size": 0 if raw_value is None else len(raw_value),
        "key": None if raw_key is None else bytes(raw_key[:MAX_RAW_BYTES]),
    }


class _Producer(Protocol):
    """What the writer needs of a producer (aiokafka's ``AIOKafkaProducer`` fits)."""

    async def send_and_wait(
        self, topic: str, value: bytes | None = None, key: bytes | None = None
    ) -> Any: ...


class DeadLetterWriter:
    """Writes encoded ``DeadLetter`` records to the deployment's dead-letter topic.

    ``send`` returns once the broker acknowledged the record, so a worker that
    commits the bad record's offset afterwards never loses the dead letter.
    The producer is the caller's: it is neither started nor stopped here.
    """

    def __init__(
        self, producer: _Producer, settings: Settings, *, codec: AvroCodec | None = None
    ) -> None:
        self.producer = producer
        self.topic = settings.topic(topics.DEAD_LETTER)
        self.codec = codec or default_codec()

    async def send(
        self,
        topic: str,
        partition: int,
        offset: int,
        reason: str,
        raw_value: bytes | None,
        raw_key: bytes | None,
        received_time_ms: int | None = None,
        *,
        detail: str | None = None,
    ) -> dict[str, Any]:
        """Write one dead letter; return the record written."""
        record = dead_letter_record(
            topic, partition, offset, reason, raw_value, raw_key, received_time_ms, detail=detail
        )
        value = self.codec.encode(records.DEAD_LETTER, record)
        await self.producer.send_and_wait(self.topic, value=value, key=None)
        DEAD_LETTERS.labels(reason=reason).inc()
        return record

    async def send_decode_error(
        self,
        topic: str,
        partition: int,
        offset: int,
        error: AvroDecodeError,
        raw_value: bytes | None,
        raw_key: bytes | None,
    ) -> dict[str, Any]:
        """Dead-letter a value the Avro codec refused, with the codec's reason."""
        return await self.send(
            topic, partition, offset, error.reason, raw_value, raw_key, detail=error.detail
        )
