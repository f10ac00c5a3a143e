"""R35's outcome of an attempt and when the next one is due (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from attrib.delivery.model import DEAD, DELIVERED, FAILED, RETRY
from attrib.durations import parse_duration

DEFAULT_SCHEDULE = "1m,5m,15m,30m,60m"


def parse_schedule(text: str) -> tuple[int, ...]:
    """``"1m,5m"`` -> ``(60000, 300000)``; raises ``ValueError`` on a bad entry."""
    delays = tuple(parse_duration(part) for part in text.split(",") if part.strip())
    if any(d <= 0 for d in delays):
        raise ValueError("every retry delay must be positive")
    return delays


def retryable(http_status: int | None) -> bool:
    """A timeout or connection error (``None``), 429 or 5xx is retried."""
    return http_status is None or http_status == 429 or 500 <= http_status <= 599


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str  # delivered | retry | failed | dead
    next_attempt_ms: int | None = None


def judge(
    http_status: int | None, attempt: int, attempted_ms: int, schedule: tuple[int, ...]
) -> Verdict:
    """The status of attempt number ``attempt`` (from 1) and the next attempt's time."""
    if http_status is not None and 200 <= http_status <= 299:
        return Verdict(DELIVERED)
    if not retryable(http_status):
        return Verdict(FAILED)
    if attempt > len(schedule):
        return Verdict(DEAD)
    return Verdict(RETRY, attempted_ms + schedule[attempt - 1])


__all__ = ["DEFAULT_SCHEDULE", "Verdict", "judge", "parse_schedule", "retryable"]
