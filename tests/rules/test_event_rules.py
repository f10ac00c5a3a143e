"""R24 (with R19, R31): the attribution records of an in-app event."""

from __future__ import annotations

from rules_builders import DAY, HOUR, T0, click

from attrib.rules.events import event_attributions
from attrib.rules.model import Decision, Reengagement

UA_CLICK = click("ua", T0 - HOUR, media_source="netA")
RT_CLICK = click("rt", T0 + 10 * DAY, media_source="netR", is_retargeting=True)
INSTALLED = Decision("install", "non_organic", winner=UA_CLICK, match_type="id", lookback="7d")
REENGAGED = Reengagement(RT_CLICK, "id", reengagement_time=T0 + 11 * DAY, window_end=T0 + 41 * DAY)


def summary(
    event_time: int, decision: Decision, reengagement: Reengagement | None = None
) -> list[tuple[str, bool, str, str, str | None]]:
    """(kind, primary, conversion type, media source, blocked reason) of each record."""
    return [
        (a.attribution_kind, a.is_primary, a.conversion_type, a.media_source, a.blocked_reason)
        for a in event_attributions(event_time, decision, reengagement)
    ]


def test_r24_event_goes_to_the_acquisition_attribution() -> None:
    assert summary(T0 + DAY, INSTALLED) == [("user_acquisition", True, "install", "netA", None)]


def test_r24_inside_a_reengagement_window_the_retargeting_record_is_primary() -> None:
    expected = [
        ("retargeting", True, "reengagement", "netR", None),
        ("user_acquisition", False, "install", "netA", None),
    ]
    assert summary(REENGAGED.reengagement_time, INSTALLED, REENGAGED) == expected
    assert summary(REENGAGED.window_end, INSTALLED, REENGAGED) == expected


def test_r24_outside_the_reengagement_window_acquisition_is_primary_again() -> None:
    only_acquisition = [("user_acquisition", True, "install", "netA", None)]
    assert summary(REENGAGED.window_end + 1, INSTALLED, REENGAGED) == only_acquisition
    assert summary(REENGAGED.reengagement_time - 1, INSTALLED, REENGAGED) == only_acquisition


def test_r24_retargeting_record_carries_the_reengaging_touch() -> None:
    first = event_attributions(REENGAGED.reengagement_time, INSTALLED, REENGAGED)[0]
    assert (first.touch, first.match_type) == (RT_CLICK, "id")


def test_r24_organic_install_events_are_organic() -> None:
    organic = Decision("install", "organic")
    assert summary(T0 + DAY, organic) == [("user_acquisition", True, "install", "organic", None)]


def test_r24_r19_events_after_a_reattribution_go_to_it_as_retargeting() -> None:
    reattributed = Decision(
        "reattribution", "non_organic", winner=RT_CLICK, match_type="id", is_retargeting=True
    )
    assert summary(T0 + 20 * DAY, reattributed) == [
        ("retargeting", True, "reattribution", "netR", None)
    ]


def test_r24_r19_events_after_a_reinstall_are_organic() -> None:
    assert summary(T0 + DAY, Decision("reinstall", "organic")) == [
        ("user_acquisition", True, "reinstall", "organic", None)
    ]


def test_r24_r31_blocked_install_events_carry_the_reason_and_never_double() -> None:
    blocked = Decision(
        "blocked", "blocked", winner=UA_CLICK, match_type="id", blocked_reason="ip_blocklist"
    )
    assert summary(REENGAGED.reengagement_time, blocked, REENGAGED) == [
        ("user_acquisition", True, "blocked", "netA", "ip_blocklist")
    ]


def test_r24_reengagement_after_a_reattribution_yields_one_retargeting_record() -> None:
    reattributed = Decision(
        "reattribution", "non_organic", winner=UA_CLICK, match_type="id", is_retargeting=True
    )
    assert summary(REENGAGED.reengagement_time, reattributed, REENGAGED) == [
        ("retargeting", True, "reengagement", "netR", None)
    ]
