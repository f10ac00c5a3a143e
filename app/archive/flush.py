"""One flush: a contiguous offset range of one partition into files, then its manifest.

The write protocol, and why a crash never loses or doubles a record:

1. The *intent* (``<first>.intent.json``) names the files about to be written.
2. Each file is written atomically (:mod:`attrib.archive.store`).
3. The *manifest* (``<first>.json``) is written: from here on the flush is
   part of the archive.
4. The intent is deleted, and the caller commits offset ``last + 1``.

:func:`recover` runs before a partition is read: from the committed offset
it follows finished manifests (a crash between 3 and 4 leaves the commit
behind them), then deletes the files of an intent that has no manifest (a
crash between 1 and 3) and returns where reading resumes. Those records are
then read and written again, by a later flush. Every flush starts where the
previous one ended, so the manifests of a partition form a chain without
gaps or overlaps.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from attrib.archive.columns import build_table
from attrib.archive.layout import (
    EVENT_TIME_FIELD,
    NO_APP,
    RECORD,
    file_name,
    hour_folder,
    intent_path,
    manifest_path,
)
from attrib.archive.store import ArchiveStore
from attrib.avro.codec import AvroCodec, AvroDecodeError

log = logging.getLogger(__name__)

#: Rows per Parquet row group: large enough for scans, small enough to skip by statistics.
ROW_GROUP_ROWS = 128 * 1024
COMPRESSION = "zstd"
_HOUR_MS = 3_600_000


#: A consumed record as a flush keeps it: ``(offset, timestamp_ms, key, value)``.
Raw = tuple[int, int, bytes | None, bytes | None]


@dataclass
class Flush:
    """Records of ``topic``'s ``partition`` covering offsets ``first``..``last``.

    ``first`` is where the previous flush ended (or reading started), which
    may be before the first record's offset (transaction markers take offsets).
    """

    topic: str
    partition: int
    first: int
    records: list[Raw] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.records[-1][0] if self.records else self.first - 1


@dataclass(frozen=True)
class WrittenFile:
    path: str
    rows: int
    size: int


@dataclass(frozen=True)
class Manifest:
    topic: str
    partition: int
    first: int
    last: int
    files: tuple[WrittenFile, ...]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def to_json(self) -> bytes:
        body = {
            "topic": self.topic,
            "partition": self.partition,
            "first": self.first,
            "last": self.last,
            "records": self.rows,
            "files": [{"path": f.path, "rows": f.rows, "bytes": f.size} for f in self.files],
            "written_ms": int(time.time() * 1000),
        }
        return json.dumps(body, separators=(",", ":")).encode()


Row = tuple[int, int, bytes | None, bytes | None, dict[str, Any]]


def group_rows(flush: Flush, codec: AvroCodec) -> dict[str, list[Row]]:
    """The flush's records decoded and grouped by hour folder (app, event date and hour).

    A value that does not decode is kept with its bytes, its fields empty,
    under the app folder ``_none`` and its Kafka timestamp's hour.
    """
    expect = RECORD[flush.topic]
    time_field = EVENT_TIME_FIELD[flush.topic]
    decode = codec.decode
    groups: dict[tuple[str, int], list[Row]] = defaultdict(list)
    for raw in flush.records:
        value = raw[3]
        decoded: dict[str, Any] = {}
        if value is not None:
            try:
                decoded = decode(value, expect=expect)
            except AvroDecodeError:
                decoded = {}
        event_ms = decoded.get(time_field)
        if not isinstance(event_ms, int):
            event_ms = raw[1]
        groups[decoded.get("app_id") or NO_APP, event_ms // _HOUR_MS].append((*raw, decoded))
    return {
        hour_folder(flush.topic, app_id, hour * _HOUR_MS): rows
        for (app_id, hour), rows in groups.items()
    }


def parquet_bytes(table: pa.Table, metadata: dict[str, str]) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    pq.write_table(
        table,
        sink,
        compression=COMPRESSION,
        row_group_size=ROW_GROUP_ROWS,
        write_statistics=True,
    )
    return sink.getvalue()


def write_flush(store: ArchiveStore, flush: Flush, codec: AvroCodec) -> Manifest:
    """Write the flush's files and manifest (the protocol of the module docstring)."""
    if not flush.records:
        raise ValueError("an empty flush has nothing to write")
    groups = group_rows(flush, codec)
    name = file_name(flush.partition, flush.first, flush.last)
    paths = {folder: f"{folder}/{name}" for folder in groups}
    intent = {"first": flush.first, "last": flush.last, "files": sorted(paths.values())}
    store.write(
        intent_path(flush.topic, flush.partition, flush.first),
        json.dumps(intent, separators=(",", ":")).encode(),
    )
    metadata = {
        "attrib.topic": flush.topic,
        "attrib.record": RECORD[flush.topic],
        "attrib.partition": str(flush.partition),
        "attrib.first_offset": str(flush.first),
        "attrib.last_offset": str(flush.last),
    }
    written = []
    for folder, rows in sorted(groups.items()):
        data = parquet_bytes(build_table(flush.topic, flush.partition, rows), metadata)
        store.write(paths[folder], memoryview(data))  # type: ignore[arg-type]
        written.append(WrittenFile(paths[folder], len(rows), data.size))
    manifest = Manifest(flush.topic, flush.partition, flush.first, flush.last, tuple(written))
    store.write(manifest_path(flush.topic, flush.partition, flush.first), manifest.to_json())
    store.delete(intent_path(flush.topic, flush.partition, flush.first))
    return manifest


@dataclass(frozen=True)
class Recovery:
    """Where a partition resumes, and what recovering it found."""

    position: int
    finished_flushes: int  # manifests found past the committed offset
    orphans_deleted: int  # files of a flush cut short


def recover(store: ArchiveStore, topic: str, partition: int, position: int) -> Recovery:
    """Resume position of ``topic``'s ``partition``, given its committed ``position``."""
    finished = 0
    while (data := store.read(manifest_path(topic, partition, position))) is not None:
        store.delete(intent_path(topic, partition, position))  # finished: only a leftover
        position = int(json.loads(data)["last"]) + 1
        finished += 1
    orphans = 0
    intent = store.read(intent_path(topic, partition, position))
    if intent is not None:
        for path in json.loads(intent)["files"]:
            store.delete(path)
            orphans += 1
        store.delete(intent_path(topic, partition, position))
        log.info(
            "archive: %s[%d] flush at %d was cut short; deleted its %d file(s)",
            topic,
            partition,
            position,
            orphans,
        )
    return Recovery(position, finished, orphans)


def manifests(store: ArchiveStore, topic: str, partition: int, start: int) -> list[dict[str, Any]]:
    """The chain of finished manifests of a partition from offset ``start`` (for checks)."""
    out = []
    while (data := store.read(manifest_path(topic, partition, start))) is not None:
        manifest = json.loads(data)
        out.append(manifest)
        start = int(manifest["last"]) + 1
    return out


__all__ = [
    "COMPRESSION",
    "ROW_GROUP_ROWS",
    "Flush",
    "Manifest",
    "Raw",
    "Recovery",
    "WrittenFile",
    "group_rows",
    "manifests",
    "recover",
    "write_flush",
]
