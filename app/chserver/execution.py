"""Run one HTTP request's statement on a pooled chdb connection (blocking, in a worker thread).

The statement is the ``query`` URL parameter, a newline, then the request
body, as on a real server. An ``INSERT ... FORMAT X`` whose data follows in
that stream is recognised from its first bytes and its data is streamed into
chdb's ``send_insert`` as it arrives (an insert may be far larger than
memory allows to buffer comfortably, and is often binary). Anything else is
read whole and run as SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain

from attrib.chserver import sqlscan
from attrib.chserver.errors import (
    BAD_ARGUMENTS,
    READONLY,
    SYNTAX_ERROR,
    ClickHouseError,
)
from attrib.chserver.pool import EnginePool
from attrib.chserver.protocol import HttpQuery

# An INSERT's statement must show up within this many bytes to be streamed.
_HEAD_LIMIT = 1 << 20
# Appending to chdb in blocks of about this size keeps the per-call cost negligible.
_APPEND_SIZE = 1 << 20


@dataclass
class Outcome:
    """What the response carries: the body, its format (None: no result set), the summary."""

    body: bytes = b""
    output_format: str | None = None
    summary: dict[str, str] = field(default_factory=dict)


def execute(pool: EnginePool, query: HttpQuery, body: Iterable[bytes]) -> Outcome:
    chunks = iter(body)
    prefix = (query.query + "\n").encode() if query.query else b""
    head, buffer = _read_head(prefix, chunks)
    if head is not None:
        return _insert(pool, query, head, chain([buffer[head.data_start :]], chunks))
    text = bytes(buffer) + b"".join(chunks)
    try:
        sql = text.decode("utf-8")
    except UnicodeDecodeError:
        raise ClickHouseError.raised(BAD_ARGUMENTS, "The query is not valid UTF-8") from None
    return _statement(pool, query, sql)


def _read_head(
    prefix: bytes, chunks: Iterator[bytes]
) -> tuple[sqlscan.InsertHead | None, bytearray]:
    buffer = bytearray(prefix)
    complete = False
    while True:
        try:
            return sqlscan.split_insert(bytes(buffer), complete=complete), buffer
        except sqlscan.Incomplete:
            if len(buffer) > _HEAD_LIMIT:
                return None, buffer
            chunk = next(chunks, None)
            if chunk is None:
                complete = True
            else:
                buffer += chunk


def _insert(
    pool: EnginePool, query: HttpQuery, head: sqlscan.InsertHead, data: Iterable[bytes]
) -> Outcome:
    _check_readonly(query, "INSERT")
    with pool.connection() as conn:
        conn.prepare(query.database, query.settings)
        result = conn.insert(head.statement, head.format, _coalesce(data))
    return Outcome(
        summary=_summary(
            written_rows=result.rows_written,
            written_bytes=result.bytes_written,
            elapsed=result.elapsed,
        )
    )


def _statement(pool: EnginePool, query: HttpQuery, sql: str) -> Outcome:
    keyword = sqlscan.first_keyword(sql)
    if keyword is None:
        raise ClickHouseError.raised(SYNTAX_ERROR, "Empty query")
    if keyword != "INSERT" and sqlscan.has_several_statements(sql):
        raise ClickHouseError.raised(SYNTAX_ERROR, "Multi-statements are not allowed")
    _check_readonly(query, keyword)
    produces_result = keyword in sqlscan.RESULT_KEYWORDS
    with pool.connection() as conn:
        conn.prepare(query.database, query.settings)
        result = conn.run(sql, query.default_format, query.bind_params)
        if keyword in sqlscan.CONTROL_KEYWORDS:
            conn.renew()  # SET/USE from a client last one request: sessions are not kept
    body = result.bytes() or b""
    return Outcome(
        body=body,
        output_format=(sqlscan.output_format(sql) or query.default_format)
        if produces_result
        else None,
        summary=_summary(
            read_rows=result.rows_read(),
            read_bytes=result.bytes_read(),
            written_rows=result.rows_written(),
            written_bytes=result.bytes_written(),
            total_rows_to_read=result.rows_read(),
            result_bytes=len(body),
            elapsed=result.elapsed(),
        ),
    )


def _check_readonly(query: HttpQuery, keyword: str) -> None:
    if not query.readonly or keyword in sqlscan.RESULT_KEYWORDS:
        return
    if query.readonly == 2 and keyword == "SET":
        return
    raise ClickHouseError.raised(READONLY, "Cannot execute query in readonly mode")


def _coalesce(chunks: Iterable[bytes]) -> Iterator[bytes]:
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        if len(pending) >= _APPEND_SIZE:
            yield bytes(pending)
            pending.clear()
    if pending:
        yield bytes(pending)


def _summary(*, elapsed: float, **counters: int) -> dict[str, str]:
    """``X-ClickHouse-Summary``: the server sends every number as a string."""
    summary = {
        "read_rows": "0",
        "read_bytes": "0",
        "written_rows": "0",
        "written_bytes": "0",
        "total_rows_to_read": "0",
        "result_bytes": "0",
    }
    summary.update({name: str(value) for name, value in counters.items()})
    summary["elapsed_ns"] = str(int(elapsed * 1e9))
    return summary
