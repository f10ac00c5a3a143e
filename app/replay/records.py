"""One archived Kafka record and the event time the archive files it under.

The archive (``attrib archive``'s layout contract, docs/replay.md) partitions
files by the record's *event* time, and replay orders by it (R1: decisions
are a pure function of event-time data), so both ask :func:`event_time`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The input topics replay re-decides, and the Avro record each carries.
INPUT_TOPICS = ("clicks", "impressions", "installs", "sessions", "events")
#: Topic -> the field holding its event time.
_TIME_FIELD = {
    "clicks": "touch_time",
    "impressions": "touch_time",
    "installs": "event_time",
    "sessions": "event_time",
    "events": "event_time",
    "attributions": "install_time",
    "attributed-events": "event_time",
    "reengagements": "reengagement_time",
}


@dataclass(frozen=True, slots=True)
class ArchivedRecord:
    """A Kafka record as the archive keeps it: ``value`` is the original single-object Avro."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes


def event_time(topic: str, record: dict[str, Any]) -> int:
    """The event time (epoch ms) of a decoded record of ``topic``."""
    try:
        return int(record[_TIME_FIELD[topic]])
    except KeyError:
        raise ValueError(f"no event time known for topic {topic!r}") from None


__all__ = ["INPUT_TOPICS", "ArchivedRecord", "event_time"]
