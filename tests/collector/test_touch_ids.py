"""Touch ids: unique, URL-safe, time-ordered."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from attrib.collector.touch_ids import TOUCH_ID_LENGTH, new_touch_id, touch_id_time_ms

T0 = 1_764_000_000_000


def test_ids_are_unique_url_safe_and_carry_their_time() -> None:
    ids = [new_touch_id(T0) for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    for touch_id in ids[:100]:
        assert len(touch_id) == TOUCH_ID_LENGTH
        assert quote(touch_id, safe="") == touch_id
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", touch_id)
        assert touch_id_time_ms(touch_id) == T0


def test_ids_sort_by_time() -> None:
    ids = [new_touch_id(T0 + step) for step in (0, 1, 999, 86_400_000, 10**11)]
    assert ids == sorted(ids)


@pytest.mark.parametrize("bad", ["", "short", "I" * 26, "!" * 26])
def test_time_of_something_that_is_not_a_touch_id_raises(bad: str) -> None:
    with pytest.raises(ValueError, match=r"touch id|Crockford"):
        touch_id_time_ms(bad)


def test_digits_are_the_crockford_base32_of_time_then_random_bits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The digits are exactly the 128-bit value (48 bits of time, 80 random) in base 32."""
    from attrib.collector import touch_ids

    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    cases = [(0, bytes(10)), (2**48 - 1, b"\xff" * 10), (T0, bytes(range(10)))]
    cases += [
        (T0 + i * 7_777_777, bytes((i * 37 + j * 11) % 256 for j in range(10))) for i in range(50)
    ]
    for now_ms, random_bytes in cases:
        monkeypatch.setattr(touch_ids._random, "take", lambda size, r=random_bytes: r[:size])
        value = ((now_ms << 80) | int.from_bytes(random_bytes, "big")) << 2
        expected = "".join(alphabet[(value >> (125 - 5 * i)) & 31] for i in range(26))
        assert new_touch_id(now_ms) == expected
