"""R18–R22: install, reinstall, re-attribution, the window after, inactivity, settings in force."""

from __future__ import annotations

import dataclasses

from rules_builders import (
    DAY,
    DEFAULTS,
    HOUR,
    T0,
    click,
    impression,
    install,
    known_device,
    prob_click,
)

from attrib.rules.decide import decide
from attrib.rules.model import DeviceHistory

#: A device installed 30 days before T0: T0 is inside the 90d re-attribution window.
RECENT = known_device(T0 - 30 * DAY)


def test_r18_first_install_non_organic() -> None:
    decision = decide(install(), [click("c", T0 - HOUR)], DEFAULTS, None)
    assert (decision.conversion_type, decision.status) == ("install", "non_organic")
    assert decision.is_retargeting is False


def test_r18_first_install_organic() -> None:
    decision = decide(install(), [], DEFAULTS, None)
    assert (decision.conversion_type, decision.status, decision.media_source) == (
        "install",
        "organic",
        "organic",
    )


def test_r18_a_history_marked_unknown_is_a_first_install() -> None:
    unknown = dataclasses.replace(RECENT, known=False)
    decision = decide(install(), [click("c", T0 - HOUR)], DEFAULTS, unknown)
    assert decision.conversion_type == "install"


def test_r19_reattribution_to_an_eligible_retargeting_touch() -> None:
    touches = [click("ua", T0 - HOUR), click("rt", T0 - 2 * HOUR, is_retargeting=True)]
    decision = decide(install(), touches, DEFAULTS, RECENT)
    assert (decision.conversion_type, decision.status) == ("reattribution", "non_organic")
    assert decision.winner is not None
    assert decision.winner.touch_id == "rt"
    assert decision.is_retargeting is True
    assert [c.touch_id for c in decision.contributors] == ["ua"]


def test_r19_retargeting_impression_matched_by_id_can_reattribute() -> None:
    decision = decide(
        install(), [impression("rt-i", T0 - HOUR, is_retargeting=True)], DEFAULTS, RECENT
    )
    assert decision.conversion_type == "reattribution"


def test_r19_reinstall_without_retargeting_touch_is_not_attributed() -> None:
    decision = decide(install(), [click("ua", T0 - HOUR)], DEFAULTS, RECENT)
    assert (decision.conversion_type, decision.status, decision.media_source) == (
        "reinstall",
        "organic",
        "organic",
    )
    assert decision.winner is None
    assert decision.contributors == ()


def test_r19_probabilistic_retargeting_touch_does_not_reattribute() -> None:
    decision = decide(
        install(), [prob_click("rt", T0 - HOUR, is_retargeting=True)], DEFAULTS, RECENT
    )
    assert decision.conversion_type == "reinstall"


def test_r19_retargeting_touch_outside_its_window_does_not_reattribute() -> None:
    stale = click("rt", T0 - 7 * DAY - 1, is_retargeting=True)
    assert decide(install(), [stale], DEFAULTS, RECENT).conversion_type == "reinstall"


def test_r19_window_is_counted_from_the_install_that_created_the_attribution() -> None:
    history = DeviceHistory(
        first_install_time=T0 - 400 * DAY,
        attribution_install_time=T0 - 90 * DAY,  # e.g. a re-attribution
        last_install_time=T0 - 10 * DAY,  # a reinstall since, which created none
        last_activity_time=T0 - 9 * DAY,
    )
    assert (
        decide(install(), [click("ua", T0 - HOUR)], DEFAULTS, history).conversion_type
        == "reinstall"
    )


def test_r19_r20_reattribution_window_boundary_is_inclusive() -> None:
    touches = [click("ua", T0 - HOUR)]
    at_end = known_device(T0 - 90 * DAY)
    after_end = known_device(T0 - 90 * DAY - 1)
    assert decide(install(), touches, DEFAULTS, at_end).conversion_type == "reinstall"
    after = decide(install(), touches, DEFAULTS, after_end)
    assert (after.conversion_type, after.status) == ("install", "non_organic")


def test_r20_after_the_window_the_waterfall_runs_over_all_touches() -> None:
    old = known_device(T0 - 100 * DAY)
    touches = [click("ua", T0 - 2 * HOUR), click("rt", T0 - HOUR, is_retargeting=True)]
    decision = decide(install(), touches, DEFAULTS, old)
    assert decision.conversion_type == "install"
    assert decision.winner is not None
    assert decision.winner.touch_id == "rt"
    assert decision.is_retargeting is False  # a new install is user acquisition


def test_r20_after_the_window_a_probabilistic_touch_can_win() -> None:
    decision = decide(
        install(), [prob_click("p", T0 - HOUR)], DEFAULTS, known_device(T0 - 91 * DAY)
    )
    assert (decision.conversion_type, decision.match_type) == ("install", "probabilistic")


def test_r21_retargeting_touch_needs_the_inactivity_period_before_it() -> None:
    settings = dataclasses.replace(DEFAULTS, inactivity_period_ms=7 * DAY)
    touch_time = T0 - HOUR
    touches = [click("rt", touch_time, is_retargeting=True)]
    exactly = known_device(T0 - 30 * DAY, last_activity=touch_time - 7 * DAY)
    too_recent = known_device(T0 - 30 * DAY, last_activity=touch_time - 7 * DAY + 1)
    assert decide(install(), touches, settings, exactly).conversion_type == "reattribution"
    assert decide(install(), touches, settings, too_recent).conversion_type == "reinstall"


def test_r21_zero_inactivity_period_is_off() -> None:
    active_after_touch = known_device(T0 - 30 * DAY, last_activity=T0 - 1)
    touches = [click("rt", T0 - HOUR, is_retargeting=True)]
    assert (
        decide(install(), touches, DEFAULTS, active_after_touch).conversion_type == "reattribution"
    )


def test_r21_does_not_apply_to_a_new_install() -> None:
    settings = dataclasses.replace(DEFAULTS, inactivity_period_ms=30 * DAY)
    touches = [click("rt", T0 - HOUR, is_retargeting=True)]
    assert decide(install(), touches, settings, None).winner is not None


def test_r22_the_settings_passed_in_are_the_ones_applied() -> None:
    touches = [click("c", T0 - 2 * DAY)]
    before_change = decide(install(), touches, DEFAULTS, None)
    after_change = decide(
        install(), touches, dataclasses.replace(DEFAULTS, click_lookback_ms=DAY), None
    )
    assert (before_change.status, before_change.lookback) == ("non_organic", "7d")
    assert after_change.status == "organic"
