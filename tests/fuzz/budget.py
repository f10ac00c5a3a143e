"""Shared budget of the fuzz targets: examples per target, a per-example deadline, a hang guard.

``FUZZ_EXAMPLES`` raises the number of examples of every target (default 200,
what ``make test`` runs in well under a minute for the whole folder).
Hypothesis' deadline only reports a slow example once it has finished, so an
infinite loop is caught by :func:`no_hang` instead: an interval timer that
raises :class:`Hang` in the main thread.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
#: Any one decoder call on bounded input takes microseconds; this is a hang, not a slow run.
HANG_SECONDS = 2.0


class Hang(AssertionError):
    """A decoder call that did not return within :data:`HANG_SECONDS`."""


def fuzz_settings(examples: int = EXAMPLES) -> settings:
    return settings(
        max_examples=examples,
        deadline=timedelta(milliseconds=500),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@contextmanager
def no_hang(seconds: float = HANG_SECONDS) -> Iterator[None]:
    def _alarm(_signum: int, _frame: FrameType | None) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
