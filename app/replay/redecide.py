"""Re-deciding archived input records with the live engine's own processors.

The records go, in the order the platform received them (the collector's
``received_time``), through :class:`EngineSimulation`: the worker's intake
routing, touch index, device partition and conversion data, on in-memory
tables. Processing time (the clock that only times the waits,
``decision_delay`` and the R25 hold) follows that receive time, so every
install waits its ``decision_delay`` and is decided over the touches received
by then, as live (R4: a touch received later does not change the decision;
in event-time order replay would see it and differ from live). Everything
else the engine decides by event time (R1), whatever the arrival order. The
decisions are therefore those the live worker makes, or would make with the
changed configuration.

Records are piped in runs of one topic (up to :data:`BATCH` records) with the
timers run between runs: the same path the worker's batched agents take.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from attrib.admission import TIME_FIELD as _EVENT_TIME
from attrib.avro import codec
from attrib.avro.peek import PeekByWriter
from attrib.avro.schemas import SchemaVersion
from attrib.config import AppConfig
from attrib.engine.simulation import EngineSimulation
from attrib.replay.records import INPUT_TOPICS, ArchivedRecord, event_time

#: Records piped per intake call (the worker's batches are of this order).
BATCH = 256
#: Within one event-time millisecond: touches before installs before activity.
_RANK = {"clicks": 0, "impressions": 0, "installs": 1, "sessions": 2, "events": 3}
#: The simulation's defaults of decision_delay and the R25 hold (the worker's).
DECISION_DELAY_MS = 1_000
HOLD_MS = 600_000

Progress = Callable[[int, int], None]


@dataclass
class Replayed:
    """What the engine wrote: decoded output records, by topic."""

    attributions: list[dict[str, Any]] = field(default_factory=list)
    attributed_events: list[dict[str, Any]] = field(default_factory=list)
    reengagements: list[dict[str, Any]] = field(default_factory=list)
    inputs: int = 0


@dataclass(frozen=True, slots=True)
class _Input:
    time: int
    rank: int
    partition: int
    offset: int
    topic: str
    value: bytes


def _time_fields(version: SchemaVersion) -> list[str] | None:
    field = _EVENT_TIME.get(version.name)
    return None if field is None else ["received_time", field]


def order(records: Iterable[ArchivedRecord]) -> list[_Input]:
    """The input records in the order the platform received them (ties: touches first,
    then Kafka order); a record without a receive time counts at its event time."""
    out = []
    # The receive time (else the event time) read without decoding the rest: the
    # intake decodes every record anyway, a second full decode here cost ~10 µs.
    times = PeekByWriter(codec.default_codec().schemas, _time_fields)
    for r in records:
        if r.topic not in INPUT_TOPICS:
            raise ValueError(f"{r.topic!r} is not an input topic ({', '.join(INPUT_TOPICS)})")
        peeked = times.read(r.value)
        if peeked is not None:
            t = int(peeked[0] or peeked[1])
        else:
            record = codec.decode(r.value)
            t = int(record.get("received_time") or event_time(r.topic, record))
        out.append(_Input(t, _RANK[r.topic], r.partition, r.offset, r.topic, r.value))
    out.sort(key=lambda i: (i.time, i.rank, i.topic, i.partition, i.offset))
    return out


def _advance(sim: EngineSimulation, to_ms: int) -> None:
    """Move the clock to ``to_ms`` as continuous time would: first ``decision_delay`` on,
    deciding every install that waits, and only then further, where waiting events may
    expire. One jump past both would release an event unattributed before its pending
    install's touch lookup is answered, which no live worker does."""
    step = sim.clock() + DECISION_DELAY_MS
    if to_ms > step:
        sim.advance_to(step)
    sim.advance_to(to_ms)


def redecide(
    records: Iterable[ArchivedRecord],
    config: AppConfig,
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> Replayed:
    """Every decision the engine makes over ``records`` with ``config`` (see the module doc)."""
    inputs = order(records)
    result = Replayed(inputs=len(inputs))
    if not inputs:
        return result
    sim = EngineSimulation(
        {config.app_id: config},
        start_ms=inputs[0].time,
        decision_delay_ms=DECISION_DELAY_MS,
        hold_ms=HOLD_MS,
    )
    start = 0
    while start < len(inputs):
        topic = inputs[start].topic
        end = start + 1
        while end < len(inputs) and end - start < batch and inputs[end].topic == topic:
            end += 1
        _advance(sim, inputs[start].time)
        sim.pipe_raw(topic, [i.value for i in inputs[start:end]])
        start = end
        if progress is not None:
            progress(start, len(inputs))
    _advance(sim, inputs[-1].time + DECISION_DELAY_MS + HOLD_MS + 1)
    result.attributions = sim.read("attributions")
    result.attributed_events = sim.read("attributed-events")
    result.reengagements = sim.read("reengagements")
    return result


__all__ = ["BATCH", "Replayed", "order", "redecide"]
