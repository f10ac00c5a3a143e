"""Touch ids: unique, URL-safe and ordered by creation time.

A touch id travels in the Play install referrer and is compared as a string
when two touches tie (R14), so it is 26 characters of Crockford base32 (no
characters that need URL-encoding, no ambiguous ``I L O U``) over 128 bits:
48 bits of epoch milliseconds, then 80 random bits. Sorting ids sorts touches
by the time the collector received them; the random part makes ids of the
same millisecond unique across collectors without coordination, and makes a
touch id impossible to guess (a referrer naming someone else's click would
steal its attribution), hence the operating system's CSPRNG rather than
:mod:`random`.

The random bytes are read from the OS in blocks, not per id: one system call
per id was a visible share of a click's cost. A forked child starts with a
fresh block, so two processes never hand out the same bytes.
"""

from __future__ import annotations

import os
from typing import Final

_CROCKFORD: Final = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two digits per lookup: 26 digits are 13 lookups of 10 bits.
_PAIRS: Final = tuple(chr(_CROCKFORD[i >> 5]) + chr(_CROCKFORD[i & 31]) for i in range(1024))
_WORD: Final = (1 << 30) - 1
_TIME_MASK: Final = (1 << 48) - 1
_RANDOM_BYTES: Final = 10
_BLOCK: Final = _RANDOM_BYTES * 512
TOUCH_ID_LENGTH: Final = 26


class _RandomBlocks:
    """Slices of CSPRNG output, ``size`` bytes at a time."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._block = b""
        self._offset = 0

    def take(self, size: int) -> bytes:
        start = self._offset
        if start + size > len(self._block):
            self._block = os.urandom(_BLOCK)
            start = 0
        self._offset = start + size
        return self._block[start : start + size]


_random = _RandomBlocks()
os.register_at_fork(after_in_child=_random.reset)


def new_touch_id(now_ms: int) -> str:
    """A fresh touch id for a touch received at ``now_ms`` (epoch milliseconds)."""
    random_part = int.from_bytes(_random.take(_RANDOM_BYTES), "big")
    # 128 bits, shifted left by 2 to fill 26 digits of 5 bits (130 bits): 13 pairs of
    # digits, taken from four 30-bit words and the top 10 bits, so that the shifts and
    # masks are on small integers (once per click: this is twice as fast as 13 shifts
    # of the 130-bit value).
    value = (((now_ms & _TIME_MASK) << (_RANDOM_BYTES * 8)) | random_part) << 2
    p = _PAIRS
    b = (value >> 90) & _WORD
    c = (value >> 60) & _WORD
    d = (value >> 30) & _WORD
    e = value & _WORD
    return "".join(
        (
            p[value >> 120],
            p[b >> 20],
            p[(b >> 10) & 1023],
            p[b & 1023],
            p[c >> 20],
            p[(c >> 10) & 1023],
            p[c & 1023],
            p[d >> 20],
            p[(d >> 10) & 1023],
            p[d & 1023],
            p[e >> 20],
            p[(e >> 10) & 1023],
            p[e & 1023],
        )
    )


def touch_id_time_ms(touch_id: str) -> int:
    """The receive time (epoch ms) encoded in ``touch_id``; ``ValueError`` if it is not one."""
    if len(touch_id) != TOUCH_ID_LENGTH:
        raise ValueError(f"a touch id has {TOUCH_ID_LENGTH} characters")
    value = 0
    for char in touch_id.upper().encode("ascii"):
        digit = _CROCKFORD.find(bytes([char]))
        if digit < 0:
            raise ValueError(f"{chr(char)!r} is not a Crockford base32 digit")
        value = (value << 5) | digit
    # 26 digits carry 130 bits: the last two are padding of the 128-bit value.
    return (value >> 2) >> (_RANDOM_BYTES * 8)


__all__ = ["TOUCH_ID_LENGTH", "new_touch_id", "touch_id_time_ms"]
