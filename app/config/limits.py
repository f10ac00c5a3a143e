"""The numbers of attribution-rules.md and operations.md that bound a configuration.

Defaults (as written in the API document) and ranges (milliseconds, both ends
inclusive) of every per-app window. The ranges serve twice: the admin API
refuses a value outside them (R12) and a tracking link's
``af_click_lookback`` / ``af_viewthrough_lookback`` is clamped to them, which
is what :func:`clamp_window` is for.
"""

from __future__ import annotations

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

#: attribution-rules.md R8–R10, R19, R21, R23: default as written.
ATTRIBUTION_DEFAULTS: dict[str, str] = {
    "click_lookback": "7d",
    "view_lookback": "24h",
    "probabilistic_lookback": "24h",
    "probabilistic_view_lookback": "0h",
    "reattribution_window": "90d",
    "reengagement_window": "30d",
    "inactivity_period": "0d",
}

#: R27, R29: defaults of the fraud section.
MIN_CTIT_DEFAULT = "10s"
MAX_TOUCHES_PER_DEVICE_PER_HOUR_DEFAULT = 50

#: Inclusive ranges in milliseconds, keyed by setting name.
WINDOW_RANGES_MS: dict[str, tuple[int, int]] = {
    "click_lookback": (HOUR_MS, 30 * DAY_MS),
    "view_lookback": (HOUR_MS, DAY_MS),
    "probabilistic_lookback": (HOUR_MS, DAY_MS),
    "probabilistic_view_lookback": (0, DAY_MS),
    "reattribution_window": (DAY_MS, 730 * DAY_MS),
    "reengagement_window": (HOUR_MS, 90 * DAY_MS),
    "inactivity_period": (0, 30 * DAY_MS),
    "min_ctit": (0, HOUR_MS),
}

#: Settings a ``per_media_source`` entry may override (R11).
PER_MEDIA_SOURCE_SETTINGS = ("click_lookback", "view_lookback")

#: operations.md, Limits.
MAX_POSTBACKS = 100
MAX_PUSH_ENDPOINTS = 6

#: R34: the only macros a postback URL may use.
POSTBACK_MACROS: frozenset[str] = frozenset(
    {
        "clickid",
        "touch_id",
        "advertising_id",
        "idfa",
        "android_id",
        "oaid",
        "install_unix_ts",
        "click_ts",
        "event_name",
        "revenue",
        "currency",
        "campaign",
        "adset",
        "ad",
        "site_id",
        "match_type",
        "conversion_type",
        "app_id",
        "delivery_id",
    }
)


def clamp_window(name: str, ms: int) -> int:
    """``ms`` brought inside the range of the window ``name`` (a link override, R12)."""
    low, high = WINDOW_RANGES_MS[name]
    return min(max(ms, low), high)


__all__ = [
    "ATTRIBUTION_DEFAULTS",
    "DAY_MS",
    "HOUR_MS",
    "MAX_POSTBACKS",
    "MAX_PUSH_ENDPOINTS",
    "MAX_TOUCHES_PER_DEVICE_PER_HOUR_DEFAULT",
    "MIN_CTIT_DEFAULT",
    "PER_MEDIA_SOURCE_SETTINGS",
    "POSTBACK_MACROS",
    "WINDOW_RANGES_MS",
    "clamp_window",
]
