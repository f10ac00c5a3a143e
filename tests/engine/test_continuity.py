"""The offset continuity diagnostic of the device-inputs agent (app/engine/continuity.py)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from attrib.engine.continuity import OffsetContinuity


def test_consecutive_offsets_skip_nothing() -> None:
    seen = OffsetContinuity()
    assert [seen.observe(0, o) for o in (5, 6, 7)] == [None, None, None]


def test_a_forward_jump_is_the_skipped_range() -> None:
    seen = OffsetContinuity()
    seen.observe(1, 10)
    assert seen.observe(1, 14) == (11, 13)
    assert seen.observe(1, 15) is None


def test_a_replay_and_a_reset_are_not_skips() -> None:
    seen = OffsetContinuity()
    seen.observe(2, 100)
    assert seen.observe(2, 90) is None  # a replay after a restart of the stream
    seen.reset()
    assert seen.observe(2, 500) is None  # a new assignment starts anywhere


def test_partitions_are_counted_apart() -> None:
    seen = OffsetContinuity()
    seen.observe(0, 1)
    seen.observe(1, 50)
    assert seen.observe(0, 2) is None
    assert seen.observe(1, 51) is None


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=200))
def test_skipped_ranges_cover_exactly_the_offsets_jumped_over(offsets: list[int]) -> None:
    seen = OffsetContinuity()
    skipped: set[int] = set()
    previous: int | None = None
    for offset in offsets:
        gap = seen.observe(0, offset)
        if gap is not None:
            skipped.update(range(gap[0], gap[1] + 1))
        expected_gap = previous is not None and offset > previous + 1
        assert (gap is not None) == expected_gap
        previous = offset
    jumped = {o for a, b in itertools.pairwise(offsets) if b > a + 1 for o in range(a + 1, b)}
    assert skipped == jumped
