"""The tables' RocksDB options: ZSTD, 16 KiB blocks, 16 MiB memtables."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

from faust.stores.rocksdb import RocksDBOptions

from attrib.tables.rocks import (
    BLOCK_SIZE,
    WRITE_BUFFER_SIZE,
    CompactTable,
    CompressedRocksOptions,
)

UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile"


def fill(options: RocksDBOptions, path: Path, entries: int = 20_000) -> int:
    """Write touch-index-like entries, compact, and return the SST bytes."""
    rng = random.Random(5)
    db = options.open(path)
    for i in range(entries):
        if i % 3 == 0:  # a device touched three times, as in bench/engine.py
            gaid = uuid.UUID(int=rng.getrandbits(128))
        key = f"i|some.app|advertising_id:{gaid}".encode() + b"\x00" + i.to_bytes(8, "big")
        value = f"t{i}|click|some.app|advertising_id:{gaid}|network{i % 7}|c{i % 13}|{gaid}|{UA}"
        db[key] = value.encode()
    db.flush()
    db.compact_range(None, None)
    db.close()
    return sum(f.stat().st_size for f in path.glob("*.sst"))


def test_stores_are_opened_with_zstd_and_larger_blocks(tmp_path: Path) -> None:
    fill(CompressedRocksOptions(use_rocksdict=True), tmp_path / "db", entries=100)
    text = next((tmp_path / "db").glob("OPTIONS-*")).read_text()
    assert "  compression=kZSTD" in text
    assert f"block_size={BLOCK_SIZE}" in text
    assert f"  write_buffer_size={WRITE_BUFFER_SIZE}" in text


def test_compressed_store_is_smaller_than_fausts_default(tmp_path: Path) -> None:
    default = fill(RocksDBOptions(use_rocksdict=True), tmp_path / "default")
    compressed = fill(CompressedRocksOptions(use_rocksdict=True), tmp_path / "compressed")
    assert compressed < 0.9 * default, (compressed, default)  # 0.84 when written


def test_every_table_of_the_worker_opens_compressed_stores() -> None:
    from attrib.faust_app import app
    from attrib.tables.devices import devices_table
    from attrib.tables.touch_index import touches_table

    assert app.conf.Table is CompactTable
    for table in (devices_table, touches_table):
        assert isinstance(table, CompactTable)
        assert isinstance(table.data.rocksdb_options, CompressedRocksOptions)
