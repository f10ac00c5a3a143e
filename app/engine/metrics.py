"""Prometheus metrics of the stream worker (operations.md, Metrics)."""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram

RECORDS_CONSUMED = Counter(
    "attrib_worker_records_consumed_total", "Records consumed by the worker", ["topic"]
)
RECORDS_PRODUCED = Counter(
    "attrib_worker_records_produced_total", "Records produced by the worker", ["topic"]
)
DECISIONS = Counter(
    "attrib_decisions_total", "Install decisions", ["conversion_type", "match_type"]
)
DECISION_LATENCY = Histogram(
    "attrib_decision_latency_seconds",
    "Install receive time to decision",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60),
)
PENDING_INSTALLS = Gauge("attrib_pending_installs", "Installs waiting in this worker")
TABLE_RECOVERY = Gauge(
    "attrib_table_recovery_in_progress", "1 while tables are being recovered from changelogs"
)
INDEX_KEYS_SWEPT = Counter(
    "attrib_touch_index_keys_swept_total", "Touch-index keys removed because no window can use them"
)
REENGAGEMENTS = Counter("attrib_reengagements_total", "Re-engagements decided (R23)")
SESSIONS_DECIDED = Counter(
    "attrib_sessions_decided_total",
    "Sessions applied to the device registry, by outcome",
    ["outcome"],
)
EVENT_ATTRIBUTIONS = Counter(
    "attrib_event_attributions_total",
    "Attributed-event records written, by conversion type",
    ["conversion_type"],
)
WAITING_EVENTS = Gauge(
    "attrib_waiting_events", "In-app events waiting for their install or a decision in flight"
)
LOOKUPS_ANSWERED_INCOMPLETE = Counter(
    "attrib_worker_lookups_answered_incomplete_total",
    "Lookup envelopes answered before the touch index held every touch written before "
    "them (set aside INDEX_WAIT_S for store-touches to catch up)",
)
LOOKUP_ENVELOPES_WAITING = Gauge(
    "attrib_lookup_envelopes_waiting_for_index",
    "Lookup envelopes set aside until the touch index of their partition holds every "
    "touch written before them",
)
LOOKUPS_HELD = Gauge(
    "attrib_lookups_held",
    "1 while due install lookups wait for the intake to route the touches received before them",
)
TOUCH_WATERMARK_AGE = Gauge(
    "attrib_touch_watermark_age_seconds",
    "How long ago the newest moment is through which every received touch is routed to "
    "the touch index (-1: not known yet); due lookups wait for it",
)
DEVICES_EXPIRED = Counter(
    "attrib_expired_entries_total",
    "Table entries forgotten after the device retention, by table",
    ["table"],
)
INTAKE_RECORDS = Counter(
    "attrib_intake_records_total",
    "Input records read by the intake, by outcome: accepted, refused (dead-lettered), "
    "misplaced (read on another partition than their key's, routed to the right one)",
    ["outcome"],
)
HOP_DELAY = Histogram(
    "attrib_envelope_delay_seconds",
    "From an internal envelope's Kafka timestamp to the start of its processing, by topic",
    ["topic"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def observe_delay(message: object) -> None:
    """Record how long an envelope waited between its producer and its agent."""
    timestamp = getattr(message, "timestamp", None)  # Faust's: seconds
    if timestamp:
        HOP_DELAY.labels(getattr(message, "topic", "?")).observe(max(0.0, time.time() - timestamp))


AGENT_SECONDS = Counter(
    "attrib_agent_seconds_total",
    "Wall seconds agents spent on their batches, by phase: process (on the event loop) and "
    "commit (outputs and changelog acknowledged by Kafka, RocksDB written); the rest of a "
    "second, the agent waited for envelopes",
    ["agent", "phase"],
)


class BatchTimer:
    """Splits an agent's batches into :data:`AGENT_SECONDS`' phases.

    ``start()`` when the batch is taken, ``processed()`` before its commit,
    ``committed()`` after it: ``rate(attrib_agent_seconds_total[1m])`` then says
    whether an agent that falls behind is busy or waiting on Kafka.
    """

    def __init__(self, agent: str) -> None:
        self._process = AGENT_SECONDS.labels(agent, "process")
        self._commit = AGENT_SECONDS.labels(agent, "commit")
        self._mark = 0.0

    def start(self) -> None:
        self._mark = time.perf_counter()

    def processed(self) -> None:
        now = time.perf_counter()
        self._process.inc(now - self._mark)
        self._mark = now

    def committed(self) -> None:
        self._commit.inc(time.perf_counter() - self._mark)
