"""Set-aside lookup envelopes (attrib.engine.held_lookups), rule by rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from attrib.engine.held_lookups import HeldLookups

WAIT = 30_000


def through(**by_partition: int | None):  # type: ignore[no-untyped-def]
    return lambda partition: by_partition.get(f"p{partition}")


def test_an_envelope_whose_index_is_complete_is_released_at_once() -> None:
    held: HeldLookups[str] = HeldLookups(max_wait_ms=WAIT)
    held.hold(0, sent_ms=1_000, now_ms=1_001, item="a")
    released = held.release(through(p0=1_000), now_ms=1_002)
    assert released.ready == ["a"]
    assert not released.overdue
    assert len(held) == 0


def test_an_envelope_sent_after_the_index_is_complete_waits() -> None:
    held: HeldLookups[str] = HeldLookups(max_wait_ms=WAIT)
    held.hold(0, sent_ms=1_000, now_ms=1_001, item="a")
    assert not held.release(through(p0=999), now_ms=1_002)
    assert not held.release(through(p0=None), now_ms=1_003)
    assert len(held) == 1
    assert held.release(through(p0=1_500), now_ms=1_004).ready == ["a"]


def test_partitions_are_released_independently() -> None:
    held: HeldLookups[str] = HeldLookups(max_wait_ms=WAIT)
    held.hold(0, sent_ms=1_000, now_ms=1_000, item="p0")
    held.hold(1, sent_ms=1_000, now_ms=1_000, item="p1")
    released = held.release(through(p0=500, p1=2_000), now_ms=1_001)
    assert released.ready == ["p1"]
    assert len(held) == 1


def test_within_a_partition_only_the_envelopes_sent_through_the_index_are_released() -> None:
    held: HeldLookups[str] = HeldLookups(max_wait_ms=WAIT)
    for item, sent in (("late", 3_000), ("early", 1_000), ("middle", 2_000)):
        held.hold(0, sent_ms=sent, now_ms=3_000, item=item)
    assert held.release(through(p0=2_000), now_ms=3_001).ready == ["early", "middle"]
    assert held.release(through(p0=2_999), now_ms=3_002).ready == []
    assert held.release(through(p0=3_000), now_ms=3_003).ready == ["late"]


def test_an_envelope_held_for_the_longest_wait_is_released_as_overdue() -> None:
    held: HeldLookups[str] = HeldLookups(max_wait_ms=WAIT)
    held.hold(2, sent_ms=1_000, now_ms=1_000, item="old")
    held.hold(2, sent_ms=1_000, now_ms=5_000, item="young")
    assert not held.release(through(p2=None), now_ms=1_000 + WAIT - 1)
    released = held.release(through(p2=None), now_ms=1_000 + WAIT)
    assert [h.item for h in released.overdue] == ["old"]
    assert released.overdue[0].partition == 2
    assert released.items == ["old"]
    assert len(held) == 1


def test_clear_forgets_everything() -> None:
    held: HeldLookups[str] = HeldLookups(max_wait_ms=WAIT)
    held.hold(0, sent_ms=1, now_ms=1, item="a")
    held.hold(1, sent_ms=1, now_ms=1, item="b")
    held.clear()
    assert len(held) == 0
    assert not held.release(through(p0=10, p1=10), now_ms=WAIT * 10)


envelope = st.tuples(
    st.integers(0, 3),  # partition
    st.integers(0, 10_000),  # sent
    st.integers(0, 10_000),  # held at (sorted below: time moves forward)
)


@given(
    envelopes=st.lists(envelope, max_size=40),
    steps=st.lists(
        st.tuples(st.integers(0, 40_000), st.lists(st.integers(0, 12_000), min_size=4, max_size=4)),
        max_size=6,
    ),
)
def test_every_envelope_is_released_once_and_never_before_its_index_or_its_wait(
    envelopes: list[tuple[int, int, int]], steps: list[tuple[int, list[int]]]
) -> None:
    held: HeldLookups[int] = HeldLookups(max_wait_ms=WAIT)
    envelopes = sorted(envelopes, key=lambda e: e[2])
    for i, (partition, sent, at) in enumerate(envelopes):
        held.hold(partition, sent_ms=sent, now_ms=at, item=i)
    last_held = envelopes[-1][2] if envelopes else 0
    seen: list[int] = []
    now = last_held
    for advance, ends in sorted(steps):
        now = max(now, last_held + advance)
        released = held.release(lambda p, ends=ends: ends[p], now_ms=now)
        for i in released.ready:
            partition, sent, _ = envelopes[i]
            assert sent <= ends[partition]
        for h in released.overdue:
            partition, sent, at = envelopes[h.item]
            assert sent > ends[partition]
            assert now - at >= WAIT
        seen.extend(released.items)
    # Everything left goes once the index is complete through the end of time.
    seen.extend(held.release(lambda p: 10_000, now_ms=now).items)
    assert sorted(seen) == list(range(len(envelopes)))
    assert len(held) == 0
