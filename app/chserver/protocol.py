"""The request parameters of ClickHouse's HTTP interface, sorted by who handles them.

A real server treats some URL parameters as its own (``query``, ``database``,
``session_id``, ``param_*`` bind values, ``default_format``...) and applies
every other one as a query setting. chdb knows only the settings, and rejects
the rest as unknown, so this module splits them: transport parameters become
fields of ``HttpQuery``; settings are passed on, and a name that is not a
setting still fails with the server's code 115 when chdb is asked to apply it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from attrib.chserver.errors import (
    BAD_ARGUMENTS,
    NOT_IMPLEMENTED,
    UNKNOWN_FORMAT,
    UNKNOWN_SETTING,
    ClickHouseError,
)

BIND_PREFIX = "param_"

# Parameters a server handles itself; none of them reaches chdb as a setting.
# Sessions are accepted and not kept: each request runs on a pooled
# connection, and statements that change connection state are undone after
# the request (see pool.py).
_TRANSPORT = frozenset(
    {
        "query",
        "database",
        "query_id",
        "default_format",
        "readonly",
        "compress",
        "decompress",
        "enable_http_compression",
        "session_id",
        "session_timeout",
        "session_check",
        "wait_end_of_query",
        "client_protocol_version",
        "buffer_size",
        "user",
        "password",
        "quota_key",
        "role",
    }
)
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# chdb post-processes these "formats" in Python instead of answering bytes.
_ENGINE_ONLY_FORMATS = frozenset({"dataframe", "datastore", "arrowtable", "debug"})


@dataclass(frozen=True)
class HttpQuery:
    """One request's parameters, as the endpoint uses them."""

    query: str = ""  # the `query` URL parameter; the body continues it
    database: str = "default"
    query_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    default_format: str = "TabSeparated"
    bind_params: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    readonly: int = 0
    compress_response: bool = True


def parse_http_query(params: Iterable[tuple[str, str]], *, method: str) -> HttpQuery:
    """Sort URL (and form) parameters into an ``HttpQuery``; later duplicates win."""
    values: dict[str, str] = {}
    for name, value in params:
        values[name] = value
    bind_params: dict[str, str] = {}
    settings: dict[str, str] = {}
    for name, value in values.items():
        if name.startswith(BIND_PREFIX):
            bind_params[name[len(BIND_PREFIX) :]] = value
        elif name not in _TRANSPORT:
            if not _SETTING_NAME.match(name):
                raise ClickHouseError.raised(UNKNOWN_SETTING, f"Unknown setting '{name}'")
            settings[name] = value
    for name in ("compress", "decompress"):
        if _flag(values.get(name, "0"), name):
            raise ClickHouseError.raised(
                NOT_IMPLEMENTED, f"ClickHouse's native HTTP compression ({name}=1) is not supported"
            )
    readonly = _int(values.get("readonly", "0"), "readonly")
    if method == "GET":
        readonly = readonly or 2  # like the server: GET never writes
    default_format = values.get("default_format") or "TabSeparated"
    if default_format.lower() in _ENGINE_ONLY_FORMATS:
        raise ClickHouseError.raised(UNKNOWN_FORMAT, f"Unknown format {default_format}")
    return HttpQuery(
        query=values.get("query", ""),
        database=values.get("database") or "default",
        query_id=values.get("query_id") or str(uuid.uuid4()),
        default_format=default_format,
        bind_params=bind_params,
        settings=settings,
        readonly=readonly,
        compress_response=_flag(
            values.get("enable_http_compression", "1"), "enable_http_compression"
        ),
    )


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ClickHouseError.raised(
            BAD_ARGUMENTS, f"Cannot parse '{value}' as a number for {name}"
        ) from None


def _flag(value: str, name: str) -> bool:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return _int(value, name) != 0
