"""Re-engagement (R23): a session of a known device that a retargeting click brought back.

The caller keeps the state that makes a touch re-engage at most once (the
ids of touches already used) and the device's history; this module only
says whether a given session is a re-engagement, and by which click.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from attrib.rules.matching import MatchedTouch, match_by_referrer_or_id
from attrib.rules.model import CLICK, DeviceHistory, Reengagement, RuleSettings, Session, Touch
from attrib.rules.waterfall import best
from attrib.rules.windows import (
    is_inside,
    lookback_ms,
    reengagement_window_end,
    satisfies_inactivity,
)


def is_reengagement(
    session: Session,
    touches: Sequence[Touch],
    settings: RuleSettings,
    history: DeviceHistory | None,
    used_touch_ids: Collection[str] = frozenset(),
) -> MatchedTouch | None:
    """The retargeting click that makes ``session`` a re-engagement, or ``None`` (R23).

    Eligible: a click of the same app with ``is_retargeting``, matched to the
    session by referrer (a deep link naming it) or id — probabilistic matches
    never re-engage, as in AppsFlyer — inside its click lookback counted back
    from the session (link and media-source overrides apply, R11), strictly
    after the device's latest install (a click before it belongs to that
    install's decision, R19), satisfying R21, and not in ``used_touch_ids``.
    The device must be known and its latest install not blocked. Among several,
    the latest wins, ties as in R14.

    Fraud rules (R27–R29) are install rules and are not applied here, as the
    spec names none for re-engagements.
    """
    if history is None or not history.known or history.blocked:
        return None
    at = session.session_time
    candidates: list[MatchedTouch] = []
    for touch in touches:
        if (
            touch.touch_type != CLICK
            or not touch.is_retargeting
            or touch.app_id != session.app_id
            or touch.touch_id in used_touch_ids
            or touch.touch_time <= history.last_install_time
        ):
            continue
        match_type = match_by_referrer_or_id(touch, session.referrer_touch_id, session.identifiers)
        if match_type is None:
            continue
        window = lookback_ms(touch, match_type, settings)
        if (
            window is not None
            and is_inside(touch.touch_time, at, window)
            and satisfies_inactivity(touch.touch_time, history, settings)
        ):
            candidates.append(MatchedTouch(touch, match_type, window))
    return best(candidates)


def open_reengagement(
    session: Session, matched: MatchedTouch, settings: RuleSettings
) -> Reengagement:
    """The re-engagement ``matched`` makes of ``session``: its window opens at the session (R23)."""
    return Reengagement(
        touch=matched.touch,
        match_type=matched.match_type,
        reengagement_time=session.session_time,
        window_end=reengagement_window_end(session.session_time, settings),
    )
