"""The collector's front door: connection, header-size and read-time limits.

aiohttp alone bounds neither the number of open connections nor the time a
client may take to send a request: a peer trickling its headers or its body
a byte at a time would hold a connection (and the handler reading the body)
for as long as it likes. :class:`LimitedAppRunner` serves an application
with the limits of :class:`FrontDoorLimits` (settings
``ATTRIB_COLLECTOR_MAX_CONNECTIONS``, ``_HEADER_LIMIT``, ``_READ_TIMEOUT``,
``_KEEPALIVE_TIMEOUT``; docs/collector.md, Abuse):

- a connection beyond ``max_connections`` is answered ``503`` and closed at
  once, before anything is read;
- a request line or header line longer than ``header_limit`` bytes is
  answered ``431`` (aiohttp's parser refuses it; the answer is made JSON here);
- a request must arrive whole, headers and body, within ``read_timeout``
  of its first byte (of the connection, for the first request): otherwise it
  is answered ``408`` and the connection closed. Headers not yet complete are
  answered from here; a body still arriving fails the handler's read with
  :class:`RequestTimeout`, which the route answers as JSON;
- an idle keep-alive connection is closed after ``keepalive_timeout``.

Every error here is JSON, like the API's (:mod:`attrib.web.errors`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.streams import StreamReader

from attrib.settings import Settings
from attrib.web.errors import ApiError, error_code, error_response

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrontDoorLimits:
    """The limits one listening collector enforces on its clients."""

    max_connections: int = 4096
    header_limit: int = 8192
    read_timeout_s: float = 10.0
    keepalive_timeout_s: float = 75.0

    @classmethod
    def from_settings(cls, settings: Settings) -> FrontDoorLimits:
        return cls(
            max_connections=settings.collector_max_connections,
            header_limit=settings.collector_header_limit,
            read_timeout_s=settings.collector_read_timeout_s,
            keepalive_timeout_s=settings.collector_keepalive_timeout_s,
        )

    def handler_args(self) -> dict[str, Any]:
        """The keyword arguments of aiohttp's request handler that enforce part of them."""
        return {
            "keepalive_timeout": self.keepalive_timeout_s,
            "max_line_size": self.header_limit,
            "max_field_size": self.header_limit,
        }


class RequestTimeout(ApiError):
    """A request body still arriving when the read timeout expired (``408``, closes)."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(
            408,
            "request_timeout",
            f"the request did not arrive whole within {timeout_s:g} s",
            headers={"Connection": "close"},
        )


def raw_error(status: int, detail: str) -> bytes:
    """A whole HTTP/1.1 JSON error answer that closes the connection, as bytes."""
    body = json.dumps({"error": error_code(status), "detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class LimitedServer(web.Server):
    """aiohttp's connection factory, making :class:`LimitedRequestHandler` connections."""

    def __init__(self, base: web.Server, limits: FrontDoorLimits) -> None:
        super().__init__(
            base.request_handler,
            request_factory=base.request_factory,
            handler_cancellation=base.handler_cancellation,
            **base._kwargs,  # the handler arguments AppRunner gathered
        )
        self.limits = limits
        #: Connections open now (refused ones are never counted).
        self.open_connections = 0
        #: Connections refused over ``max_connections`` since the start.
        self.refused_connections = 0
        #: Requests answered 408 since the start.
        self.timed_out_requests = 0

    def __call__(self) -> LimitedRequestHandler:
        return LimitedRequestHandler(self, loop=self._loop, **self._kwargs)


class LimitedRequestHandler(web.RequestHandler):
    """One connection: counted against the cap, each request under the read timeout."""

    __slots__ = ("_front", "_read_timer", "_reading", "_refused")

    def __init__(self, manager: LimitedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._front = manager
        self._read_timer: asyncio.TimerHandle | None = None
        # The body of the newest request while it is still arriving.
        self._reading: StreamReader | None = None
        self._refused = False

    # ---- the connection cap -------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        front = self._front
        if front.open_connections >= front.limits.max_connections:
            self._refused = True
            front.refused_connections += 1
            assert isinstance(transport, asyncio.Transport)
            transport.write(raw_error(503, "too many open connections; retry later"))
            transport.close()
            return
        front.open_connections += 1
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._refused:
            return
        self._front.open_connections -= 1
        self._disarm()
        self._reading = None
        super().connection_lost(exc)

    # ---- the read timeout ---------------------------------------------------
    def _arm(self) -> None:
        if self._read_timer is None:
            self._read_timer = self._loop.call_later(
                self._front.limits.read_timeout_s, self._read_timed_out
            )

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def data_received(self, data: bytes) -> None:
        # The first byte of a request starts its clock (the first request's
        # clock started with the connection).
        self._arm()
        parsed = self._request_count
        super().data_received(data)
        if self._request_count > parsed and self._messages:
            # Headers of a new request are in: is its body?
            _message, payload = self._messages[-1]
            self._reading = payload
        if self._reading is not None and self._reading.is_eof():
            self._reading = None
            self._disarm()

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport is None or self._force_close:
            return
        reading = self._reading
        if reading is not None and reading.is_eof():
            self._reading = None
            return
        self._front.timed_out_requests += 1
        timeout_s = self._front.limits.read_timeout_s
        if reading is not None:
            # The handler (or aiohttp, after an early answer) is reading the
            # body: its read fails, the route answers 408, then the connection closes.
            self._reading = None
            reading.set_exception(RequestTimeout(timeout_s))
            self.close()
            return
        detail = f"the request headers did not arrive within {timeout_s:g} s"
        self.transport.write(raw_error(408, detail))
        self.force_close()

    # ---- JSON answers to what aiohttp's parser refuses -----------------------
    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if isinstance(exc, LineTooLong):
            status = 431
            detail = (
                f"a request or header line is longer than {self._front.limits.header_limit} bytes"
            )
        elif isinstance(exc, HttpProcessingError):
            detail = f"malformed HTTP request: {exc.message}"
        else:
            return super().handle_error(request, status, exc, message)
        log.debug("refused a request from %s: %s", request.remote, exc)
        response = error_response(status, error_code(status), detail)
        response.force_close()
        return response

    def log_exception(self, *args: Any, **kw: Any) -> None:
        # A body cut off by the read timeout after an early answer is expected.
        if isinstance(kw.get("exc_info"), RequestTimeout):
            log.debug("request body cut off by the read timeout")
            return
        super().log_exception(*args, **kw)


class LimitedAppRunner(web.AppRunner):
    """:class:`aiohttp.web.AppRunner` whose connections obey ``limits``."""

    def __init__(self, app: web.Application, *, limits: FrontDoorLimits, **kwargs: Any) -> None:
        super().__init__(app, **limits.handler_args(), **kwargs)
        self.limits = limits

    async def _make_server(self) -> web.Server:
        return LimitedServer(await super()._make_server(), self.limits)

    @property
    def front_door(self) -> LimitedServer | None:
        """The connection factory (its counters), once set up."""
        server = self.server
        return server if isinstance(server, LimitedServer) else None


__all__ = [
    "FrontDoorLimits",
    "LimitedAppRunner",
    "LimitedRequestHandler",
    "LimitedServer",
    "RequestTimeout",
    "raw_error",
]
