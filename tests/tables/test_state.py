"""The state layer's write caches (``tables/state.py``) over the in-memory backend."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attrib.tables.state import (
    BytesTableState,
    MemoryBackend,
    MutatedValueError,
    RecentValues,
    TableState,
)

_ops = st.lists(
    st.tuples(
        st.sampled_from(["put", "delete", "writes"]),
        st.integers(0, 2),
        st.sampled_from([b"a", b"b", b"c", b"\xffe|x"]),
        st.binary(max_size=4),
    ),
    max_size=30,
)


@given(before=_ops, batch=_ops)
def test_a_bytes_table_reads_its_batch_over_the_backend_and_commits_the_last_write(
    before: list[tuple[str, int, bytes, bytes]], batch: list[tuple[str, int, bytes, bytes]]
) -> None:
    backend = MemoryBackend()
    state = BytesTableState("t", backend)
    model: dict[tuple[int, bytes], bytes] = {}

    def apply(ops: list[tuple[str, int, bytes, bytes]]) -> None:
        for op, partition, key, value in ops:
            if op == "put":
                state.put_raw(partition, key, value)
                model[(partition, key)] = value
            elif op == "writes":
                state.writes(partition)[key] = value
                model[(partition, key)] = value
            else:
                state.delete(partition, key)
                model.pop((partition, key), None)

    apply(before)
    for partition, changes in state.take_changes().items():
        backend.write(partition, changes)
    assert state.dirty == 0
    assert state.take_changes() == {}
    apply(batch)
    touched = {(p, k) for _, p, k, _ in batch}
    assert state.dirty == len(touched)
    for partition in range(3):
        for key in (b"a", b"b", b"c", b"\xffe|x"):
            assert state.get(partition, key) == model.get((partition, key))  # batch over backend
            assert state.cached(partition, key) == ((partition, key) in touched)
    for partition, changes in state.take_changes().items():
        backend.write(partition, changes)
    stored = {(p, k): v for p, data in backend.partitions.items() for k, v in data.items()}
    assert stored == model


# ---- the values kept from earlier batches (RecentValues) ---------------------------------
def _typed(
    backend: MemoryBackend, *, recent_bytes: int, verify: bool = False
) -> TableState[list[int]]:
    return TableState(
        "t",
        backend,
        decode=lambda raw: list(raw) or None,
        encode=bytes,
        recent_bytes=recent_bytes,
        verify_recent=verify,
    )


_typed_ops = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(["put", "delete", "get"]),
            st.integers(0, 1),
            st.sampled_from([b"a", b"b", b"c", b"d"]),
            st.lists(st.integers(0, 255), min_size=1, max_size=3),
        ),
        max_size=12,
    ),
    max_size=6,
)


@given(batches=_typed_ops, budget=st.integers(1, 8))
def test_a_table_keeping_recent_values_reads_as_one_that_decodes_every_time(
    batches: list[list[tuple[str, int, bytes, list[int]]]], budget: int
) -> None:
    plain = _typed(MemoryBackend(), recent_bytes=0)
    kept = _typed(MemoryBackend(), recent_bytes=budget)
    for batch in batches:
        for op, partition, key, value in batch:
            for state in (plain, kept):
                if op == "put":
                    state.put(partition, key, value)
                elif op == "delete":
                    state.delete(partition, key)
            assert kept.get(partition, key) == plain.get(partition, key)
        for state in (plain, kept):
            for partition, changes in state.take_changes().items():
                state.backend.write(partition, changes)
        assert len(kept._recent) <= 2 * budget  # values of 1 to 3 bytes
        for partition in (0, 1):
            for key in (b"a", b"b", b"c", b"d"):
                assert kept.get(partition, key) == plain.get(partition, key)


def test_a_kept_value_changed_in_place_is_caught_by_the_check() -> None:
    state = _typed(MemoryBackend(), recent_bytes=10, verify=True)
    state.put(0, b"k", [1, 2])
    for partition, changes in state.take_changes().items():
        state.backend.write(partition, changes)
    value = state.get(0, b"k")
    assert value == [1, 2]
    value.append(3)  # a processor that forgot values are immutable
    with pytest.raises(MutatedValueError, match="changed in place"):
        state.get(0, b"k")


def test_after_a_rebalance_the_backend_is_read_again() -> None:
    backend = MemoryBackend()
    state = _typed(backend, recent_bytes=10)
    state.put(0, b"k", [1])
    for partition, changes in state.take_changes().items():
        backend.write(partition, changes)
    backend.write(0, {b"k": bytes([7])})  # another owner's change, restored from the changelog
    assert state.get(0, b"k") == [1]  # kept: why the worker forgets on a rebalance
    state.forget_recent()
    assert state.get(0, b"k") == [7]


def test_kept_values_are_bounded_by_their_encoded_bytes() -> None:
    recent = RecentValues(100, check=None)
    for n in range(10):
        recent.put((0, bytes([n])), n, 30)  # three fit a generation of 100 bytes
    assert len(recent) <= 6
    assert recent.get((0, bytes([9]))) == 9
    assert recent.get((0, bytes([0]))) is None  # two generations ago: dropped
    recent.put((0, bytes([9])), "huge", 101)  # larger than a generation: not kept ...
    assert recent.get((0, bytes([9]))) is None  # ... and the older value is not served
