"""Event time versus receive time: which timestamps are believable (R1, R3, R4).

Decisions use event time only (R1), so an event time must be bounded: a
clock far in the future or past would otherwise place a touch inside (or
outside) any window at will. These bounds are fixed by the spec, not per app.
"""

from __future__ import annotations

from typing import Final

#: R3: an event time more than this after its receive time is rejected.
MAX_FUTURE_MS: Final = 10 * 60_000
#: R3: an event time more than this before its receive time is rejected.
MAX_PAST_MS: Final = 400 * 86_400_000

#: R4: ``decision_delay`` (a deployment setting): default and inclusive range.
DEFAULT_DECISION_DELAY_MS: Final = 1_000
DECISION_DELAY_RANGE_MS: Final = (0, 60_000)


def event_time_problem(event_time: int, received_time: int) -> str | None:
    """Why ``event_time`` is refused (R3), or ``None`` when it is acceptable.

    Both bounds are inclusive: exactly 10 minutes ahead or 400 days behind
    is accepted ("more than" is refused).
    """
    if event_time - received_time > MAX_FUTURE_MS:
        return "timestamp more than 10m in the future"
    if received_time - event_time > MAX_PAST_MS:
        return "timestamp more than 400d in the past"
    return None
