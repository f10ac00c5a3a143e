"""R27–R31: short CTIT, click injection, engagement flooding, rejected touches, blocklists."""

from __future__ import annotations

import dataclasses

import pytest
from rules_builders import (
    DAY,
    DEFAULTS,
    GAID,
    HOUR,
    MINUTE,
    SECOND,
    T0,
    click,
    impression,
    install,
    known_device,
    prob_click,
)

from attrib.rules.decide import decide
from attrib.rules.fraud import normalise_blocked_devices, parse_ip_blocklist
from attrib.rules.model import RejectedTouch, Touch


def flood(source: str, count: int, *, first: int = T0 - HOUR, step: int = SECOND) -> list[Touch]:
    return [
        impression(f"{source}-{i:03d}", first + i * step, media_source=source) for i in range(count)
    ]


def test_r27_click_with_ctit_shorter_than_min_ctit_is_rejected() -> None:
    fast = click("fast", T0 - 10 * SECOND + 1)
    decision = decide(install(), [fast, click("ok", T0 - HOUR)], DEFAULTS, None)
    assert decision.winner is not None
    assert decision.winner.touch_id == "ok"
    assert decision.rejected_touches == (RejectedTouch("fast", "netA", "ctit_too_short"),)


def test_r27_ctit_exactly_min_ctit_is_accepted() -> None:
    decision = decide(install(), [click("edge", T0 - 10 * SECOND)], DEFAULTS, None)
    assert decision.winner is not None
    assert decision.rejected_touches == ()


def test_r27_applies_to_clicks_only() -> None:
    decision = decide(install(), [impression("i", T0 - SECOND)], DEFAULTS, None)
    assert decision.winner is not None
    assert decision.winner.touch_id == "i"


def test_r27_zero_min_ctit_rejects_nothing() -> None:
    settings = dataclasses.replace(DEFAULTS, min_ctit_ms=0)
    assert decide(install(), [click("c", T0)], settings, None).rejected_touches == ()


def test_r28_click_after_install_begin_is_click_injection() -> None:
    begin = T0 - MINUTE
    touches = [click("injected", begin + 1), click("at-begin", begin)]
    decision = decide(install(install_begin_ts=begin), touches, DEFAULTS, None)
    assert decision.winner is not None
    assert decision.winner.touch_id == "at-begin"
    assert decision.rejected_touches == (RejectedTouch("injected", "netA", "click_injection"),)


def test_r28_takes_precedence_over_short_ctit() -> None:
    decision = decide(
        install(install_begin_ts=T0 - MINUTE), [click("c", T0 - SECOND)], DEFAULTS, None
    )
    assert [r.reason for r in decision.rejected_touches] == ["click_injection"]


def test_r28_without_install_begin_ts_nothing_is_injection() -> None:
    decision = decide(install(install_begin_ts=None), [click("c", T0 - MINUTE)], DEFAULTS, None)
    assert decision.winner is not None


def test_r29_more_than_the_limit_rejects_every_touch_of_the_source() -> None:
    old_click = click("netA-old-click", T0 - 2 * DAY)
    probabilistic = prob_click("netA-prob", T0 - 5 * HOUR)
    rival = click("netB-click", T0 - 3 * DAY, media_source="netB")
    touches = [*flood("netA", 51), old_click, probabilistic, rival]
    decision = decide(install(), touches, DEFAULTS, None)
    assert decision.winner is not None
    assert decision.winner.touch_id == "netB-click"
    reasons = {r.touch_id: r.reason for r in decision.rejected_touches}
    assert len(reasons) == 53
    assert set(reasons.values()) == {"too_many_engagements"}
    assert {"netA-old-click", "netA-prob"} <= reasons.keys()


def test_r29_exactly_the_limit_is_allowed() -> None:
    decision = decide(install(), flood("netA", 50), DEFAULTS, None)
    assert decision.rejected_touches == ()
    assert decision.status == "non_organic"


def test_r29_the_hour_includes_t0_minus_one_hour_and_no_earlier() -> None:
    at_start = flood("netA", 50, first=T0 - HOUR + 1)
    assert decide(install(), [*at_start, impression("edge", T0 - HOUR)], DEFAULTS, None).status == (
        "organic"
    )
    assert decide(
        install(), [*at_start, click("before", T0 - HOUR - 1)], DEFAULTS, None
    ).status == ("non_organic")


