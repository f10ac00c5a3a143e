"""R35: the outcome of an attempt and the retry schedule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attrib.delivery.model import DEAD, DELIVERED, FAILED, RETRY
from attrib.delivery.schedule import DEFAULT_SCHEDULE, judge, parse_schedule
from attrib.settings import Settings, SettingsError, load_settings

MIN = 60_000
R35 = (1 * MIN, 5 * MIN, 15 * MIN, 30 * MIN, 60 * MIN)


def test_default_is_r35() -> None:
    assert parse_schedule(DEFAULT_SCHEDULE) == R35
    assert Settings().delivery_retry_delays_ms == R35
    assert Settings().delivery_timeout_ms == 10_000


def test_outcomes() -> None:
    assert judge(200, 1, 0, R35).status == DELIVERED
    assert judge(204, 6, 0, R35).status == DELIVERED
    for status in (302, 301, 400, 404, 410):
        assert judge(status, 1, 0, R35).status == FAILED
    for status in (None, 429, 500, 503, 599):
        verdict = judge(status, 1, 1_000, R35)
        assert verdict.status == RETRY
        assert verdict.next_attempt_ms == 1_000 + MIN


def test_retries_follow_the_schedule_then_dead() -> None:
    at = 0
    times = []
    for attempt in range(1, 7):
        verdict = judge(503, attempt, at, R35)
        if attempt <= 5:
            assert verdict.status == RETRY
            assert verdict.next_attempt_ms is not None
            at = verdict.next_attempt_ms
            times.append(at)
        else:
            assert verdict.status == DEAD
            assert verdict.next_attempt_ms is None
    assert times == [MIN, 6 * MIN, 21 * MIN, 51 * MIN, 111 * MIN]


@given(st.integers(100, 999))
def test_any_other_status_fails(status: int) -> None:
    verdict = judge(status, 1, 0, R35)
    if 200 <= status <= 299:
        assert verdict.status == DELIVERED
    elif status == 429 or 500 <= status <= 599:
        assert verdict.status == RETRY
    else:
        assert verdict.status == FAILED


def test_settings_are_checked() -> None:
    assert load_settings(env={}, delivery_retry_schedule="50ms,1s").delivery_retry_delays_ms == (
        50,
        1_000,
    )
    with pytest.raises(SettingsError, match="ATTRIB_DELIVERY_RETRY_SCHEDULE"):
        load_settings(env={}, delivery_retry_schedule="1m,soon")
    with pytest.raises(SettingsError, match="ATTRIB_DELIVERY_TIMEOUT"):
        load_settings(env={}, delivery_timeout="1h")
    with pytest.raises(SettingsError, match="ATTRIB_DELIVERY_BLOCKED_NETWORKS"):
        load_settings(env={}, delivery_blocked_networks="169.254.0.0/16,not-a-net")
