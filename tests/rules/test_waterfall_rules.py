"""R13–R17: waterfall tiers, tie-break, organic, contributors, CTIT."""

from __future__ import annotations

import dataclasses

from rules_builders import (
    DAY,
    DEFAULTS,
    HOUR,
    MINUTE,
    SECOND,
    T0,
    click,
    impression,
    install,
    prob_click,
    prob_impression,
)

from attrib.rules.decide import decide
from attrib.rules.model import Contributor, Touch

WITH_PROB_VIEWS = dataclasses.replace(DEFAULTS, probabilistic_view_lookback_ms=HOUR)


def winner_id(touches: list[Touch], **install_fields: object) -> str | None:
    decision = decide(install(**install_fields), touches, WITH_PROB_VIEWS, None)
    return decision.winner.touch_id if decision.winner else None


def test_r13_tiers_first_non_empty_wins_over_recency() -> None:
    tier1 = click("tier1-id-click", T0 - 6 * DAY)
    tier2 = prob_click("tier2-prob-click", T0 - HOUR)
    tier3 = impression("tier3-id-impression", T0 - 10 * MINUTE)
    tier4 = prob_impression("tier4-prob-impression", T0 - 5 * MINUTE)
    touches = [tier4, tier3, tier2, tier1]
    assert winner_id(touches) == "tier1-id-click"
    assert winner_id(touches[:3]) == "tier2-prob-click"
    assert winner_id(touches[:2]) == "tier3-id-impression"
    assert winner_id(touches[:1]) == "tier4-prob-impression"
    assert winner_id([]) is None


def test_r13_referrer_click_and_id_click_share_tier_one() -> None:
    referrer = click("by-referrer", T0 - 2 * HOUR, identifiers={})
    by_id = click("by-id", T0 - HOUR)
    assert winner_id([referrer, by_id], referrer_touch_id="by-referrer") == "by-id"


def test_r14_latest_touch_inside_a_tier_wins() -> None:
    older = click("older", T0 - 2 * HOUR)
    newer = click("newer", T0 - 2 * HOUR + 1)
    assert winner_id([newer, older]) == "newer"


def test_r14_at_equal_times_referrer_beats_id() -> None:
    at = T0 - HOUR
    by_id = click("a-by-id", at)
    by_referrer = click("z-by-referrer", at, identifiers={})
    assert winner_id([by_id, by_referrer], referrer_touch_id="z-by-referrer") == "z-by-referrer"


def test_r14_then_the_smallest_touch_id_as_a_string_wins() -> None:
    at = T0 - HOUR
    assert winner_id([click("9", at), click("10", at), click("11", at)]) == "10"


def test_r15_no_eligible_touch_is_organic_even_with_a_match_outside_its_window() -> None:
    decision = decide(install(), [click("stale", T0 - 7 * DAY - 1)], DEFAULTS, None)
    assert decision.conversion_type == "install"
    assert decision.status == "organic"
    assert decision.media_source == "organic"
    assert (decision.winner, decision.match_type, decision.lookback, decision.ctit_seconds) == (
        None,
        None,
        None,
        None,
    )
    assert decision.rejected_touches == ()


def test_r16_contributors_are_three_most_recent_others_of_any_tier() -> None:
    touches = [
        click("winner", T0 - 5 * HOUR, campaign="c-win"),
        prob_click("p-click", T0 - 2 * HOUR, campaign="c-p"),
        impression("i-1", T0 - 30 * MINUTE, campaign="c-i1", media_source="netB"),
        impression("i-2", T0 - 40 * MINUTE),
        click("old-click", T0 - 6 * HOUR),
    ]
    decision = decide(install(), touches, DEFAULTS, None)
    assert decision.winner is not None
    assert decision.winner.touch_id == "winner"
    assert decision.contributors == (
        Contributor("i-1", "impression", T0 - 30 * MINUTE, "netB", "c-i1", "id"),
        Contributor("i-2", "impression", T0 - 40 * MINUTE, "netA", None, "id"),
        Contributor("p-click", "click", T0 - 2 * HOUR, "netA", "c-p", "probabilistic"),
    )


def test_r16_contributors_leave_out_rejected_and_ineligible_touches() -> None:
    touches = [
        click("winner", T0 - HOUR),
        click("too-fast", T0 - SECOND),  # rejected: ctit_too_short
        click("stale", T0 - 8 * DAY),  # outside its window
        impression("i-1", T0 - 2 * HOUR),
    ]
    decision = decide(install(), touches, DEFAULTS, None)
    assert [c.touch_id for c in decision.contributors] == ["i-1"]
    assert [r.touch_id for r in decision.rejected_touches] == ["too-fast"]


def test_r16_no_contributors_without_other_eligible_touches() -> None:
    assert decide(install(), [click("only", T0 - HOUR)], DEFAULTS, None).contributors == ()


def test_r17_ctit_is_whole_seconds_from_touch_to_t0() -> None:
    decision = decide(install(), [click("c", T0 - 90 * SECOND - 500)], DEFAULTS, None)
    assert decision.ctit_seconds == 90
    assert decide(install(), [click("c", T0 - 3 * DAY)], DEFAULTS, None).ctit_seconds == 259_200
