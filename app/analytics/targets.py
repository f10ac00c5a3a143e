"""Which topic fills which ClickHouse table (analytics.md), and under which names.

Table columns carry the record's field names, with one exception: the
``sessions`` table calls the Session record's ``event_time``
``session_time``. Fields of a record that its table does not name (the
session's identifiers, a touch's lookback overrides, a dead letter's key)
are not stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from attrib import topics
from attrib.avro import records
from attrib.settings import Settings

TOUCHES = "touches"
ATTRIBUTIONS = "attributions"
REENGAGEMENTS = "reengagements"
SESSIONS = "sessions"
ATTRIBUTED_EVENTS = "attributed_events"
POSTBACK_DELIVERIES = "postback_deliveries"
DEAD_LETTERS = "dead_letters"

TABLES = (
    TOUCHES,
    ATTRIBUTIONS,
    REENGAGEMENTS,
    SESSIONS,
    ATTRIBUTED_EVENTS,
    POSTBACK_DELIVERIES,
    DEAD_LETTERS,
)


@dataclass(frozen=True)
class TableTarget:
    """One table fed by the sink: its record and the fields renamed on the way."""

    table: str
    record: str
    renames: Mapping[str, str] = field(default_factory=dict)


TARGETS: dict[str, TableTarget] = {
    TOUCHES: TableTarget(TOUCHES, records.TOUCH),
    ATTRIBUTIONS: TableTarget(ATTRIBUTIONS, records.ATTRIBUTION),
    REENGAGEMENTS: TableTarget(REENGAGEMENTS, records.REENGAGEMENT),
    SESSIONS: TableTarget(SESSIONS, records.SESSION, {"event_time": "session_time"}),
    ATTRIBUTED_EVENTS: TableTarget(ATTRIBUTED_EVENTS, records.ATTRIBUTED_EVENT),
    POSTBACK_DELIVERIES: TableTarget(POSTBACK_DELIVERIES, records.POSTBACK_DELIVERY),
    DEAD_LETTERS: TableTarget(DEAD_LETTERS, records.DEAD_LETTER),
}

#: Tables filled from input topics: only the records the worker accepts go in.
ADMITTED_TABLES = frozenset({TOUCHES, SESSIONS})

#: topic short name (attrib.topics) -> table
TOPIC_TABLES: dict[str, str] = {
    topics.CLICKS: TOUCHES,
    topics.IMPRESSIONS: TOUCHES,
    topics.SESSIONS: SESSIONS,
    topics.ATTRIBUTIONS: ATTRIBUTIONS,
    topics.REENGAGEMENTS: REENGAGEMENTS,
    topics.ATTRIBUTED_EVENTS: ATTRIBUTED_EVENTS,
    topics.POSTBACK_DELIVERIES: POSTBACK_DELIVERIES,
    topics.DEAD_LETTER: DEAD_LETTERS,
}


def topic_targets(
    settings: Settings, short_names: Iterable[str] | None = None
) -> dict[str, TableTarget]:
    """Full topic name -> its table, for every sunk topic (or the ``short_names`` given)."""
    wanted = list(TOPIC_TABLES) if short_names is None else list(short_names)
    unknown = [name for name in wanted if name not in TOPIC_TABLES]
    if unknown:
        raise ValueError(f"no ClickHouse table for topic(s) {', '.join(unknown)}")
    return {settings.topic(name): TARGETS[TOPIC_TABLES[name]] for name in wanted}
