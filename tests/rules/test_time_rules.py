"""R1–R4: event time, touches after T0, timestamp bounds, decision delay."""

from __future__ import annotations

import dataclasses

import pytest
from rules_builders import DAY, DEFAULTS, HOUR, MINUTE, T0, click, install

from attrib.rules.decide import decide
from attrib.rules.eventtime import MAX_FUTURE_MS, MAX_PAST_MS, event_time_problem


def test_r1_decision_uses_event_time_not_receive_time() -> None:
    touches = [click("c1", T0 - HOUR)]
    received_now = decide(install(received_time=T0 + MINUTE), touches, DEFAULTS, None)
    replayed_years_later = decide(install(received_time=T0 + 900 * DAY), touches, DEFAULTS, None)
    assert received_now == replayed_years_later
    assert received_now.winner is not None
    assert received_now.winner.touch_id == "c1"


def test_r2_touch_at_t0_is_eligible() -> None:
    decision = decide(
        install(), [click("c1", T0)], dataclasses.replace(DEFAULTS, min_ctit_ms=0), None
    )
    assert decision.winner is not None
    assert decision.ctit_seconds == 0


def test_r2_touch_one_ms_after_t0_is_never_eligible() -> None:
    decision = decide(
        install(), [click("c1", T0 + 1)], dataclasses.replace(DEFAULTS, min_ctit_ms=0), None
    )
    assert decision.status == "organic"
    assert decision.winner is None
    assert decision.contributors == ()


@pytest.mark.parametrize(
    ("offset", "problem"),
    [
        (MAX_FUTURE_MS, None),
        (MAX_FUTURE_MS + 1, "timestamp more than 10m in the future"),
        (-MAX_PAST_MS, None),
        (-MAX_PAST_MS - 1, "timestamp more than 400d in the past"),
        (0, None),
    ],
)
def test_r3_timestamp_bounds(offset: int, problem: str | None) -> None:
    received = T0
    assert event_time_problem(received + offset, received) == problem


def test_r3_bounds_are_ten_minutes_and_four_hundred_days() -> None:
    assert MAX_FUTURE_MS == 10 * MINUTE
    assert MAX_PAST_MS == 400 * DAY
