"""Ranking eligible touches: the waterfall tiers (R13), the tie-break (R14), contributors (R16).

Ranking is a total order on ``(tier, -time, match rank, touch_id)``, so the
winner never depends on the order touches were received in (R1, R14):
replays and re-partitioned streams decide the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from attrib.rules.matching import MatchedTouch
from attrib.rules.model import CLICK, ID, PROBABILISTIC, REFERRER, Contributor, MatchType

#: R14: at equal times ``referrer`` beats ``id`` (and both beat ``probabilistic``,
#: which only meets them across tiers, or as contributors).
MATCH_RANK: Final[dict[str, int]] = {REFERRER: 0, ID: 1, PROBABILISTIC: 2}

#: R16: how many contributors a decision lists.
MAX_CONTRIBUTORS: Final = 3


def tier(touch_type: str, match_type: MatchType) -> int:
    """R13 tier, 1 (best) to 4: referrer/id clicks, probabilistic clicks,
    id impressions, probabilistic impressions. (5, organic, is the absence of all.)
    """
    base = 1 if touch_type == CLICK else 3
    return base + 1 if match_type == PROBABILISTIC else base


def _waterfall_key(candidate: MatchedTouch) -> tuple[int, int, int, str]:
    touch = candidate.touch
    return (
        tier(touch.touch_type, candidate.match_type),
        -touch.touch_time,
        MATCH_RANK[candidate.match_type],
        touch.touch_id,
    )


def recency_key(candidate: MatchedTouch) -> tuple[int, int, str]:
    """Most recent first; at equal times the R14 tie-break (referrer, id, then touch_id)."""
    touch = candidate.touch
    return (-touch.touch_time, MATCH_RANK[candidate.match_type], touch.touch_id)


def best(candidates: Iterable[MatchedTouch]) -> MatchedTouch | None:
    """The winner: first non-empty tier, latest inside it, ties by R14; ``None`` if empty."""
    return min(candidates, key=_waterfall_key, default=None)


def contributors(
    candidates: Iterable[MatchedTouch], winner: MatchedTouch | None
) -> tuple[Contributor, ...]:
    """Up to 3 other eligible, non-rejected touches of any tier, most recent first (R16)."""
    winner_id = winner.touch.touch_id if winner is not None else None
    others = sorted(
        (c for c in candidates if c.touch.touch_id != winner_id),
        key=recency_key,
    )[:MAX_CONTRIBUTORS]
    return tuple(
        Contributor(
            touch_id=c.touch.touch_id,
            touch_type=c.touch.touch_type,
            touch_time=c.touch.touch_time,
            media_source=c.touch.media_source,
            campaign=c.touch.campaign,
            match_type=c.match_type,
        )
        for c in others
    )
