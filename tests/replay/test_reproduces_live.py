"""No ``--set``: replay in event-time order makes exactly the live decisions (R1).

"Live" is the engine driver fed in arrival order (the worker's processors on
in-memory tables); replay orders the same input records by event time and
decides them again through :func:`attrib.replay.redecide.redecide`. Every
field of a decision is compared per install event id, and the re-engagements
and attributed events too.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import tests.engine.test_driver as engine_scenarios
from attrib.replay.compare import decision, latest_by_install
from attrib.replay.redecide import DECISION_DELAY_MS, HOLD_MS, redecide
from tests.replay.helpers import RecordingDriver, demo_live

NOW = 1_790_000_000_000  # 2026-09-21, the demo tests' fixed clock


def _by_id(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {r[key]: r for r in records}


def _event_view(events: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    fields = (
        "event_id",
        "attribution_kind",
        "is_primary_attribution",
        "media_source",
        "touch_id",
        "conversion_type",
        "attribution_id",
        "reengagement_id",
    )
    return {tuple(e[f] for f in fields) for e in events}


def assert_same(live: RecordingDriver, config: Any) -> int:
    live.advance(DECISION_DELAY_MS)  # live runs on: every wait ends
    live.advance(HOLD_MS)
    replayed = redecide(live.inputs, config)
    before = latest_by_install(live.read("attributions"))
    after = latest_by_install(replayed.attributions)
    assert before.keys() == after.keys()
    for install_id, attribution in before.items():
        assert decision(after[install_id]) == decision(attribution), install_id
    reengaged = _by_id(live.read("reengagements"), "reengagement_id")
    again = _by_id(replayed.reengagements, "reengagement_id")
    assert {k: (r["touch_id"], r["media_source"]) for k, r in reengaged.items()} == {
        k: (r["touch_id"], r["media_source"]) for k, r in again.items()
    }
    assert _event_view(live.read("attributed-events")) == _event_view(replayed.attributed_events)
    return len(before)


SCENARIOS = [
    (name, fn)
    for name, fn in inspect.getmembers(engine_scenarios, inspect.isfunction)
    if name.startswith("test_") and not inspect.signature(fn).parameters
]


@pytest.mark.parametrize("name", [name for name, _ in SCENARIOS])
def test_the_engine_scenarios_replay_to_their_live_decisions(name: str, monkeypatch) -> None:
    drivers: list[RecordingDriver] = []

    class Recording(RecordingDriver):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            drivers.append(self)

    monkeypatch.setattr(engine_scenarios, "EngineDriver", Recording)
    dict(SCENARIOS)[name]()
    assert drivers, "the scenario made no driver"
    decided = sum(assert_same(d, engine_scenarios.CONFIG) for d in drivers)
    if name != "test_the_index_sweep_keeps_up_with_the_write_rate":  # touches only
        assert decided > 0


def test_the_engine_scenarios_are_all_covered() -> None:
    assert len(SCENARIOS) >= 10


def test_the_demo_replays_to_its_live_decisions() -> None:
    run = demo_live("demo-replay", NOW)
    decided = assert_same(run.driver, run.config)
    facts = run.scenario.facts
    assert facts is not None
    assert decided == len(facts.decisions)
