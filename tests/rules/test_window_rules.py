"""R8–R12: lookback windows, overrides and clamping; boundaries are inclusive."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from rules_builders import (
    DAY,
    DEFAULTS,
    DEVICE_IDS,
    HOUR,
    MINUTE,
    T0,
    click,
    impression,
    install,
    prob_click,
    prob_impression,
)

from attrib.rules.decide import decide
from attrib.rules.model import MediaSourceWindows, RuleSettings, Touch


def winner_and_lookback(
    touch: Touch, settings: RuleSettings = DEFAULTS, **install_fields: Any
) -> tuple[str | None, str | None]:
    decision = decide(install(**install_fields), [touch], settings, None)
    return (decision.winner.touch_id if decision.winner else None), decision.lookback


@pytest.mark.parametrize(
    ("referrer", "identifiers"),
    [(None, DEVICE_IDS), ("c1", {})],
    ids=["id", "referrer"],
)
def test_r8_click_lookback_7d_inclusive(referrer: str | None, identifiers: dict[str, str]) -> None:
    inside = click("c1", T0 - 7 * DAY, identifiers=identifiers)
    outside = click("c1", T0 - 7 * DAY - 1, identifiers=identifiers)
    assert winner_and_lookback(inside, referrer_touch_id=referrer) == ("c1", "7d")
    assert winner_and_lookback(outside, referrer_touch_id=referrer) == (None, None)


def test_r9_view_lookback_24h_for_id_impressions() -> None:
    assert winner_and_lookback(impression("i1", T0 - 24 * HOUR)) == ("i1", "24h")
    assert winner_and_lookback(impression("i1", T0 - 24 * HOUR - 1)) == (None, None)


def test_r10_probabilistic_click_lookback_24h() -> None:
    assert winner_and_lookback(prob_click("p1", T0 - 24 * HOUR)) == ("p1", "24h")
    assert winner_and_lookback(prob_click("p1", T0 - 24 * HOUR - 1)) == (None, None)


def test_r10_probabilistic_impressions_are_off_by_default() -> None:
    assert winner_and_lookback(prob_impression("p1", T0)) == (None, None)


def test_r10_probabilistic_view_lookback_when_switched_on() -> None:
    on = dataclasses.replace(DEFAULTS, probabilistic_view_lookback_ms=HOUR)
    assert winner_and_lookback(prob_impression("p1", T0 - HOUR), on) == ("p1", "1h")
    assert winner_and_lookback(prob_impression("p1", T0 - HOUR - 1), on) == (None, None)


def test_r11_media_source_click_lookback_overrides_the_apps() -> None:
    settings = dataclasses.replace(
        DEFAULTS, per_media_source={"netA": MediaSourceWindows(click_lookback_ms=DAY)}
    )
    assert winner_and_lookback(click("a", T0 - DAY), settings) == ("a", "24h")
    assert winner_and_lookback(click("a", T0 - DAY - 1), settings) == (None, None)
    other_source = click("b", T0 - 6 * DAY, media_source="netB")
    assert winner_and_lookback(other_source, settings) == ("b", "7d")


def test_r11_media_source_view_lookback_overrides_the_apps() -> None:
    settings = dataclasses.replace(
        DEFAULTS, per_media_source={"netA": MediaSourceWindows(view_lookback_ms=2 * HOUR)}
    )
    assert winner_and_lookback(impression("i", T0 - 2 * HOUR), settings) == ("i", "2h")
    assert winner_and_lookback(impression("i", T0 - 2 * HOUR - 1), settings) == (None, None)


def test_r11_link_lookback_overrides_media_source_and_app() -> None:
    settings = dataclasses.replace(
        DEFAULTS, per_media_source={"netA": MediaSourceWindows(click_lookback_ms=DAY)}
    )
    link = click("a", T0 - 12 * HOUR, click_lookback_ms=12 * HOUR)
    assert winner_and_lookback(link, settings) == ("a", "12h")
    too_old = click("a", T0 - 12 * HOUR - 1, click_lookback_ms=12 * HOUR)
    assert winner_and_lookback(too_old, settings) == (None, None)


def test_r11_link_view_lookback_applies_to_id_impressions() -> None:
    link = impression("i", T0 - 3 * HOUR, view_lookback_ms=2 * HOUR)
    assert winner_and_lookback(link) == (None, None)
    assert winner_and_lookback(impression("i", T0 - 2 * HOUR, view_lookback_ms=2 * HOUR)) == (
        "i",
        "2h",
    )


def test_r11_overrides_never_apply_to_probabilistic_matches() -> None:
    settings = dataclasses.replace(
        DEFAULTS, per_media_source={"netA": MediaSourceWindows(click_lookback_ms=7 * DAY)}
    )
    long_link = prob_click("p", T0 - 2 * DAY, click_lookback_ms=7 * DAY)
    assert winner_and_lookback(long_link, settings) == (None, None)
    short_link = prob_click("p", T0 - 20 * HOUR, click_lookback_ms=HOUR)
    assert winner_and_lookback(short_link, settings) == ("p", "24h")


def test_r12_link_click_lookback_above_range_is_clamped_to_30d() -> None:
    assert winner_and_lookback(click("a", T0 - 30 * DAY, click_lookback_ms=90 * DAY)) == (
        "a",
        "30d",
    )
    assert winner_and_lookback(click("a", T0 - 30 * DAY - 1, click_lookback_ms=90 * DAY)) == (
        None,
        None,
    )


def test_r12_link_click_lookback_below_range_is_clamped_to_1h() -> None:
    assert winner_and_lookback(click("a", T0 - HOUR, click_lookback_ms=10 * MINUTE)) == ("a", "1h")


def test_r12_link_view_lookback_above_range_is_clamped_to_24h() -> None:
    touch = impression("i", T0 - 24 * HOUR - 1, view_lookback_ms=48 * HOUR)
    assert winner_and_lookback(touch) == (None, None)
    assert winner_and_lookback(impression("i", T0 - 24 * HOUR, view_lookback_ms=48 * HOUR)) == (
        "i",
        "24h",
    )


@pytest.mark.parametrize(
    ("window", "recorded"),
    [(36 * HOUR, "36h"), (2 * DAY, "2d"), (24 * HOUR, "24h"), (90 * MINUTE, "90m")],
)
def test_r12_lookback_records_the_window_applied(window: int, recorded: str) -> None:
    assert winner_and_lookback(click("a", T0 - HOUR, click_lookback_ms=window)) == ("a", recorded)
