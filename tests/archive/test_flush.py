"""The flush protocol: files by app and event hour, a manifest chain, recovery after a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrib.archive.flush import Flush, recover, write_flush
from attrib.archive.layout import intent_path, manifest_path
from attrib.archive.store import LocalStore
from attrib.avro.codec import default_codec
from tests.archive.helpers import (
    HOUR_MS,
    T0,
    CrashingStore,
    StoreDown,
    archived_offsets,
    parquet_files,
    raws,
    touch,
)

CODEC = default_codec()


def test_one_file_per_app_and_event_hour_named_by_the_flush_range(tmp_path: Path) -> None:
    values = [touch(0), touch(1, at=T0 + HOUR_MS + 1), touch(2, app_id="app-b"), touch(3)]
    flush = Flush("clicks", 3, 10, raws(values, start=12))
    manifest = write_flush(LocalStore(tmp_path), flush, CODEC)
    names = [p.relative_to(tmp_path).as_posix() for p in parquet_files(tmp_path)]
    assert names == [
        "topic=clicks/app_id=app-a/date=2025-12-01/hour=00/3-10-15.parquet",
        "topic=clicks/app_id=app-a/date=2025-12-01/hour=01/3-10-15.parquet",
        "topic=clicks/app_id=app-b/date=2025-12-01/hour=00/3-10-15.parquet",
    ]
    assert (manifest.first, manifest.last, manifest.rows) == (10, 15, 4)
    first = pq.read_table(tmp_path / names[0]).to_pydict()
    assert first["_offset"] == [12, 15]
    assert first["_partition"] == [3, 3]
    assert first["touch_id"] == ["t-00000000", "t-00000003"]
    assert first["_value"] == [values[0], values[3]]


def test_the_manifest_lists_the_files_and_the_intent_is_gone(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    write_flush(store, Flush("clicks", 0, 0, raws([touch(0), touch(1)])), CODEC)
    manifest = json.loads((tmp_path / manifest_path("clicks", 0, 0)).read_text())
    assert (manifest["first"], manifest["last"], manifest["records"]) == (0, 1, 2)
    [entry] = manifest["files"]
    assert (tmp_path / entry["path"]).stat().st_size == entry["bytes"]
    assert not (tmp_path / intent_path("clicks", 0, 0)).exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_undecodable_values_and_tombstones_are_kept_with_their_bytes(tmp_path: Path) -> None:
    garbage = b"\xc3\x01not avro at all"
    records = [(0, T0, b"k", garbage), (1, T0, b"k", None), *raws([touch(2)], 2)]
    flush = Flush("clicks", 0, 0, records)
    write_flush(LocalStore(tmp_path), flush, CODEC)
    [none_file] = [p for p in parquet_files(tmp_path) if "app_id=_none" in str(p)]
    kept = pq.read_table(none_file).to_pydict()
    assert kept["_value"] == [garbage, None]
    assert kept["touch_id"] == [None, None]
    assert sum(archived_offsets(tmp_path).values()) == 3


def test_recovery_follows_manifests_past_the_committed_offset(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    write_flush(store, Flush("clicks", 0, 0, raws([touch(0), touch(1)])), CODEC)
    write_flush(store, Flush("clicks", 0, 2, raws([touch(2)], 2)), CODEC)
    # a leftover intent of a finished flush (killed between manifest and its deletion)
    store.write(intent_path("clicks", 0, 2), b'{"files":["topic=clicks/keep-me"]}')
    store.write("topic=clicks/keep-me", b"x")
    found = recover(store, "clicks", 0, 0)  # the commits after both flushes were lost
    assert (found.position, found.finished_flushes, found.orphans_deleted) == (3, 2, 0)
    assert store.read(intent_path("clicks", 0, 2)) is None
    assert store.read("topic=clicks/keep-me") == b"x"


def test_recovery_deletes_the_files_of_a_flush_cut_short(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    values = [touch(0), touch(1, app_id="app-b")]
    crashing = CrashingStore(store, crash_at=3)  # intent, first file, then killed
    with pytest.raises(StoreDown):
        write_flush(crashing, Flush("clicks", 0, 0, raws(values)), CODEC)
    assert len(parquet_files(tmp_path)) == 1
    found = recover(store, "clicks", 0, 0)
    assert (found.position, found.orphans_deleted) == (0, 2)
    assert parquet_files(tmp_path) == []
    assert store.read(intent_path("clicks", 0, 0)) is None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=5),
    crashes=st.lists(st.integers(1, 8), max_size=4),
    apps=st.integers(1, 3),
)
def test_any_crash_point_leaves_every_record_exactly_once(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], crashes: list[int], apps: int
) -> None:
    """Flushes of varying size; a crash at any write; recover, read again, go on."""
    root = tmp_path_factory.mktemp("archive")
    store = LocalStore(root)
    total = sum(sizes)
    values = [touch(i, app_id=f"app-{i % apps}", at=T0 + (i % 4) * HOUR_MS) for i in range(total)]
    committed = 0
    pending_crashes = list(crashes)
    cuts = [sum(sizes[:k]) for k in range(len(sizes) + 1)]
    step = 0
    crashed_at = -1
    while (position := recover(store, "clicks", 0, committed).position) < total:
        # the batch the consumer reads from ``position``: up to the next planned cut
        end = next((c for c in cuts if c > position), total)
        if crashed_at == position:  # read again after a crash: a batch of another size
            end = end - 1 if end - 1 > position else min(total, end + 1)
        flush = Flush("clicks", 0, position, raws(values[position:end], start=position))
        target = CrashingStore(store, pending_crashes.pop(0)) if pending_crashes else store
        try:
            manifest = write_flush(target, flush, CODEC)
        except StoreDown:
            crashed_at = position
            step += 1
            continue
        committed = manifest.last + 1
        if step % 2:  # sometimes the commit itself is lost
            committed = position
        step += 1
    counts = archived_offsets(root)
    assert sorted(counts) == [("clicks", 0, i) for i in range(total)]
    assert set(counts.values()) == {1}
