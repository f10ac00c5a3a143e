"""The packed ids a device remembers for the dedupe window (R26)."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from attrib.engine import remembered_ids as ids

T0 = 1_764_000_000_000
DAY = 86_400_000
EMPTY = (b"", b"")


def test_a_digest_is_matched_on_its_boundaries_only() -> None:
    wanted = ids.digest("c")
    # Two remembered digests whose bytes, read across their boundary, spell "c"'s.
    packed = bytes(4) + wanted[:4] + wanted[4:] + bytes(4)
    assert packed.find(wanted) == 4
    assert not ids.contains(packed, "c")
    assert ids.contains(packed + wanted, "c")  # and found where it is one


def test_the_digest_is_the_signed_long_the_previous_version_stored() -> None:
    assert struct.pack(">q", ids.digest_long("e1")) == ids.digest("e1")


@given(
    remembered=st.lists(st.text(min_size=1, max_size=6), max_size=40),
    others=st.lists(st.text(min_size=1, max_size=6), max_size=20),
)
def test_a_remembered_id_is_seen_and_no_other(remembered: list[str], others: list[str]) -> None:
    packed = EMPTY
    for at, event_id in enumerate(remembered):
        packed = ids.remember(packed, [event_id], [T0 + at], window_ms=30 * DAY, limit=1_000)
    for event_id in [*remembered, *others]:
        assert ids.contains(packed[0], event_id) == (event_id in remembered)
    assert len(packed[0]) == len(packed[1]) == ids.SIZE * len(remembered)


@given(
    times=st.lists(st.integers(0, 40 * DAY), min_size=1, max_size=60),
    window_days=st.integers(1, 30),
)
def test_every_id_inside_the_window_of_the_newest_is_kept(
    times: list[int], window_days: int
) -> None:
    """R26 promises at least the window, in any arrival order."""
    window = window_days * DAY
    packed = EMPTY
    for at, t in enumerate(times):
        packed = ids.remember(packed, [f"id{at}"], [T0 + t], window_ms=window, limit=10_000)
        newest = max(times[: at + 1])
        for earlier, t_earlier in enumerate(times[: at + 1]):
            if t_earlier >= newest - window:
                assert ids.contains(packed[0], f"id{earlier}")


@given(
    gaps=st.lists(st.integers(0, 5 * DAY), min_size=1, max_size=60),
    window_days=st.integers(1, 30),
)
def test_ids_arriving_in_event_time_order_are_kept_no_longer_than_window_and_slack(
    gaps: list[int], window_days: int
) -> None:
    """What bounds the memory: the oldest is pruned once a slack past the window."""
    window = window_days * DAY
    packed = EMPTY
    t = T0
    for at, gap in enumerate(gaps):
        t += gap
        packed = ids.remember(packed, [f"id{at}"], [t], window_ms=window, limit=10_000)
        kept = struct.unpack(f"<{ids.count(packed[0])}q", packed[1])
        assert min(kept) >= t - window - ids.PRUNE_SLACK_MS


def test_ids_are_pruned_once_the_oldest_is_a_slack_past_the_window() -> None:
    packed = ids.remember(EMPTY, ["old"], [T0], window_ms=30 * DAY, limit=10)
    packed = ids.remember(packed, ["a"], [T0 + 30 * DAY + DAY // 2], window_ms=30 * DAY, limit=10)
    assert ids.contains(packed[0], "old")  # inside the slack: kept until the next prune
    packed = ids.remember(packed, ["b"], [T0 + 31 * DAY + 1], window_ms=30 * DAY, limit=10)
    assert not ids.contains(packed[0], "old")
    assert ids.count(packed[0]) == 2


def test_only_the_newest_limit_ids_are_kept() -> None:
    packed = ids.remember(EMPTY, [f"e{i}" for i in range(10)], [T0] * 10, window_ms=DAY, limit=4)
    assert ids.count(packed[0]) == 4
    assert [ids.contains(packed[0], f"e{i}") for i in (5, 6, 9)] == [False, True, True]
