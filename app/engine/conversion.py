"""The conversion-data answer (http-api.md, R37) for a device's latest decision.

The answer is computed when the decision is made and filed under every id of
the device (``app_id|value`` for each valid identifier), because the SDK may
ask with any of them.
"""

from __future__ import annotations

import functools
import json
from datetime import date, timedelta
from typing import Any

from attrib.keys import KEY_SEPARATOR


def format_time(ms: int | None) -> str | None:
    """``yyyy-mm-dd hh:mm:ss.sss`` UTC, as the API shows times.

    The date is formatted once per day, the time of day by arithmetic: ``strftime``
    per call was a percent of the worker's samples (every decision formats a few).
    """
    if ms is None:
        return None
    day, rest = divmod(ms, 86_400_000)
    hour, rest = divmod(rest, 3_600_000)
    minute, rest = divmod(rest, 60_000)
    second, milli = divmod(rest, 1000)
    return f"{_date_of_day(day)} {hour:02d}:{minute:02d}:{second:02d}.{milli:03d}"


@functools.lru_cache(maxsize=64)
def _date_of_day(day: int) -> str:
    """``yyyy-mm-dd`` of a day counted from the epoch (UTC)."""
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat()


def conversion_key(app_id: str, identifier_value: str) -> str:
    return f"{app_id}{KEY_SEPARATOR}{identifier_value.strip().lower()}"


def install_answer(attribution: dict[str, Any], *, is_first_launch: bool = True) -> dict[str, Any]:
    """The answer for an install decision; null fields omitted."""
    answer = {
        "status": attribution["status"],
        "media_source": attribution["media_source"],
        "campaign": attribution.get("campaign"),
        "adset": attribution.get("adset"),
        "ad": attribution.get("ad"),
        "touch_type": attribution.get("touch_type"),
        "touch_time": format_time(attribution.get("touch_time")),
        "install_time": format_time(attribution["install_time"]),
        "match_type": attribution.get("match_type"),
        "is_first_launch": is_first_launch,
        "is_retargeting": attribution["is_retargeting"],
        "conversion_type": attribution["conversion_type"],
    }
    return {k: v for k, v in answer.items() if v is not None}


def reengagement_answer(
    reengagement: dict[str, Any], touch_type: str, install_time: int
) -> dict[str, Any]:
    """The answer for a re-engagement (``reengagements`` record): the device's latest decision."""
    answer = {
        "status": "non_organic",
        "media_source": reengagement["media_source"],
        "campaign": reengagement.get("campaign"),
        "adset": reengagement.get("adset"),
        "ad": reengagement.get("ad"),
        "touch_type": touch_type,
        "touch_time": format_time(reengagement["touch_time"]),
        "install_time": format_time(install_time),
        "match_type": reengagement.get("match_type"),
        "is_first_launch": False,
        "is_retargeting": True,
        "conversion_type": "reengagement",
    }
    return {k: v for k, v in answer.items() if v is not None}


def answer_json(answer: dict[str, Any]) -> str:
    return json.dumps(answer, separators=(",", ":"), sort_keys=True)
