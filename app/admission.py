"""Which input records the platform accepts: one implementation, two readers.

The worker's intake (:func:`attrib.engine.intake.route`) refuses an input
record, with a dead letter, when it cannot be judged: its event time breaks
R3, or no configuration names its app (R22). The ClickHouse sink copies
touches and sessions straight from the input topics, so it asks the same
question (:class:`SinkAdmission`) and leaves the refused ones out: the
reports then count only what the worker counted (a click outside R3 is no
click). Undecodable values are refused by both already (the sink turns them
into dead-letter rows; the intake into dead letters).

Pure apart from the app lookup, which the caller supplies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from attrib.avro.peek import PeekByWriter
from attrib.avro.schemas import SchemaSet, SchemaVersion
from attrib.rules.eventtime import event_time_problem

INVALID_TIME: Final = "invalid_time"
UNKNOWN_APP: Final = "unknown_app"

#: The event-time field of each input record (R3 applies to it).
TIME_FIELD: Final = {
    "Touch": "touch_time",
    "Install": "event_time",
    "Session": "event_time",
    "InAppEvent": "event_time",
}

KnownApp = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an input record is not accepted: a dead-letter reason and a sentence."""

    reason: str
    detail: str


def input_refusal(
    app_id: str, event_time: int, received_time: int, known_app: KnownApp
) -> Refusal | None:
    """Why the input record is refused (R3, then R22), or ``None`` when it is accepted.

    ``received_time`` is the collector's (a producer that leaves it 0 is
    judged against the reader's clock by the caller).
    """
    problem = event_time_problem(event_time, received_time)
    if problem is not None:
        return Refusal(INVALID_TIME, problem)
    if not known_app(app_id):
        return Refusal(UNKNOWN_APP, app_id)
    return None


class SinkAdmission:
    """:func:`input_refusal` for encoded values, reading only the three fields it needs."""

    def __init__(self, schemas: SchemaSet, known_app: KnownApp) -> None:
        self._known_app = known_app
        self._fields = PeekByWriter(schemas, _judged_fields)

    def refusal(self, value: bytes, now_ms: int) -> Refusal | None:
        """Why the single-object encoded input ``value`` is refused, or ``None``.

        The value's header was checked by the caller (a released schema).
        A body too short for its fields is left to the caller's decoder,
        which refuses it with the codec's reason.
        """
        fields = self._fields.read(value)
        if fields is None:
            return None
        app_id, event_time, received_time = fields
        return input_refusal(app_id, event_time, received_time or now_ms, self._known_app)


def _judged_fields(version: SchemaVersion) -> list[str] | None:
    if version.name not in TIME_FIELD:
        return None
    return ["app_id", TIME_FIELD[version.name], "received_time"]


__all__ = [
    "INVALID_TIME",
    "TIME_FIELD",
    "UNKNOWN_APP",
    "KnownApp",
    "Refusal",
    "SinkAdmission",
    "input_refusal",
]
