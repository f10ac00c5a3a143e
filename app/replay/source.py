"""Reading the Parquet archive that ``attrib archive`` writes (its layout contract).

Layout: ``<root>/topic=T/app_id=A/date=YYYY-MM-DD/hour=HH/<partition>-<first>-<last>.parquet``
where date and hour are the record's event time (UTC). Replay reads only the
columns ``_partition``, ``_offset``, ``_timestamp_ms``, ``_key`` and ``_value``
(the original Kafka value bytes), never the decoded columns meant for
analysts, so it decodes exactly what the live worker decoded.

``root`` is ``ATTRIB_ARCHIVE_URL`` (default ``<ATTRIB_DATA_DIR>/archive``): a
local directory or any URL pyarrow's filesystems open (``s3://bucket/prefix``).
The contract says each (topic, partition, offset) appears once; a record
seen twice is still read once, so an archive mid-compaction cannot double a
decision.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta

import pyarrow.parquet as pq
from pyarrow import fs

from attrib.replay.records import ArchivedRecord

COLUMNS = ["_partition", "_offset", "_timestamp_ms", "_key", "_value"]


class ArchiveError(RuntimeError):
    """The archive cannot be read (missing root, unreadable file)."""


def archive_root(env: dict[str, str] | None = None) -> str:
    """The archive the settings name (``ATTRIB_ARCHIVE_URL``, else ``<data dir>/archive``)."""
    from attrib.settings import load_settings

    return load_settings(env).archive_location


def _filesystem(root: str) -> tuple[fs.FileSystem, str]:
    if "://" in root:
        return fs.FileSystem.from_uri(root)
    return fs.LocalFileSystem(), os.path.abspath(root)


def days(first: date, last: date) -> Iterator[date]:
    """Every day from ``first`` to ``last``, both included."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


class ArchiveReader:
    """Reads one app's records of one topic from the archive, day by day."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.filesystem, self.base = _filesystem(root)
        info = self.filesystem.get_file_info(self.base)
        if info.type != fs.FileType.Directory:
            raise ArchiveError(
                f"no archive at {root!r} (set ATTRIB_ARCHIVE_URL, or run `attrib archive`)"
            )

    def files(self, topic: str, app_id: str, first: date, last: date) -> list[str]:
        """The Parquet files of ``topic`` and ``app_id`` with event dates ``first``..``last``."""
        out: list[str] = []
        for day in days(first, last):
            folder = f"{self.base}/topic={topic}/app_id={app_id}/date={day.isoformat()}"
            selector = fs.FileSelector(folder, recursive=True, allow_not_found=True)
            out.extend(
                sorted(
                    i.path
                    for i in self.filesystem.get_file_info(selector)
                    if i.type == fs.FileType.File and i.path.endswith(".parquet")
                )
            )
        return out

    def read(self, topic: str, app_id: str, first: date, last: date) -> Iterator[ArchivedRecord]:
        """Every record of ``topic`` and ``app_id`` with an event date in ``first``..``last``."""
        seen: set[tuple[int, int]] = set()
        for path in self.files(topic, app_id, first, last):
            try:
                table = pq.read_table(path, columns=COLUMNS, filesystem=self.filesystem)
            except (OSError, KeyError, ValueError) as exc:
                raise ArchiveError(f"cannot read {path}: {exc}") from exc
            columns = table.to_pydict()
            for partition, offset, ts, key, value in zip(
                *(columns[c] for c in COLUMNS), strict=True
            ):
                if (partition, offset) in seen or value is None:
                    continue
                seen.add((partition, offset))
                yield ArchivedRecord(topic, partition, offset, ts, key, value)


__all__ = ["ArchiveError", "ArchiveReader", "archive_root", "days"]
