"""RocksDB options of the worker's tables: ZSTD-compressed 16 KiB blocks, 16 MiB memtables.

Faust opens every table's RocksDB with Snappy and 4 KiB blocks. The touch
index repeats a lot between neighbouring entries (the app id and index key
prefix, user agents, network and campaign names), which a general-purpose
compressor only finds across a larger block: with ZSTD and 16 KiB blocks the
touch index of ``bench/engine.py`` takes about half the disk
(bench/README.md). ZSTD at every level, not only the last (RocksDB's advice
for write-heavy stores is LZ4 above it): a freshly flushed store is as small
as a compacted one, and at the index's write rate compressing costs a few
percent of one of RocksDB's background threads, never the event loop.

:class:`CompactTable` is the application's table class (``faust.App(Table=...)``),
so every table, ``app.Table`` or a subclass, opens its stores with these options.
Options are read at open: existing stores keep their files and rewrite them
compressed as compaction reaches them.
"""

from __future__ import annotations

from typing import Any

import faust
import rocksdict
from faust.stores.rocksdb import RocksDBOptions

BLOCK_SIZE = 16 * 1024
#: Memtable size (Faust's default is 64 MiB). Inserting a random key into a
#: 64 MiB skip list misses the CPU caches at every level: a touch-index put cost
#: 2.1-2.4 µs on the event loop (RocksDB writes on the caller's thread, holding
#: the GIL), 1.4-1.6 µs at 16 MiB, with the same total CPU once flushes and
#: compaction on RocksDB's own threads are counted (bench/README.md).
WRITE_BUFFER_SIZE = 16 * 1024 * 1024


class CompressedRocksOptions(RocksDBOptions):  # type: ignore[misc]
    """Faust's RocksDB options, with ZSTD and larger blocks."""

    def as_options(self) -> rocksdict.Options:
        options = super().as_options()
        table = rocksdict.BlockBasedOptions()
        table.set_bloom_filter(self.bloom_filter_size, block_based=True)
        table.set_block_cache(rocksdict.Cache(self.block_cache_size))
        table.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
        table.set_block_size(BLOCK_SIZE)
        options.set_block_based_table_factory(table)
        options.set_compression_type(rocksdict.DBCompressionType.zstd())
        options.set_write_buffer_size(WRITE_BUFFER_SIZE)
        return options


def compressed(store: Any) -> Any:
    """``store`` opening its databases with :class:`CompressedRocksOptions`."""
    current = getattr(store, "rocksdb_options", None)
    if isinstance(current, RocksDBOptions) and current.use_rocksdict:
        options = CompressedRocksOptions(use_rocksdict=True)
        options.__dict__.update(current.__dict__)
        store.rocksdb_options = options
    return store


class CompactTable(faust.Table):  # type: ignore[misc]
    """A Faust table whose RocksDB stores are compressed (module docstring)."""

    def _new_store(self) -> Any:
        return compressed(super()._new_store())
