"""The aiohttp application that serves ClickHouse's HTTP interface from chdb.

Routes: ``GET /ping`` and a bare ``GET /`` answer ``Ok.``; ``GET /?query=``
and ``POST /`` run a statement. The event loop only moves bytes: parsing,
decompression, chdb and response compression run in worker threads, and the
request body is pulled into the worker chunk by chunk as it arrives, so a long
insert streams instead of being buffered, and /ping stays instant while every
connection is busy. Credentials (Basic auth, ``X-ClickHouse-User``, ``user``
/``password`` parameters) are accepted and ignored: this is the local and CI
endpoint; production talks to a real ClickHouse server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from attrib.chserver.compression import BodyDecoder, body_decoder, compress, response_encoding
from attrib.chserver.errors import NOT_IMPLEMENTED, STD_EXCEPTION, ClickHouseError
from attrib.chserver.execution import Outcome, execute
from attrib.chserver.pool import ENGINE_VERSION, EnginePool
from attrib.chserver.protocol import HttpQuery, parse_http_query

log = logging.getLogger(__name__)

DEFAULT_POOL_SIZE = 4
# How long a worker waits for the next chunk of a request body.
_BODY_READ_TIMEOUT = 300.0
# Form fields (clickhouse-connect moves large bind parameters into a multipart form).
_MAX_FORM_SIZE = 64 << 20
_MAX_URL_SIZE = 1 << 20


@dataclass
class EndpointState:
    pool: EnginePool
    executor: ThreadPoolExecutor
    display_name: str


STATE = web.AppKey("chserver", EndpointState)


def make_app(data_dir: str | Path, *, pool_size: int = DEFAULT_POOL_SIZE) -> web.Application:
    """The endpoint as an aiohttp application; the engine opens on app startup."""
    app = web.Application(
        client_max_size=_MAX_FORM_SIZE,
        handler_args={
            # aiohttp would inflate gzip/deflate/zstd bodies itself, but not lz4: we decode all.
            "auto_decompress": False,
            # Statements and bind parameters travel in the URL (the server allows 1 MiB).
            "max_line_size": _MAX_URL_SIZE,
        },
    )
    app.cleanup_ctx.append(_engine_context(Path(data_dir), pool_size))
    app.router.add_get("/ping", _ok)
    app.router.add_get("/", _query)
    app.router.add_post("/", _query)
    return app


def run_server(data_dir: str, host: str, port: int, *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
    """Serve until SIGTERM/SIGINT, then finish running requests and close the engine."""
    data_path = Path(data_dir).resolve()

    def announce(_message: str) -> None:
        print(
            f"chserver ready url=http://{host}:{port} data_dir={data_path} "
            f"engine=chdb/{ENGINE_VERSION} connections={pool_size} pid={os.getpid()}",
            flush=True,
        )

    web.run_app(
        make_app(data_path, pool_size=pool_size),
        host=host,
        port=port,
        access_log=None,
        print=announce,
        shutdown_timeout=10,
    )


def _engine_context(
    data_dir: Path, pool_size: int
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def engine(app: web.Application) -> AsyncIterator[None]:
        pool = EnginePool(data_dir, pool_size)
        pool.open()
        executor = ThreadPoolExecutor(max_workers=pool_size * 2, thread_name_prefix="chserver")
        app[STATE] = EndpointState(pool, executor, socket.gethostname())
        try:
            yield
        finally:
            # Wait off the loop: workers may still need it to read request bodies.
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown, True)
            pool.close()

    return engine


async def _ok(_request: web.Request) -> web.Response:
    return web.Response(text="Ok.\n")


async def _query(request: web.Request) -> web.StreamResponse:
    if request.method == "GET" and "query" not in request.query:
        return await _ok(request)
    state = request.app[STATE]
    params = list(request.query.items())
    query_id = request.query.get("query_id") or str(uuid.uuid4())
    params.append(("query_id", query_id))
    loop = asyncio.get_running_loop()
    try:
        body: Iterable[bytes]
        if request.content_type == "multipart/form-data":
            params.extend(await _form_fields(request))  # the statement is a form field
            body = ()
        else:
            decoder = body_decoder(request.headers.get("Content-Encoding"))
            body = _body_chunks(request, loop, decoder)  # lazy: read by the worker
        query = parse_http_query(params, method=request.method)
        encoding = (
            response_encoding(request.headers.get("Accept-Encoding"))
            if query.compress_response
            else None
        )
        outcome, payload, encoding = await loop.run_in_executor(
            state.executor, _run, state.pool, query, body, encoding
        )
    except ClickHouseError as err:
        await _drain(request)
        return _error_response(state, query_id, err)
    except Exception as exc:
        log.warning("request failed unexpectedly", exc_info=True)
        await _drain(request)
        return _error_response(state, query_id, ClickHouseError.from_engine(exc))
    await _drain(request)
    return web.Response(body=payload, headers=_headers(state, query, outcome, encoding))


def _run(
    pool: EnginePool, query: HttpQuery, body: Iterable[bytes], encoding: str | None
) -> tuple[Outcome, bytes, str | None]:
    outcome = execute(pool, query, body)
    if encoding is None or not outcome.body:
        return outcome, outcome.body, None
    return outcome, compress(outcome.body, encoding), encoding


def _body_chunks(
    request: web.Request, loop: asyncio.AbstractEventLoop, decoder: BodyDecoder
) -> Iterator[bytes]:
    """The decoded request body, read from the event loop by a worker thread."""
    while True:
        future = asyncio.run_coroutine_threadsafe(request.content.readany(), loop)
        raw = future.result(_BODY_READ_TIMEOUT)
        if not raw:
            decoder.finish()
            return
        data = decoder.feed(raw)
        if data:
            yield data


async def _form_fields(request: web.Request) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for name, value in (await request.post()).items():
        if not isinstance(value, str):
            raise ClickHouseError.raised(NOT_IMPLEMENTED, "External data tables are not supported")
        fields.append((name, value))
    return fields


async def _drain(request: web.Request) -> None:
    """Read what is left of the body, so that the client gets to read our answer."""
    try:
        while await request.content.readany():
            pass
    except Exception:  # the client went away
        return


def _headers(
    state: EndpointState, query: HttpQuery, outcome: Outcome, encoding: str | None
) -> dict[str, str]:
    headers = {
        "Content-Type": _content_type(outcome.output_format),
        "X-ClickHouse-Server-Display-Name": state.display_name,
        "X-ClickHouse-Query-Id": query.query_id,
        "X-ClickHouse-Timezone": state.pool.timezone,
        "X-ClickHouse-Summary": json.dumps(outcome.summary, separators=(",", ":")),
    }
    if outcome.output_format is not None:
        headers["X-ClickHouse-Format"] = outcome.output_format
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    return headers


def _error_response(state: EndpointState, query_id: str, err: ClickHouseError) -> web.Response:
    if err.code == STD_EXCEPTION:
        log.warning("request failed: %s", err.text)
    return web.Response(
        status=err.http_status,
        text=err.body(ENGINE_VERSION),
        headers={
            "X-ClickHouse-Exception-Code": str(err.code),
            "X-ClickHouse-Server-Display-Name": state.display_name,
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": state.pool.timezone,
        },
    )


def _content_type(output_format: str | None) -> str:
    name = (output_format or "").lower()
    if not name:
        return "text/plain; charset=UTF-8"
    if name.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if name.startswith("csv"):
        return "text/csv; charset=UTF-8"
    if name.startswith("json") or name == "ndjson":
        return "application/json; charset=UTF-8"
    if name in ("pretty", "values", "vertical", "markdown", "xml") or name.startswith("pretty"):
        return "text/plain; charset=UTF-8"
    return "application/octet-stream"
