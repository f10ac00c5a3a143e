"""How far the touch index is complete: a lookup is answered only from an index that
holds every touch written before it was sent (docs/reliability.md finding 4)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from attrib.engine.index_progress import IndexProgress


def test_nothing_is_complete_before_a_snapshot() -> None:
    progress = IndexProgress()
    progress.filed_through(0, 10)
    assert progress.complete_through(0) is None


def test_complete_through_the_newest_snapshot_filed() -> None:
    progress = IndexProgress()
    progress.snapshot(1_000, {0: 5})
    progress.snapshot(1_020, {0: 9})
    progress.snapshot(1_040, {0: 12})
    assert progress.complete_through(0) is None
    progress.filed_through(0, 9)
    assert progress.complete_through(0) == 1_020
    progress.filed_through(0, 12)
    assert progress.complete_through(0) == 1_040


def test_the_reached_snapshot_is_kept_while_later_ones_are_not_reached() -> None:
    progress = IndexProgress()
    progress.snapshot(1_000, {0: 5})
    progress.snapshot(1_020, {0: 9})
    progress.filed_through(0, 5)
    assert progress.complete_through(0) == 1_000
    assert progress.complete_through(0) == 1_000  # asked again: the same answer


def test_an_idle_partition_is_complete_through_its_latest_snapshot() -> None:
    progress = IndexProgress()
    progress.filed_through(0, 7)
    for now in range(1_000, 2_000, 20):
        progress.snapshot(now, {0: 7})
    assert progress.complete_through(0) == 1_980
    assert len(progress.snapshots[0]) == 1  # nothing written: one snapshot, moved on


def test_the_committed_offset_counts_as_filed() -> None:
    progress = IndexProgress()
    progress.snapshot(1_000, {0: 40})
    assert progress.complete_through(0) is None
    assert progress.complete_through(0, floor=40) == 1_000


def test_an_unknown_end_offset_makes_no_snapshot() -> None:
    progress = IndexProgress()
    progress.snapshot(1_000, {0: None, 1: 3})
    progress.filed_through(1, 3)
    assert progress.complete_through(0, floor=100) is None
    assert progress.complete_through(1) == 1_000


def test_partitions_are_independent_and_reset_forgets_all() -> None:
    progress = IndexProgress()
    progress.snapshot(1_000, {0: 5, 1: 50})
    progress.filed_through(0, 5)
    assert progress.complete_through(0) == 1_000
    assert progress.complete_through(1) is None
    progress.reset()
    assert progress.complete_through(0) is None


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["write", "file", "snap", "ask"]), st.integers(1, 5)),
        max_size=80,
    )
)
def test_complete_through_never_claims_a_touch_not_filed(steps: list[tuple[str, int]]) -> None:
    """Whatever the interleaving: if the index is complete through time t, every
    record written before t is filed; and once everything written is filed, the
    newest snapshot counts."""
    progress = IndexProgress()
    written, filed, now = 0, 0, 0
    written_at: list[int] = []  # time of each record written
    for action, n in steps:
        now += 10
        if action == "write":
            for _ in range(n):
                written_at.append(now)
            written += n
        elif action == "file":
            filed = min(written, filed + n)
            progress.filed_through(0, filed)
        elif action == "snap":
            progress.snapshot(now, {0: written})
        else:
            through = progress.complete_through(0)
            if through is not None:
                assert all(i < filed for i, at in enumerate(written_at) if at < through)
    progress.filed_through(0, written)
    now += 10
    progress.snapshot(now, {0: written})
    assert progress.complete_through(0) == now


def test_an_empty_partition_never_committed_is_complete() -> None:
    progress = IndexProgress()
    progress.snapshot(1_000, {0: 0})
    assert progress.complete_through(0) == 1_000


def test_describe_names_what_was_filed_and_the_snapshots_kept() -> None:
    progress = IndexProgress()
    progress.snapshot(1_000, {0: 5})
    progress.snapshot(2_000, {0: 9})
    progress.filed_through(0, 5)
    text = progress.describe(0)
    assert "filed 5" in text
    assert "2 snapshots" in text
    assert "(2000, 9)" in text
