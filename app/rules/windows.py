"""Time windows of the rules: lookbacks (R2, R8–R12), re-attribution (R19, R20),
inactivity (R21) and re-engagement (R23).

Every window is inclusive at both ends: a touch at ``t`` is inside the window
``W`` of an install at ``T0`` when ``T0 - W <= t <= T0``; so a touch after T0
is never inside (R2).

Which window applies depends on how the touch matched. For referrer and id
matches a link's own lookback beats the media source's, which beats the
app's (R11); the link's value is clamped into the rule's range (R12) and so
is a media source's, defensively (the admin API already refuses it out of
range). Probabilistic matches always use the app's probabilistic windows:
AppsFlyer documents probabilistic windows as not configurable per link or
per source, and R11 says so.
"""

from __future__ import annotations

from typing import Final

from attrib.config.limits import DAY_MS, HOUR_MS, WINDOW_RANGES_MS
from attrib.durations import format_duration
from attrib.rules.model import CLICK, PROBABILISTIC, DeviceHistory, MatchType, RuleSettings, Touch

_CLICK_MIN, _CLICK_MAX = WINDOW_RANGES_MS["click_lookback"]
_VIEW_MIN, _VIEW_MAX = WINDOW_RANGES_MS["view_lookback"]

#: R29 counts engagements in the hour before T0.
ENGAGEMENT_COUNT_WINDOW_MS: Final = 3_600_000


def _clamp(ms: int, low: int, high: int) -> int:
    return low if ms < low else high if ms > high else ms


def lookback_ms(touch: Touch, match_type: MatchType, settings: RuleSettings) -> int | None:
    """The window applied to ``touch`` matched by ``match_type``; ``None`` when switched off.

    Only ``probabilistic_view_lookback`` can be off (``0h``, R10): a zero
    window would otherwise still admit a touch at exactly T0.
    """
    if match_type == PROBABILISTIC:
        if touch.touch_type == CLICK:
            return settings.probabilistic_lookback_ms
        return settings.probabilistic_view_lookback_ms or None
    source = settings.per_media_source.get(touch.media_source)
    if touch.touch_type == CLICK:
        if touch.click_lookback_ms is not None:
            return _clamp(touch.click_lookback_ms, _CLICK_MIN, _CLICK_MAX)
        if source is not None and source.click_lookback_ms is not None:
            return _clamp(source.click_lookback_ms, _CLICK_MIN, _CLICK_MAX)
        return settings.click_lookback_ms
    if touch.view_lookback_ms is not None:
        return _clamp(touch.view_lookback_ms, _VIEW_MIN, _VIEW_MAX)
    if source is not None and source.view_lookback_ms is not None:
        return _clamp(source.view_lookback_ms, _VIEW_MIN, _VIEW_MAX)
    return settings.view_lookback_ms


def format_lookback(window_ms: int) -> str:
    """The ``lookback`` recorded for a window (R12): ``7d``, ``24h``, ``36h``, ``90m``.

    Windows up to a day are written in hours, as the spec writes the view and
    probabilistic windows (``24h``, not ``1d``); longer ones in days when whole.
    """
    if window_ms <= DAY_MS and window_ms % HOUR_MS == 0:
        return f"{window_ms // HOUR_MS}h"
    return format_duration(window_ms)


def is_inside(touch_time: int, end: int, window_ms: int) -> bool:
    """``end - window_ms <= touch_time <= end``: both ends inclusive, never after ``end`` (R2)."""
    return end - window_ms <= touch_time <= end


def within_reattribution_window(
    install_time: int, history: DeviceHistory, settings: RuleSettings
) -> bool:
    """Whether a later install falls inside ``reattribution_window`` (R19; after it, R20).

    Counted from the install that created the current attribution; the end
    is inclusive like every window. An install timed before that one (a
    replay out of order) is inside.
    """
    return install_time - history.attribution_install_time <= settings.reattribution_window_ms


def satisfies_inactivity(touch_time: int, history: DeviceHistory, settings: RuleSettings) -> bool:
    """R21: the device's last activity is at least ``inactivity_period`` before the touch.

    ``0`` switches the condition off. ``history.last_activity_time`` is the
    latest activity before the install or session being decided; a device
    active after the touch has had its chance to re-engage with it already.
    """
    period = settings.inactivity_period_ms
    return period == 0 or touch_time - history.last_activity_time >= period


def reengagement_window_end(reengagement_time: int, settings: RuleSettings) -> int:
    """The last instant (inclusive) of the re-engagement window opened at ``reengagement_time``."""
    return reengagement_time + settings.reengagement_window_ms
