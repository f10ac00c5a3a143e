"""Where the archive keeps what: the layout contract shared by writer, replay and ClickHouse.

Data files::

    <root>/topic=T/app_id=A/date=YYYY-MM-DD/hour=HH/<partition>-<first>-<last>.parquet

``T`` is the topic's short name (streams.md, without the deployment's
prefix); date and hour are the record's *event* time in UTC (the field in
:data:`EVENT_TIME_FIELD`). ``first`` and ``last`` are the offsets of the
flush that wrote the file (one flush covers a contiguous offset range of one
Kafka partition and writes one file per app, date and hour it met), so file
names never collide and say where their records came from.

Bookkeeping, beside the data and outside every ``topic=`` glob::

    <root>/_manifest/topic=T/partition=P/<first>.json          a finished flush
    <root>/_manifest/topic=T/partition=P/<first>.intent.json   a flush under way

``first`` is zero-padded to 20 digits, so that names sort as offsets do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from attrib.topics import (
    ATTRIBUTED_EVENTS,
    ATTRIBUTIONS,
    CLICKS,
    DEAD_LETTER,
    EVENTS,
    IMPRESSIONS,
    INSTALLS,
    POSTBACK_DELIVERIES,
    REENGAGEMENTS,
    SESSIONS,
)

#: Topic (short name) -> the Avro record it carries.
RECORD: Final = {
    CLICKS: "Touch",
    IMPRESSIONS: "Touch",
    INSTALLS: "Install",
    SESSIONS: "Session",
    EVENTS: "InAppEvent",
    ATTRIBUTIONS: "Attribution",
    REENGAGEMENTS: "Reengagement",
    ATTRIBUTED_EVENTS: "AttributedEvent",
    POSTBACK_DELIVERIES: "PostbackDelivery",
    DEAD_LETTER: "DeadLetter",
}

#: Topic (short name) -> the field holding the record's event time (epoch ms).
EVENT_TIME_FIELD: Final = {
    CLICKS: "touch_time",
    IMPRESSIONS: "touch_time",
    INSTALLS: "event_time",
    SESSIONS: "event_time",
    EVENTS: "event_time",
    ATTRIBUTIONS: "install_time",
    REENGAGEMENTS: "reengagement_time",
    ATTRIBUTED_EVENTS: "event_time",
    POSTBACK_DELIVERIES: "attempted_at",
    DEAD_LETTER: "received_time",
}

#: Every topic the archive keeps: the inputs and the outputs of streams.md.
ARCHIVED_TOPICS: Final = tuple(RECORD)

#: The app folder of a record without a readable app id (undecodable bytes, most dead letters).
NO_APP: Final = "_none"

#: Kafka's own columns, first in every file; the record's decoded fields follow.
META_COLUMNS: Final = ("_partition", "_offset", "_timestamp_ms", "_key", "_value")

MANIFEST_DIR: Final = "_manifest"


def hour_folder(topic: str, app_id: str, event_ms: int) -> str:
    """``topic=T/app_id=A/date=D/hour=H`` of a record with event time ``event_ms``."""
    at = datetime.fromtimestamp(event_ms / 1000, UTC)
    return f"topic={topic}/app_id={app_id}/date={at:%Y-%m-%d}/hour={at:%H}"


def file_name(partition: int, first: int, last: int) -> str:
    return f"{partition}-{first}-{last}.parquet"


def manifest_folder(topic: str, partition: int) -> str:
    return f"{MANIFEST_DIR}/topic={topic}/partition={partition}"


def manifest_path(topic: str, partition: int, first: int) -> str:
    """The finished flush of ``topic``'s ``partition`` that starts at offset ``first``."""
    return f"{manifest_folder(topic, partition)}/{first:020d}.json"


def intent_path(topic: str, partition: int, first: int) -> str:
    """The flush under way (or cut short) that starts at offset ``first``."""
    return f"{manifest_folder(topic, partition)}/{first:020d}.intent.json"


__all__ = [
    "ARCHIVED_TOPICS",
    "EVENT_TIME_FIELD",
    "META_COLUMNS",
    "NO_APP",
    "RECORD",
    "file_name",
    "hour_folder",
    "intent_path",
    "manifest_path",
]
