"""The lookup gate's rules (``attrib.engine.touch_watermark``), rule by rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from attrib.engine.touch_watermark import TouchWatermark, touches_routed


def test_routed_when_every_partition_is_committed_through_its_end() -> None:
    assert touches_routed({"c0": 10, "c1": 4}, {"c0": 10, "c1": 7}, {})


def test_not_routed_while_one_partition_is_behind() -> None:
    assert not touches_routed({"c0": 10, "c1": 4}, {"c0": 10, "c1": 3}, {})


def test_a_partition_never_committed_is_routed_only_when_empty() -> None:
    assert touches_routed({"c0": 0}, {}, {})
    assert not touches_routed({"c0": 5}, {}, {})
    assert not touches_routed({"c0": 5}, {"c0": -1}, {})  # OffsetFetch's "no offset"


def test_a_partition_never_committed_whose_records_are_deleted_is_routed() -> None:
    assert touches_routed({"c0": 5}, {"c0": -1}, {"c0": 5})
    assert not touches_routed({"c0": 5}, {"c0": -1}, {"c0": 4})


def test_no_touch_partitions_at_all_is_routed() -> None:
    assert touches_routed({}, {}, {})


def test_nothing_is_due_before_the_watermark_is_first_reached() -> None:
    assert TouchWatermark().due_until(1_000) is None


def test_due_until_is_the_watermark_never_later_than_now() -> None:
    watermark = TouchWatermark()
    watermark.reached(500)
    assert watermark.due_until(1_000) == 500
    assert watermark.due_until(400) == 400


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1))
def test_the_watermark_never_moves_back(times: list[int]) -> None:
    watermark = TouchWatermark()
    for taken in times:
        watermark.reached(taken)
    assert watermark.through_ms == max(times)


@given(
    st.dictionaries(
        st.integers(0, 7),
        st.tuples(st.integers(0, 1_000), st.integers(-1, 1_000)),
        max_size=8,
    )
)
def test_routed_exactly_when_no_partition_has_an_unrouted_record(
    partitions: dict[int, tuple[int, int]],
) -> None:
    ends = {p: end for p, (end, _) in partitions.items()}
    committed = {p: done for p, (_, done) in partitions.items()}
    unrouted = any(end > max(done, 0) for end, done in partitions.values())
    assert touches_routed(ends, committed, {}) is not unrouted
