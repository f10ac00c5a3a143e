"""R23: which session is a re-engagement, and by which retargeting click."""

from __future__ import annotations

import dataclasses
from typing import Any

from rules_builders import (
    DAY,
    DEFAULTS,
    HOUR,
    OTHER_DEVICE_IDS,
    T0,
    click,
    impression,
    known_device,
    prob_click,
    session,
)

from attrib.rules.model import DeviceHistory, RuleSettings, Touch
from attrib.rules.reengagement import is_reengagement, open_reengagement

INSTALLED = known_device(T0 - 60 * DAY, last_activity=T0 - 20 * DAY)
NOW = T0


def reengaging_id(
    touches: list[Touch],
    history: DeviceHistory | None = INSTALLED,
    settings: RuleSettings = DEFAULTS,
    used: frozenset[str] = frozenset(),
    **session_fields: Any,
) -> str | None:
    """The touch id that re-engages a session at ``NOW``, or ``None``."""
    matched = is_reengagement(session(NOW, **session_fields), touches, settings, history, used)
    return matched.touch.touch_id if matched else None


def test_r23_retargeting_click_matched_by_id_re_engages() -> None:
    matched = is_reengagement(
        session(NOW), [click("rt", NOW - HOUR, is_retargeting=True)], DEFAULTS, INSTALLED
    )
    assert matched is not None
    assert (matched.touch.touch_id, matched.match_type) == ("rt", "id")


def test_r23_click_named_by_the_session_deep_link_re_engages_by_referrer() -> None:
    touch = click("rt", NOW - HOUR, is_retargeting=True, identifiers={})
    matched = is_reengagement(session(NOW, referrer_touch_id="rt"), [touch], DEFAULTS, INSTALLED)
    assert matched is not None
    assert matched.match_type == "referrer"


def test_r23_window_boundaries_of_the_click_lookback() -> None:
    assert reengaging_id([click("rt", NOW - 7 * DAY, is_retargeting=True)]) == "rt"
    assert reengaging_id([click("rt", NOW - 7 * DAY - 1, is_retargeting=True)]) is None
    assert reengaging_id([click("rt", NOW + 1, is_retargeting=True)]) is None


def test_r23_only_retargeting_clicks_re_engage() -> None:
    assert reengaging_id([click("ua", NOW - HOUR)]) is None
    assert reengaging_id([impression("rt-i", NOW - HOUR, is_retargeting=True)]) is None


def test_r23_probabilistic_matches_never_re_engage() -> None:
    assert reengaging_id([prob_click("p", NOW - HOUR, is_retargeting=True)]) is None


def test_r23_click_of_another_device_does_not_re_engage() -> None:
    touch = click("rt", NOW - HOUR, is_retargeting=True, identifiers=OTHER_DEVICE_IDS)
    assert reengaging_id([touch]) is None


def test_r23_click_must_come_after_the_latest_install() -> None:
    history = known_device(NOW - 2 * DAY)
    assert reengaging_id([click("rt", NOW - 2 * DAY, is_retargeting=True)], history) is None
    assert reengaging_id([click("rt", NOW - 2 * DAY + 1, is_retargeting=True)], history) == "rt"


def test_r23_unknown_or_blocked_devices_never_re_engage() -> None:
    touches = [click("rt", NOW - HOUR, is_retargeting=True)]
    assert reengaging_id(touches, None) is None
    assert reengaging_id(touches, dataclasses.replace(INSTALLED, known=False)) is None
    assert reengaging_id(touches, dataclasses.replace(INSTALLED, blocked=True)) is None


def test_r23_each_touch_re_engages_at_most_once() -> None:
    touches = [
        click("rt-1", NOW - HOUR, is_retargeting=True),
        click("rt-2", NOW - 2 * HOUR, is_retargeting=True),
    ]
    assert reengaging_id(touches) == "rt-1"
    assert reengaging_id(touches, used=frozenset({"rt-1"})) == "rt-2"
    assert reengaging_id(touches, used=frozenset({"rt-1", "rt-2"})) is None


def test_r23_with_r21_inactivity_before_the_click() -> None:
    settings = dataclasses.replace(DEFAULTS, inactivity_period_ms=7 * DAY)
    touch_time = NOW - HOUR
    touches = [click("rt", touch_time, is_retargeting=True)]
    enough = dataclasses.replace(INSTALLED, last_activity_time=touch_time - 7 * DAY)
    too_recent = dataclasses.replace(INSTALLED, last_activity_time=touch_time - 7 * DAY + 1)
    assert reengaging_id(touches, enough, settings) == "rt"
    assert reengaging_id(touches, too_recent, settings) is None


def test_r23_window_opens_at_the_session_time() -> None:
    matched = is_reengagement(
        session(NOW), [click("rt", NOW - HOUR, is_retargeting=True)], DEFAULTS, INSTALLED
    )
    assert matched is not None
    reengagement = open_reengagement(session(NOW), matched, DEFAULTS)
    assert (reengagement.reengagement_time, reengagement.window_end) == (NOW, NOW + 30 * DAY)
    assert reengagement.touch.touch_id == "rt"
