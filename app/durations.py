"""Durations as written in configurations and links: ``30s``, ``12h``, ``7d``.

Everything inside the platform carries durations as integer milliseconds;
this module is the one place that converts between the two forms.
"""

from __future__ import annotations

import re

_UNIT_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_PATTERN = re.compile(r"^\s*(\d{1,9})\s*(ms|s|m|h|d)\s*$")


class DurationError(ValueError):
    """A duration string that is not ``<integer><unit>``."""


def parse_duration(text: str) -> int:
    """Return the duration ``text`` (``"7d"``, ``"12h"``, ``"30s"``) in milliseconds.

    Units are ``ms``, ``s``, ``m`` (minutes), ``h`` and ``d``; the number is a
    non-negative integer. Anything else raises :class:`DurationError`.
    """
    if not isinstance(text, str):
        raise DurationError(f"expected a duration string such as '7d', got {type(text).__name__}")
    match = _PATTERN.match(text)
    if match is None:
        raise DurationError(f"invalid duration {text!r}: expected <integer><ms|s|m|h|d>, e.g. '7d'")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def format_duration(ms: int) -> str:
    """Render milliseconds in the largest unit that divides them (``604800000`` → ``7d``)."""
    if ms < 0:
        raise DurationError("durations are never negative")
    for unit in ("d", "h", "m", "s"):
        size = _UNIT_MS[unit]
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"
