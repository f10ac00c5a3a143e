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