def test_r29_probabilistic_matches_do_not_count() -> None:
    prob = [prob_click(f"p{i:02d}", T0 - 50 * MINUTE + i * SECOND) for i in range(20)]
    decision = decide(install(), [*flood("netA", 40), *prob], DEFAULTS, None)
    assert decision.rejected_touches == ()


def test_r29_counts_per_media_source() -> None:
    touches = [*flood("netA", 30), *flood("netB", 30)]
    assert decide(install(), touches, DEFAULTS, None).rejected_touches == ()


def test_r30_all_eligible_touches_rejected_falls_to_organic_with_rejections_listed() -> None:
    touches = [click("c1", T0 - SECOND), click("c2", T0 - 2 * SECOND)]
    decision = decide(install(), touches, DEFAULTS, None)
    assert (decision.status, decision.media_source) == ("organic", "organic")
    assert [(r.touch_id, r.reason) for r in decision.rejected_touches] == [
        ("c1", "ctit_too_short"),
        ("c2", "ctit_too_short"),
    ]


def test_r30_rejected_touch_falls_to_a_lower_tier() -> None:
    touches = [click("fast", T0 - SECOND), impression("i", T0 - HOUR)]
    decision = decide(install(), touches, DEFAULTS, None)
    assert decision.winner is not None
    assert decision.winner.touch_id == "i"


BLOCK_IP = dataclasses.replace(DEFAULTS, ip_blocklist=parse_ip_blocklist(["198.51.100.0/24"]))


def test_r31_ip_blocklist_blocks_and_records_the_would_be_winner() -> None:
    decision = decide(install(), [click("c", T0 - HOUR, campaign="spring")], BLOCK_IP, None)
    assert (decision.conversion_type, decision.status, decision.blocked_reason) == (
        "blocked",
        "blocked",
        "ip_blocklist",
    )
    assert decision.winner is not None
    assert decision.winner.touch_id == "c"
    assert (decision.media_source, decision.lookback, decision.match_type) == ("netA", "7d", "id")


def test_r31_blocked_without_would_be_winner_is_organic_source() -> None:
    decision = decide(install(), [], BLOCK_IP, None)
    assert (decision.conversion_type, decision.media_source) == ("blocked", "organic")


def test_r31_ipv4_mapped_ipv6_address_is_checked_as_ipv4() -> None:
    decision = decide(install(ip="::ffff:198.51.100.7"), [], BLOCK_IP, None)
    assert decision.blocked_reason == "ip_blocklist"


def test_r31_ip_outside_the_blocklist_is_not_blocked() -> None:
    assert decide(install(ip="198.51.101.7"), [], BLOCK_IP, None).conversion_type == "install"


@pytest.mark.parametrize("listed", [GAID.upper(), f"  {GAID} "])
def test_r31_device_blocklist_by_identifier_value(listed: str) -> None:
    settings = dataclasses.replace(DEFAULTS, blocked_devices=normalise_blocked_devices([listed]))
    decision = decide(install(), [click("c", T0 - HOUR)], settings, None)
    assert (decision.conversion_type, decision.blocked_reason) == ("blocked", "device_blocklist")


def test_r31_device_blocklist_by_customer_user_id_ignores_case() -> None:
    settings = dataclasses.replace(
        DEFAULTS, blocked_devices=normalise_blocked_devices(["Fraudster-1"])
    )
    ids = {"advertising_id": GAID, "customer_user_id": "FRAUDSTER-1"}
    assert decide(install(identifiers=ids), [], settings, None).blocked_reason == "device_blocklist"


def test_r31_ip_reason_wins_when_both_lists_apply() -> None:
    both = dataclasses.replace(BLOCK_IP, blocked_devices=frozenset({GAID}))
    assert decide(install(), [], both, None).blocked_reason == "ip_blocklist"


def test_r31_blocking_overrides_a_reattribution_and_keeps_its_winner() -> None:
    touches = [click("rt", T0 - HOUR, is_retargeting=True)]
    decision = decide(install(), touches, BLOCK_IP, known_device(T0 - 30 * DAY))
    assert decision.conversion_type == "blocked"
    assert decision.winner is not None
    assert decision.winner.touch_id == "rt"
    assert decision.is_retargeting is True
