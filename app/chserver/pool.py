"""A small pool of chdb connections to one data directory.

chdb embeds one ClickHouse engine per process, bound to one data path. A
connection runs one statement at a time, while separate connections to the
path run in parallel (chdb releases the GIL), so requests borrow a
connection each from worker threads and a slow query never holds up /ping or
the other connections. Opening a connection is cheap (well under a
millisecond), which the pool uses to keep requests independent: a connection
that ran ``SET``/``USE`` from a client, or failed, is replaced by a fresh one
rather than repaired. Settings and the database that requests ask for via
URL parameters are applied with ``SET``/``USE`` only when they differ from
what the connection already has, so a client that always sends the same
settings pays nothing after its first request.

A lock file makes the data directory single-process: a second endpoint on the
same directory fails at start instead of corrupting it.
"""

from __future__ import annotations

import fcntl
import os
import queue
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import chdb

from attrib.chserver.errors import ClickHouseError

ENGINE_VERSION: str = chdb.engine_version
LOCK_FILE = "chserver.lock"


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


class DataDirBusy(RuntimeError):
    """Another endpoint process already serves this data directory."""


class EngineConnection:
    """One chdb connection, with the database and settings it currently has applied."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn = chdb.connect(path)
        self._database = "default"
        self._settings: dict[str, str] = {}

    def prepare(self, database: str, settings: Mapping[str, str]) -> None:
        """Make the connection use ``database`` and exactly the given settings."""
        if settings != self._settings:
            if self._settings:
                self.renew()  # drops settings no longer asked for
            if settings:
                assignments = ", ".join(f"{k} = {quote_string(v)}" for k, v in settings.items())
                self.run(f"SET {assignments}")
                self._settings = dict(settings)
        if database != self._database:
            self.run(f"USE {quote_identifier(database)}")
            self._database = database

    def run(
        self, sql: str, fmt: str = "TabSeparated", params: Mapping[str, str] | None = None
    ) -> Any:
        """Run one statement; return chdb's result (``bytes()``, ``rows_read()``...)."""
        try:
            return self._conn.query(sql, fmt, params=dict(params or {}))
        except Exception as exc:  # chdb raises ChdbError/RuntimeError
            raise ClickHouseError.from_engine(exc) from None

    def insert(self, statement: str, fmt: str, chunks: Iterable[bytes]) -> Any:
        """Stream ``chunks`` of ``fmt`` data into ``statement`` (an INSERT without FORMAT)."""
        try:
            with self._conn.send_insert(statement, fmt) as inserter:
                for chunk in chunks:
                    inserter.append(chunk)
                return inserter.finish()
        except ClickHouseError:
            raise
        except Exception as exc:
            raise ClickHouseError.from_engine(exc) from None

    def renew(self) -> None:
        """Replace the chdb connection with a fresh one (default database, no settings)."""
        fresh = chdb.connect(
            self._path
        )  # before closing: the engine stops with its last connection
        old, self._conn = self._conn, fresh
        self._database, self._settings = "default", {}
        old.close()

    def close(self) -> None:
        self._conn.close()


class EnginePool:
    """``size`` connections to ``data_dir``, handed out one request at a time."""

    def __init__(self, data_dir: str | Path, size: int = 4) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.size = size
        self._idle: queue.LifoQueue[EngineConnection] = queue.LifoQueue()
        self._all: list[EngineConnection] = []
        self._lock_fd: int | None = None
        self.timezone = "UTC"

    def open(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd = _lock_directory(self.data_dir / LOCK_FILE)
        for _ in range(self.size):
            conn = EngineConnection(str(self.data_dir))
            self._all.append(conn)
            self._idle.put(conn)
        with self.connection() as conn:
            self.timezone = conn.run("SELECT timezone()").bytes().decode().strip()

    @contextmanager
    def connection(self) -> Iterator[EngineConnection]:
        """Borrow a connection (blocking); a connection that failed is renewed."""
        conn = self._idle.get()
        try:
            yield conn
        except BaseException:
            conn.renew()
            raise
        finally:
            self._idle.put(conn)

    def close(self) -> None:
        for conn in self._all:
            conn.close()
        self._all.clear()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _lock_directory(lock_path: Path) -> int:
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataDirBusy(
            f"another ClickHouse endpoint already serves {lock_path.parent}"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd
