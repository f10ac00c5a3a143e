"""The intake: every input record checked once, then routed to its partition's envelope.

The worker reads the five input topics in bulk (``agents/intake.py``) and
hands each batch to :func:`route`:

- a record that cannot be judged goes to ``dead-letter`` with the reason:
  undecodable, event time outside R3's bounds (``invalid_time``), an app no
  configuration names (``unknown_app``, R22) — both judged by
  :mod:`attrib.admission`, which the ClickHouse sink shares — and an in-app
  event with bad money (``invalid_event``);
- a touch becomes one entry per index key, in ``TouchIndexPack`` envelopes
  (:mod:`attrib.engine.index_envelope`) on ``touch-index`` (each to its key's
  partition);
- an install, session or event becomes a ``DeviceInputBatch`` entry on
  ``device-inputs``, on the partition of its device (``app_id|device_key``).

Routing by the record's content, never by the partition it was read from,
is the partition guard of streams.md: a producer with another partitioner
cannot make a known device look new.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from attrib.admission import TIME_FIELD, input_refusal
from attrib.avro import codec
from attrib.avro.codec import AvroDecodeError
from attrib.config import AppConfig
from attrib.deadletter import dead_letter_record
from attrib.engine import index_envelope
from attrib.engine.activity import event_problem
from attrib.engine.convert import touch_record_index_keys
from attrib.engine.index_envelope import IndexEntry
from attrib.engine.outbox import Outbox
from attrib.engine.partitioning import partition_for
from attrib.engine.stored_touch import strip
from attrib.engine.topics import EngineTopics
from attrib.keys import device_record_key

TOUCH = "touch"
INSTALL = "install"
SESSION = "session"
EVENT = "event"

_EXPECT = {TOUCH: "Touch", INSTALL: "Install", SESSION: "Session", EVENT: "InAppEvent"}


@dataclass(slots=True)
class InputRecord:
    """One record as read: where from, and its raw key and value."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(slots=True)
class IntakeCounts:
    device_inputs: int = 0
    refused: int = 0
    #: Device records read on another partition than their key's (a producer with
    #: another partitioner): routed to the right one all the same.
    misplaced: int = 0


def kind_of_topic(topics: EngineTopics) -> dict[str, str]:
    return {
        topics.clicks: TOUCH,
        topics.impressions: TOUCH,
        topics.installs: INSTALL,
        topics.sessions: SESSION,
        topics.events: EVENT,
    }


def add_index_entries(
    index: dict[int, list[IndexEntry]],
    raw: bytes,
    touch: dict[str, Any],
    received: int,
    partitions: int,
) -> None:
    """Add a touch's entries to ``index``, one per index key, under its key's partition:
    the touch in its stored form (``raw``, the record's bytes; ``touch``, its fields)."""
    touch_id, touch_time = touch["touch_id"], touch["touch_time"]
    stored = strip(raw, touch_id, touch_time, received)
    touch_key = touch_id.encode()
    for key in touch_record_index_keys(touch):
        index_key = key.encode()
        index[partition_for(index_key, partitions)].append(
            (index_key, touch_key, touch_time, stored, received)
        )


def route(
    records: Sequence[InputRecord],
    *,
    topics: EngineTopics,
    configs: Callable[[str], AppConfig | None],
    now_ms: int,
    outbox: Outbox,
    envelope: str = "packed",
) -> IntakeCounts:
    """Check and route ``records`` (any mix of input topics) into ``outbox``; touch-index
    envelopes are written as ``envelope`` says (``ATTRIB_TOUCH_INDEX_ENVELOPE``)."""
    kinds = kind_of_topic(topics)

    def known_app(app_id: str) -> bool:
        return configs(app_id) is not None

    counts = IntakeCounts()
    by_kind: dict[str, list[InputRecord]] = defaultdict(list)
    for record in records:
        by_kind[kinds[record.topic]].append(record)
    index: dict[int, list[IndexEntry]] = defaultdict(list)
    device: dict[int, list[dict[str, Any]]] = defaultdict(list)
    partitions = topics.partitions

    def refuse(record: InputRecord, reason: str, detail: str) -> None:
        counts.refused += 1
        letter = dead_letter_record(
            record.topic,
            record.partition,
            record.offset,
            reason,
            record.value,
            record.key,
            received_time_ms=now_ms,
            detail=detail,
        )
        outbox.add(topics.dead_letter, None, codec.encode("DeadLetter", letter))

    for kind, batch in by_kind.items():
        decoded = codec.try_decode_many([r.value or b"" for r in batch], expect=_EXPECT[kind])
        time_field = TIME_FIELD[_EXPECT[kind]]
        for record, value in zip(batch, decoded, strict=True):
            if isinstance(value, AvroDecodeError):
                refuse(record, value.reason, str(value))
                continue
            app_id = value["app_id"]
            refusal = input_refusal(
                app_id, value[time_field], value["received_time"] or now_ms, known_app
            )
            if refusal is not None:
                refuse(record, refusal.reason, refusal.detail)
                continue
            if kind == EVENT:
                problem = event_problem(value)
                if problem is not None:
                    refuse(record, "invalid_event", problem)
                    continue
            if kind == TOUCH:
                add_index_entries(
                    index, record.value, value, value["received_time"] or now_ms, partitions
                )
            else:
                counts.device_inputs += 1
                key = device_record_key(app_id, value["device_key"])
                partition = partition_for(key, partitions)
                if partition != record.partition:
                    counts.misplaced += 1
                device[partition].append(
                    {"kind": kind, "value": record.value, "arrived_ms": now_ms}
                )
    record, encode = index_envelope.ENCODERS[envelope]
    outbox.encoded_envelopes(topics.touch_index, record, dict(index), encode)
    outbox.envelopes(topics.device_inputs, "DeviceInputBatch", "inputs", dict(device))
    return counts
