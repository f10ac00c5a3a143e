"""A ClickHouse HTTP endpoint backed by chdb, for the local stack and CI.

No modern ClickHouse server package is available where Attrib is developed,
so the local ClickHouse is chdb (the ClickHouse engine in-process) served over
ClickHouse's HTTP interface. Production code talks to it only through
clickhouse-connect, exactly as it would to a real server, and the data
persists in a directory (``.attrib/clickhouse/data`` in the local stack).

Run it with ``python -m attrib.chserver --data-dir DIR --port 8123``, or
``run_server(...)``; tests can mount ``make_app(...)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["make_app", "run_server"]


def __getattr__(name: str) -> Any:
    # Lazy: importing chdb starts the engine, which only the server process needs.
    if name in __all__:
        from attrib.chserver import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
