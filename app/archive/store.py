"""Where archive files go: a local directory or S3-compatible object storage.

Both stores write whole objects atomically, so a reader (replay, ClickHouse's
``file()``/``s3()``) never sees half a file under a final name:

- :class:`LocalStore` writes a hidden temporary file beside the target,
  fsyncs it, renames it into place and fsyncs the folder: once ``write``
  returns, the file survives a power cut.
- :class:`ObjectStore` goes through pyarrow's filesystems (``s3://bucket/prefix``,
  credentials and region from the usual ``AWS_*`` variables; query options
  such as ``?endpoint_override=host:port&scheme=http`` for S3-compatible
  servers). An object appears only when its upload completes.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Protocol

from pyarrow import fs


class ArchiveStore(Protocol):
    """Whole-object storage under one root; paths are relative, ``/``-separated."""

    url: str

    def write(self, path: str, data: bytes) -> None: ...

    def read(self, path: str) -> bytes | None: ...

    def delete(self, path: str) -> None: ...


class LocalStore:
    """A directory on a local (or mounted) filesystem."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.url = str(self.root)

    def write(self, path: str, data: bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        with open(temporary, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
        _fsync_folder(target.parent)

    def read(self, path: str) -> bytes | None:
        try:
            return (self.root / path).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, path: str) -> None:
        target = self.root / path
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
            _fsync_folder(target.parent)

    def remove_temporaries(self) -> int:
        """Delete the hidden temporaries a killed writer left; returns how many."""
        removed = 0
        for leftover in self.root.rglob(".*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                removed += 1
        return removed


class ObjectStore:
    """Any filesystem pyarrow opens by URL; in practice S3 and S3-compatible servers."""

    def __init__(self, url: str) -> None:
        self.url = url.split("?", 1)[0]
        self.filesystem, base = fs.FileSystem.from_uri(url)
        self.base = base.rstrip("/")

    def _full(self, path: str) -> str:
        return f"{self.base}/{path}"

    def write(self, path: str, data: bytes) -> None:
        with self.filesystem.open_output_stream(self._full(path)) as out:
            out.write(data)

    def read(self, path: str) -> bytes | None:
        try:
            with self.filesystem.open_input_stream(self._full(path)) as source:
                return bytes(source.read())
        except FileNotFoundError:
            return None
        except OSError as exc:  # pyarrow reports a missing object as OSError on some stores
            if "not found" in str(exc).lower() or "nosuchkey" in str(exc).lower():
                return None
            raise

    def delete(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.filesystem.delete_file(self._full(path))


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_store(url: str) -> LocalStore | ObjectStore:
    """The store at ``url``: ``scheme://...`` through pyarrow, anything else a local path."""
    if "://" in url and not url.startswith("file://"):
        return ObjectStore(url)
    return LocalStore(url.removeprefix("file://"))


__all__ = ["ArchiveStore", "LocalStore", "ObjectStore", "open_store"]
