"""The worker's Faust topics: inputs and outputs of streams.md, and the
internal repartition topics of the attribution join (docs/architecture.md).

Every value is raw bytes (single-object Avro, decoded by the agents in
batches); keys are raw bytes (:mod:`attrib.keys`). Internal topics are sent
to explicit partitions (:func:`attrib.engine.partitioning.partition_for`),
the partition Kafka's default partitioner gives their key, so each one is
co-partitioned with the tables its consumer reads.
"""

from __future__ import annotations

import logging
import time
import weakref

import faust
from faust.streams import _current_event

from attrib import topics
from attrib.avro import codec
from attrib.deadletter import dead_letter_record
from attrib.faust_app import LARGE_RECORDS, app, settings

log = logging.getLogger(__name__)

_PARTITIONS = settings.topic_partitions


def _input(name: str) -> faust.TopicT:
    return app.topic(
        settings.topic(name), key_serializer="raw", value_serializer="raw", internal=False
    )


def _internal(name: str) -> faust.TopicT:
    return app.topic(
        f"{settings.faust_app_id}-{name}",
        partitions=_PARTITIONS,
        key_serializer="raw",
        value_serializer="raw",
        internal=True,
        config=LARGE_RECORDS,
    )


clicks = _input(topics.CLICKS)
impressions = _input(topics.IMPRESSIONS)
installs = _input(topics.INSTALLS)
sessions = _input(topics.SESSIONS)
events = _input(topics.EVENTS)
#: Both touch topics feed one agent.
touches_in = app.topic(
    settings.topic(topics.CLICKS),
    settings.topic(topics.IMPRESSIONS),
    key_serializer="raw",
    value_serializer="raw",
)
attributions = _input(topics.ATTRIBUTIONS)
reengagements = _input(topics.REENGAGEMENTS)
attributed_events = _input(topics.ATTRIBUTED_EVENTS)
dead_letter = _input(topics.DEAD_LETTER)

touch_index = _internal("touch-index")
touch_lookup = _internal("touch-lookup")
install_candidates = _internal("install-candidates")
conversion_updates = _internal("conversion-updates")


async def send_dead_letter(
    message: faust.types.Message, reason: str, detail: str | None = None
) -> None:
    """Record an input that cannot be used (streams.md): the agent goes on."""
    record = dead_letter_record(
        message.topic,
        message.partition,
        message.offset,
        reason,
        message.value if isinstance(message.value, bytes) else None,
        message.key if isinstance(message.key, bytes) else None,
        received_time_ms=int(time.time() * 1000),
        detail=detail,
    )
    log.warning(
        "dead letter",
        extra={"fields": {"topic": message.topic, "offset": message.offset, "reason": reason}},
    )
    await dead_letter.send(value=codec.encode("DeadLetter", record))


def bind_event(event: faust.types.EventT) -> None:
    """Make ``event`` the current event of this task for table operations.

    Faust tables write to the partition of the current event. An agent that
    takes a batch (``take_events``) processes events outside Faust's per-event
    iteration, so it names the event each table operation belongs to. Only the
    task's context variable is set, never ``stream.current_event``, which the
    take buffer reads concurrently to track acknowledgements.
    """
    _current_event.set(weakref.ref(event))


async def send_envelopes(
    topic: faust.TopicT,
    record: str,
    field: str,
    grouped: dict[int, list[dict]],
    **extra: object,
) -> int:
    """Send ``grouped`` entries as ``record`` envelopes (entries under ``field``), one or
    more per partition, each below :data:`attrib.engine.batching.MAX_ENVELOPE_BYTES`.
    Returns the number of envelopes sent."""
    from attrib.engine import wire
    from attrib.engine.batching import approx_size, chunked

    sent = 0
    for partition, entries in grouped.items():
        for chunk in chunked(entries, approx_size):
            await topic.send(
                value=wire.encode(record, {field: chunk, **extra}), partition=partition
            )
            sent += 1
    return sent
