"""The readiness verdict over a broker's probe history (pure, no services)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from attrib.ops.broker_health import NOT_PROBED, observe, unreachable_for, verdict

GRACE = 15.0


def _replay(outcomes: list[tuple[float, bool]]):  # type: ignore[no-untyped-def]
    state = NOT_PROBED
    for at, ok in outcomes:
        state = observe(state, ok, at)
    return state


def test_not_ready_before_the_first_answer() -> None:
    assert verdict(NOT_PROBED, 0.0, GRACE)[0] is False
    state = observe(NOT_PROBED, False, 1.0)
    ready, detail = verdict(state, 2.0, GRACE)
    assert not ready
    assert "not answered yet" in detail


def test_ready_through_a_short_outage_then_503_then_ready_again() -> None:
    state = observe(NOT_PROBED, True, 0.0)
    assert verdict(state, 0.0, GRACE) == (True, "the Kafka broker answers")
    state = observe(state, False, 10.0)  # broker stopped
    state = observe(state, False, 20.0)
    assert verdict(state, 24.9, GRACE)[0] is True  # 14.9 s: within the grace
    ready, detail = verdict(state, 25.0, GRACE)
    assert not ready
    assert "unreachable for 15s" in detail
    state = observe(state, True, 40.0)  # back
    assert verdict(state, 40.0, GRACE)[0] is True
    assert unreachable_for(state, 41.0) == 0.0


def test_zero_grace_is_unready_at_the_first_failure() -> None:
    state = observe(observe(NOT_PROBED, True, 0.0), False, 1.0)
    assert verdict(state, 1.0, 0.0)[0] is False


probes = st.lists(st.booleans(), min_size=1, max_size=40)


@given(probes, st.floats(min_value=0.0, max_value=60.0))
def test_verdict_matches_the_longest_failing_run(outcomes: list[bool], grace: float) -> None:
    """Probes one second apart: unready iff the trailing run of failures lasted ≥ grace,
    or nothing ever answered."""
    timeline = [(float(i), ok) for i, ok in enumerate(outcomes)]
    state = _replay(timeline)
    now = float(len(outcomes) - 1)
    trailing = 0
    for ok in reversed(outcomes):
        if ok:
            break
        trailing += 1
    first_failure = now - trailing + 1 if trailing else None
    ready, _ = verdict(state, now, grace)
    if not any(outcomes):
        assert not ready
    elif trailing == 0:
        assert ready
    else:
        assert first_failure is not None
        assert ready == (now - first_failure < grace)
        assert unreachable_for(state, now) == now - first_failure


@given(probes)
def test_one_answer_makes_it_ready_whatever_came_before(outcomes: list[bool]) -> None:
    state = _replay([(float(i), ok) for i, ok in enumerate(outcomes)])
    state = observe(state, True, float(len(outcomes)))
    assert verdict(state, float(len(outcomes)) + 0.5, 0.0)[0] is True
