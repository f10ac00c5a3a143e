"""The install decision: one pure function from an install and its candidate touches.

Read :func:`decide` top to bottom for the attribution model; the steps are

1. eligibility — each touch is matched to the install (R5–R7,
   :mod:`~attrib.rules.matching`) and kept when it lies inside the window of
   its match type (R2, R8–R12, :mod:`~attrib.rules.windows`);
2. fraud — eligible touches may be rejected (R27–R29, :mod:`~attrib.rules.fraud`)
   and then never win (R30);
3. the conversion — a first install, or a later one after the
   re-attribution window, goes down the waterfall (R13–R18, R20); a later
   install inside the window is a re-attribution to a retargeting touch
   (R19, R21) or else an unattributed reinstall;
4. blocking — an install from a blocked IP or device is ``blocked`` whatever
   step 3 found, and keeps that would-be winner for the record (R31).

The decision depends only on its arguments (R1, R22): event times, never
receive or processing time, and the settings the caller passes (those in
force when the decision is made). Touches are assumed to have unique
``touch_id`` s; a touch given twice (a redelivery) counts once.
"""

from __future__ import annotations

from collections.abc import Sequence

from attrib.rules.fraud import blocked_reason, rejections
from attrib.rules.matching import MatchedTouch, install_profile_of, match_type_of
from attrib.rules.model import (
    PROBABILISTIC,
    ConversionType,
    Decision,
    DeviceHistory,
    Install,
    RejectedTouch,
    RuleSettings,
    Status,
    Touch,
)
from attrib.rules.waterfall import best, contributors, recency_key
from attrib.rules.windows import (
    format_lookback,
    is_inside,
    lookback_ms,
    satisfies_inactivity,
    within_reattribution_window,
)


def eligible_touches(
    install: Install, touches: Sequence[Touch], settings: RuleSettings
) -> list[MatchedTouch]:
    """The touches that match ``install`` and lie inside their window (R2, R5–R12).

    A touch matching outside its window is simply not eligible, not rejected
    (R15): it is not listed anywhere in the decision.
    """
    profile = install_profile_of(install)
    t0 = install.install_time
    seen: set[str] = set()
    out: list[MatchedTouch] = []
    for touch in touches:
        if touch.touch_time > t0 or touch.touch_id in seen:
            continue
        seen.add(touch.touch_id)
        match_type = match_type_of(touch, install, profile)
        if match_type is None:
            continue
        window = lookback_ms(touch, match_type, settings)
        if window is not None and is_inside(touch.touch_time, t0, window):
            out.append(MatchedTouch(touch, match_type, window))
    return out


def _reattribution_candidates(
    valid: list[MatchedTouch], history: DeviceHistory, settings: RuleSettings
) -> list[MatchedTouch]:
    """R19, R21: retargeting touches matched by referrer or id, after enough inactivity.

    Impressions count too, ranked below clicks as in R13 (R19 says "an
    eligible retargeting touch", not a click).
    """
    return [
        c
        for c in valid
        if c.touch.is_retargeting
        and c.match_type != PROBABILISTIC
        and satisfies_inactivity(c.touch.touch_time, history, settings)
    ]


def decide(
    install: Install,
    touches: Sequence[Touch],
    settings: RuleSettings,
    history: DeviceHistory | None,
) -> Decision:
    """The attribution of ``install`` over the candidate ``touches`` (R1–R22, R27–R31).

    ``history`` is what the app knew of the device before this install
    (``None`` for a device never seen: a first install, R18).

    Choices where the rules leave room, following AppsFlyer:

    - A known device's install inside ``reattribution_window`` (R19) with no
      eligible retargeting touch is a ``reinstall`` even when a
      non-retargeting touch is eligible: user-acquisition media does not get
      credit twice for the same device. It lists no contributors (nothing is
      attributed) but does list its rejected touches.
    - A first install (R18) or one after the window (R20) goes down the
      waterfall over every touch, retargeting touches included, and is user
      acquisition (``is_retargeting`` false) even when a retargeting touch wins.
    - R21 (inactivity) applies only to re-attribution, as the rule says; a
      first install won by a retargeting touch is not subject to it.
    - Blocking (R31) overrides every other outcome, reinstalls included, and
      the would-be decision's winner, contributors and rejections are kept.
    - ``rejected_touches`` and ``contributors`` are ordered most recent first,
      ties as in R14, so records are deterministic.
    """
    candidates = eligible_touches(install, touches, settings)
    rejected = rejections(candidates, install, settings) if candidates else {}
    valid = [c for c in candidates if c.touch.touch_id not in rejected] if rejected else candidates

    conversion: ConversionType
    if (
        history is not None
        and history.known
        and within_reattribution_window(install.install_time, history, settings)
    ):
        winner = best(_reattribution_candidates(valid, history, settings))
        conversion = "reattribution" if winner is not None else "reinstall"
    else:
        winner = best(valid)
        conversion = "install"

    status: Status = "organic" if winner is None else "non_organic"
    reason = blocked_reason(install, settings)
    is_retargeting = conversion == "reattribution"
    if reason is not None:
        conversion, status = "blocked", "blocked"

    rejected_touches = tuple(
        RejectedTouch(c.touch.touch_id, c.touch.media_source, rejected[c.touch.touch_id])
        for c in sorted((c for c in candidates if c.touch.touch_id in rejected), key=recency_key)
    )
    if winner is None:
        return Decision(
            conversion_type=conversion,
            status=status,
            rejected_touches=rejected_touches,
            blocked_reason=reason,
        )
    touch = winner.touch
    return Decision(
        conversion_type=conversion,
        status=status,
        winner=touch,
        match_type=winner.match_type,
        lookback=format_lookback(winner.window_ms),
        ctit_seconds=(install.install_time - touch.touch_time) // 1000,
        contributors=contributors(valid, winner),
        rejected_touches=rejected_touches,
        blocked_reason=reason,
        is_retargeting=is_retargeting,
    )
