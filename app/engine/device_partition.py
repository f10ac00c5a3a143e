"""The device partition's processor: installs, sessions and in-app events of its devices.

Everything keyed ``app_id|device_key`` happens here, on the partition that
owns the device: the ``devices``, ``pending-installs`` and ``waiting-events``
tables are read and written through the state layer, and every record to
produce goes into an :class:`~attrib.engine.outbox.Outbox`. Synchronous: the
agents (``agents/device_inputs.py``, ``agents/decide_installs.py``) send the
outbox and commit the tables after each batch, the test driver does the same
in memory.

The flow of one install (docs/architecture.md, Topology):

1. :meth:`DevicePartition.accept` parks it in ``pending-installs`` with its
   lookup keys and due time (arrival + ``decision_delay``, R4);
2. :meth:`DevicePartition.due_lookups` (a timer) sends the lookups of due
   installs to the touch index;
3. :meth:`DevicePartition.apply_answers` gathers the answers; the last one
   decides it with the pure :func:`attrib.rules.decide.decide` (R1–R31),
   updates the device registry, files conversion data (R37) and attributes
   the device's waiting events (R24, R25).

Sessions take the same path (R21, R23); in-app events are attributed at once
from the registry when nothing is in flight for their device, else they wait
(R25: at most 10 minutes).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from attrib.avro import codec
from attrib.config import AppConfig
from attrib.engine import activity, pending, waiting, wire
from attrib.engine import devices as device_state
from attrib.engine.batching import by_partition
from attrib.engine.conversion import (
    answer_json,
    conversion_key,
    install_answer,
    reengagement_answer,
)
from attrib.engine.convert import (
    INSTALL_ID_FIELDS,
    attribution_record,
    install_from_record,
    rule_settings,
    session_from_record,
    touch_from_record,
)
from attrib.engine.index import install_lookup_keys, session_lookup_keys
from attrib.engine.metrics import (
    DECISION_LATENCY,
    DECISIONS,
    EVENT_ATTRIBUTIONS,
    REENGAGEMENTS,
    SESSIONS_DECIDED,
    WAITING_EVENTS,
)
from attrib.engine.outbox import Outbox
from attrib.engine.partitioning import partition_for
from attrib.engine.scheduler import DueQueue
from attrib.engine.topics import EngineTopics
from attrib.keys import device_record_key
from attrib.rules.decide import decide
from attrib.rules.reengagement import is_reengagement, open_reengagement
from attrib.tables.state import TableState

log = logging.getLogger(__name__)

#: Decoded ``Attribution`` records the device partition keeps (each ~2 KB decoded).
ATTRIBUTIONS_KEPT = 10_000


@dataclass(slots=True)
class DeviceTables:
    """The tables of the device partition."""

    devices: TableState[device_state.DeviceState]
    pending: TableState[list[pending.PendingInstall]]
    waiting: TableState[list[waiting.WaitingEvent]]

    def all(self) -> tuple[TableState[Any], ...]:
        return (self.devices, self.pending, self.waiting)

    def forget_recent(self) -> None:
        """Drop the decoded values kept from earlier batches (after a rebalance: a
        partition this worker owned before may have been changed by another)."""
        for table in self.all():
            table.forget_recent()


class DevicePartition:
    """The processor of every device partition this worker owns."""

    def __init__(
        self,
        tables: DeviceTables,
        topics: EngineTopics,
        configs: Callable[[str], AppConfig | None],
        *,
        decision_delay_ms: int,
        hold_ms: int = waiting.HOLD_MS,
        dedupe_window_ms: int = device_state.DEDUPE_WINDOW_MS,
    ) -> None:
        self.tables = tables
        self.topics = topics
        self.configs = configs
        self.decision_delay_ms = decision_delay_ms
        self.hold_ms = hold_ms
        self.dedupe_window_ms = dedupe_window_ms
        #: Due times of pending installs and sessions (processing time, R4).
        self.due = DueQueue()
        #: Due times of waiting events (R25).
        self.waiting_due = DueQueue()
        #: Conversion-data answers of the batch: sent as envelopes by :meth:`flush_conversions`.
        self._conversions: list[tuple[str, dict[str, Any]]] = []
        #: Newest event time seen per partition (device retention's event-time clock).
        self.watermarks: dict[int, int] = defaultdict(int)
        #: Decoded ``Attribution`` records of device entries, by their bytes.
        self._attributions: dict[bytes, dict[str, Any]] = {}

    # ---- intake: installs, sessions, events ---------------------------------------
    def accept(
        self, partition: int, inputs: Iterable[dict[str, Any]], now_ms: int, outbox: Outbox
    ) -> None:
        """Apply ``DeviceInput`` entries (checked by the intake) in order."""
        for item in inputs:
            kind = item["kind"]
            raw = item["value"]
            record = codec.decode(raw)
            key = device_record_key(record["app_id"], record["device_key"])
            if record["event_time"] > self.watermarks[partition]:
                self.watermarks[partition] = record["event_time"]
            if kind == "install":
                self._hold_install(partition, key, record, raw, item["arrived_ms"])
            elif kind == "session":
                self._hold_session(partition, key, record, raw, item["arrived_ms"])
            else:
                self._accept_event(partition, key, record, raw, item["arrived_ms"], now_ms, outbox)
        self.flush_conversions(outbox)

    def _park(self, partition: int, key: bytes, entry: pending.PendingInstall) -> None:
        """File ``entry`` under the device (once per event id) and queue its due time."""
        entries, added = pending.add(self.tables.pending.get(partition, key) or [], entry)
        if added:
            self.tables.pending.put(partition, key, entries)
            self.due.push(entry["due_ms"], key, entry["event_id"])

    def _hold_install(
        self, partition: int, key: bytes, record: dict[str, Any], raw: bytes, arrived_ms: int
    ) -> None:
        state = self.tables.devices.get(partition, key)
        if device_state.decided_attribution_id(state, record["event_id"]):
            return  # R26: this install event was decided already
        entry = pending.new_entry(
            event_id=record["event_id"],
            install=raw,
            arrived_ms=arrived_ms,
            delay_ms=self.decision_delay_ms,
            keys=install_lookup_keys(install_from_record(record)),
        )
        self._park(partition, key, entry)

    def _hold_session(
        self, partition: int, key: bytes, record: dict[str, Any], raw: bytes, arrived_ms: int
    ) -> None:
        state = self.tables.devices.get(partition, key)
        if state is not None and device_state.session_seen(state, record["event_id"]):
            return  # R26
        # A device not installed or blocked cannot re-engage: it asks nothing, but the
        # session still waits, so that it is applied after an install in flight.
        can_reengage = state is not None and not state["blocked"]
        entry = pending.new_entry(
            event_id=record["event_id"],
            install=raw,
            arrived_ms=arrived_ms,
            delay_ms=self.decision_delay_ms,
            keys=session_lookup_keys(session_from_record(record)) if can_reengage else [],
            kind=pending.SESSION,
            newer_than=state["last_install_time"] if state is not None else 0,
        )
        self._park(partition, key, entry)

    def _accept_event(
        self,
        partition: int,
        key: bytes,
        record: dict[str, Any],
        raw: bytes,
        arrived_ms: int,
        now_ms: int,
        outbox: Outbox,
    ) -> None:
        state = self.tables.devices.get(partition, key)
        if device_state.event_seen(state, record["event_id"]):
            return  # R26
        if state is None or self.tables.pending.get(partition, key) is not None:
            # The install has not been decided, or a decision about the device is in
            # flight (a reinstall, a re-engaging session): wait for it.
            evicted = self._hold_event(partition, key, record, raw, arrived_ms)
            if evicted:
                events = [codec.decode(e, expect="InAppEvent") for e in evicted]
                self._emit_events(partition, key, events, state, now_ms, outbox)
            return
        self._emit_events(partition, key, [record], state, now_ms, outbox)

    def _store_device(
        self, partition: int, key: bytes, state: device_state.DeviceState, now_ms: int
    ) -> None:
        """Write a device's entry, stamped with the processing time of the change
        (what device retention measures)."""
        self.tables.devices.put(partition, key, {**state, "touched_ms": now_ms})

    # ---- in-app events ----------------------------------------------------------------
    def _hold_event(
        self, partition: int, key: bytes, event: dict[str, Any], raw: bytes, arrived_ms: int
    ) -> list[bytes]:
        """Park ``event`` in ``waiting-events``; returns the raw events pushed out by the bound."""
        entries = self.tables.waiting.get(partition, key) or []
        entry = waiting.new_entry(
            event_id=event["event_id"], event=raw, arrived_ms=arrived_ms, hold_ms=self.hold_ms
        )
        updated, evicted = waiting.add(entries, entry)
        if updated is entries:
            return []  # already waiting (R26)
        self.tables.waiting.put_or_delete(partition, key, updated or None)
        self.waiting_due.push(entry["due_ms"], key, entry["event_id"])
        WAITING_EVENTS.inc(1 - len(evicted))
        return [e["event"] for e in evicted]

    def _event_records(
        self, event: dict[str, Any], state: device_state.DeviceState | None
    ) -> list[dict[str, Any]]:
        """The ``attributed-events`` records of ``event`` for the device's ``state`` (R24, R25)."""
        if state is None:
            return [activity.unattributed_event_record(event)]
        attribution = self._attribution(state["attribution"])
        return activity.attributed_event_records(event, attribution, state["reengagement"])

    def _attribution(self, raw: bytes) -> dict[str, Any]:
        """A device's latest ``Attribution`` record, decoded once per distinct value: an
        active device's events each read it (about 10 µs a decode). Read only, never
        changed in place; at most :data:`ATTRIBUTIONS_KEPT` are kept."""
        kept = self._attributions
        found = kept.get(raw)
        if found is None:
            if len(kept) >= ATTRIBUTIONS_KEPT:
                kept.clear()
            found = kept[raw] = codec.decode(raw, expect="Attribution")
        return found

    def _emit_events(
        self,
        partition: int,
        key: bytes,
        events: list[dict[str, Any]],
        state: device_state.DeviceState | None,
        now_ms: int,
        outbox: Outbox,
    ) -> None:
        """Write the records of ``events`` not attributed yet (R26) and remember them."""
        emitted: list[str] = []
        emitted_times: list[int] = []
        topic = self.topics.attributed_events
        for event in events:
            event_id = event["event_id"]
            if device_state.event_seen(state, event_id) or event_id in emitted:
                continue
            for out in self._event_records(event, state):
                outbox.add(topic, key, codec.encode("AttributedEvent", out))
                EVENT_ATTRIBUTIONS.labels(out["conversion_type"]).inc()
            emitted.append(event_id)
            emitted_times.append(event["event_time"])
        if state is not None and emitted:
            updated = device_state.remember_events(
                state, emitted, emitted_times, window_ms=self.dedupe_window_ms
            )
            self._store_device(partition, key, updated, now_ms)

    def _release_waiting(
        self, partition: int, key: bytes, now_ms: int, outbox: Outbox, *, due_only: bool = False
    ) -> None:
        """Attribute the device's waiting events.

        After a decision (``due_only`` false): all of them, once the device is
        known. On expiry (``due_only``): those whose hold has ended, attributed if
        the install has been decided meanwhile, else ``unattributed`` (R25).
        """
        entries = self.tables.waiting.get(partition, key)
        if not entries:
            return
        state = self.tables.devices.get(partition, key)
        if due_only:
            remaining, ready = waiting.take_due(entries, now_ms)
        elif state is None:
            return
        else:
            remaining, ready = [], entries
        if not ready:
            return
        events = [codec.decode(e["event"], expect="InAppEvent") for e in ready]
        self._emit_events(partition, key, events, state, now_ms, outbox)
        self.tables.waiting.put_or_delete(partition, key, remaining or None)
        WAITING_EVENTS.dec(len(ready))

    # ---- lookups of due installs and sessions -------------------------------------------
    def due_lookups(self, now_ms: int, outbox: Outbox, *, limit: int | None = None) -> int:
        """Send the lookups of every install or session whose ``decision_delay`` has
        passed (an install with nothing to look up gets its empty answer directly).
        Returns how many were due."""
        due = self.due.pop_due(now_ms, limit=limit)
        if not due:
            return 0
        topics = self.topics
        lookups: list[tuple[str, dict[str, Any]]] = []
        direct: list[tuple[str, dict[str, Any]]] = []
        for key, event_id in due:
            entries = self.tables.pending.get(partition_for(key, topics.partitions), key) or []
            for entry in entries:
                if entry["event_id"] != event_id:
                    continue
                install_key = key.decode()
                # An Install, or a Session: both have event_time.
                event_time = codec.decode(entry["install"])["event_time"]
                for lookup_key in entry["keys"]:
                    if lookup_key == pending.NO_LOOKUP:
                        direct.append(
                            (
                                install_key,
                                {
                                    "install_key": install_key,
                                    "event_id": event_id,
                                    "key": lookup_key,
                                    "touches": [],
                                },
                            )
                        )
                    else:
                        lookups.append(
                            (
                                lookup_key,
                                {
                                    "key": lookup_key,
                                    "install_key": install_key,
                                    "event_id": event_id,
                                    "install_time": event_time,
                                    "newer_than": entry["newer_than"],
                                },
                            )
                        )
        outbox.envelopes(
            topics.touch_lookup, "LookupBatch", "lookups", by_partition(lookups, topics.partitions)
        )
        outbox.envelopes(
            topics.install_candidates,
            "CandidateBatch",
            "answers",
            by_partition(direct, topics.partitions),
        )
        return len(due)

    def due_expiries(self, now_ms: int, outbox: Outbox, *, limit: int | None = None) -> int:
        """Ask the partitions of waiting events whose hold is over to let them go (R25):
        a control batch on ``install-candidates``, whose agent owns the device partition."""
        due = self.waiting_due.pop_due(now_ms, limit=limit)
        keys: dict[int, set[str]] = defaultdict(set)
        partitions = self.topics.partitions
        for key, event_id in due:
            partition = partition_for(key, partitions)
            entries = self.tables.waiting.get(partition, key) or []
            if any(e["event_id"] == event_id for e in entries):
                keys[partition].add(key.decode())
        for partition, names in keys.items():
            control = wire.encode("CandidateBatch", {"answers": [], "expire_events": sorted(names)})
            outbox.add(self.topics.install_candidates, None, control, partition)
        return len(keys)

    # ---- answers and decisions -----------------------------------------------------------
    def apply_answers(
        self, partition: int, batch: dict[str, Any], now_ms: int, outbox: Outbox
    ) -> None:
        """Apply a ``CandidateBatch``: answers of lookups, or an ``expire_events`` control."""
        completed: list[tuple[bytes, pending.PendingInstall]] = []
        pending_table = self.tables.pending
        for answer in batch["answers"]:
            key = answer["install_key"].encode()
            entries, done = pending.record_answer(
                pending_table.get(partition, key) or [],
                answer["event_id"],
                answer["key"],
                answer["touches"],
            )
            if done is not None:
                # A session waits for an install of its device that arrived before it.
                entries, held = pending.hold_behind_installs(entries, done)
                if not held:
                    completed.append((key, done))
            pending_table.put_or_delete(partition, key, entries or None)
        for key, done in completed:
            if done["kind"] == pending.SESSION:
                self._decide_session(partition, key, done, now_ms, outbox)
                continue
            self._decide_install(partition, key, done, now_ms, outbox)
            # Sessions that waited for this install are applied after it, in order.
            remaining, ready = pending.released_sessions(pending_table.get(partition, key) or [])
            if ready:
                pending_table.put_or_delete(partition, key, remaining or None)
                for session in ready:
                    self._decide_session(partition, key, session, now_ms, outbox)
        # Events that waited for these decisions (R24, R25): attributed once
        # nothing more is in flight for their device.
        for key in dict.fromkeys(key for key, _ in completed):
            if pending_table.get(partition, key) is None:
                self._release_waiting(partition, key, now_ms, outbox)
        for name in batch["expire_events"]:
            self._release_waiting(partition, name.encode(), now_ms, outbox, due_only=True)
        self.flush_conversions(outbox)

    def _decide_install(
        self,
        partition: int,
        key: bytes,
        entry: pending.PendingInstall,
        now_ms: int,
        outbox: Outbox,
    ) -> None:
        record = codec.decode(entry["install"], expect="Install")
        app_id = record["app_id"]
        config = self.configs(app_id)
        if config is None:
            log.warning("install of an unknown app dropped", extra={"fields": {"app_id": app_id}})
            return
        state = self.tables.devices.get(partition, key)
        if device_state.decided_attribution_id(state, record["event_id"]):
            return  # R26: decided already (a replayed answer)
        touches = [
            touch_from_record(t)
            for t in codec.try_decode_many(entry["touches"], expect="Touch")
            if not isinstance(t, Exception)
        ]
        decision = decide(
            install_from_record(record),
            touches,
            rule_settings(config),
            device_state.history_of(state),
        )
        attribution = attribution_record(record, decision, decided_time=now_ms)
        encoded = codec.encode("Attribution", attribution)
        outbox.add(self.topics.attributions, key, encoded)
        DECISIONS.labels(decision.conversion_type, decision.match_type or "none").inc()
        DECISION_LATENCY.observe(max(0, now_ms - record["received_time"]) / 1000)
        updated = device_state.apply_decision(
            state,
            install_time=record["event_time"],
            decision=decision,
            event_id=record["event_id"],
            attribution_id=attribution["attribution_id"],
            attribution=encoded,
            window_ms=self.dedupe_window_ms,
        )
        self._store_device(partition, key, updated, now_ms)
        answer = install_answer(attribution, is_first_launch=True)
        self._file_conversions(app_id, [record], answer, now_ms)

    def _decide_session(
        self,
        partition: int,
        key: bytes,
        entry: pending.PendingInstall,
        now_ms: int,
        outbox: Outbox,
    ) -> None:
        """Apply one session to its device (R21, R23, R26, R37) once its lookups are answered.

        A session of a device never installed is not recorded (nothing is known
        to re-engage); a known device's last activity moves to the session, a
        retargeting click eligible under R23 makes it a re-engagement, and the
        conversion-data answer becomes the re-engagement, or at least stops being
        a first launch.
        """
        record = codec.decode(entry["install"], expect="Session")
        app_id = record["app_id"]
        state = self.tables.devices.get(partition, key)
        if state is None:
            SESSIONS_DECIDED.labels("unknown_device").inc()
            return
        if device_state.session_seen(state, record["event_id"]):
            return  # R26
        config = self.configs(app_id)
        if config is None:
            log.warning("session of an unknown app dropped", extra={"fields": {"app_id": app_id}})
            return
        session = session_from_record(record)
        candidates: dict[str, tuple[Any, bytes]] = {}
        raw_touches = entry["touches"]
        for value, decoded in zip(
            raw_touches, codec.try_decode_many(raw_touches, expect="Touch"), strict=True
        ):
            if not isinstance(decoded, Exception):
                candidates.setdefault(decoded["touch_id"], (touch_from_record(decoded), value))
        settings_ = rule_settings(config)
        matched = is_reengagement(
            session,
            [t for t, _ in candidates.values()],
            settings_,
            device_state.history_of(state),
            device_state.used_touch_ids(state),
        )
        attribution = self._attribution(state["attribution"])
        if matched is None:
            updated = device_state.apply_session(
                state,
                session_time=session.session_time,
                event_id=session.event_id,
                window_ms=self.dedupe_window_ms,
            )
            if not state["launched"]:
                # R37: is_first_launch is true only until a session arrives.
                answer = install_answer(attribution, is_first_launch=False)
                self._file_conversions(app_id, [attribution, record], answer, now_ms)
            SESSIONS_DECIDED.labels("session").inc()
            self._store_device(partition, key, updated, now_ms)
            return
        reengagement = open_reengagement(session, matched, settings_)
        out = activity.reengagement_record(record, matched, reengagement, decided_time=now_ms)
        outbox.add(self.topics.reengagements, key, codec.encode("Reengagement", out))
        REENGAGEMENTS.inc()
        SESSIONS_DECIDED.labels("reengagement").inc()
        answer = reengagement_answer(out, matched.touch.touch_type, attribution["install_time"])
        self._file_conversions(app_id, [attribution, record], answer, now_ms)
        touch = matched.touch
        updated = device_state.apply_session(
            state,
            session_time=session.session_time,
            event_id=session.event_id,
            reengagement=activity.open_reengagement(
                app_id, session.event_id, candidates[touch.touch_id][1], reengagement
            ),
            used_touch=(touch.touch_id, touch.touch_time),
            window_ms=self.dedupe_window_ms,
        )
        self._store_device(partition, key, updated, now_ms)

    # ---- conversion data (R37) ------------------------------------------------------------
    def _file_conversions(
        self, app_id: str, records: list[dict[str, Any]], answer: dict[str, Any], now_ms: int
    ) -> None:
        """File ``answer`` under every id the ``records`` name."""
        encoded = answer_json(answer)
        keys = {
            conversion_key(app_id, value)
            for record in records
            for field in INSTALL_ID_FIELDS
            if (value := record.get(field))
        }
        for ckey in sorted(keys):
            self._conversions.append(
                (ckey, {"key": ckey, "answer_json": encoded, "decided_time": now_ms})
            )

    def flush_conversions(self, outbox: Outbox) -> None:
        """The batch's conversion-data answers, one envelope per partition."""
        if not self._conversions:
            return
        outbox.envelopes(
            self.topics.conversion_updates,
            "ConversionUpdateBatch",
            "updates",
            by_partition(self._conversions, self.topics.partitions),
        )
        self._conversions = []

    # ---- after a rebalance -----------------------------------------------------------------
    def rebuild(self, partitions: Iterable[int]) -> tuple[int, int]:
        """Refill the due queues from the tables of the partitions this worker owns
        (after a restart or a rebalance). Returns (pending, waiting) entries queued."""
        self.due.clear()
        self.waiting_due.clear()
        self.tables.forget_recent()
        queued = held = 0
        for partition in partitions:
            for key, entries in self.tables.pending.items(partition):
                for entry in entries:
                    self.due.push(entry["due_ms"], key, entry["event_id"])
                    queued += 1
            for key, events in self.tables.waiting.items(partition):
                for event in events:
                    self.waiting_due.push(event["due_ms"], key, event["event_id"])
                    held += 1
        WAITING_EVENTS.set(held)
        return queued, held
