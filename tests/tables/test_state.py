"""The state layer's write caches (``tables/state.py``) over the in-memory backend."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from attrib.tables.state import BytesTableState, MemoryBackend

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
