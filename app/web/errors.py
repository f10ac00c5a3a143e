"""JSON errors of the HTTP API: ``{"error": code, "detail": sentence}`` and nothing else.

Handlers raise :class:`ApiError`; :func:`answer_exception` turns it, any
aiohttp HTTP error (unknown route, wrong method, body too large) and any
unexpected exception into a JSON answer, so no request ever gets an HTML
error page or a traceback. Every route of the collector calls it through
:func:`attrib.web.handlers.api_route` (which also counts the request);
:func:`json_error_middleware` is the same as a middleware, for other apps.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    431: "request_header_fields_too_large",
    500: "internal_error",
    503: "unavailable",
}
# Headers of an aiohttp exception that describe its own (text) body, not the error.
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})


def error_code(status: int) -> str:
    """The default error code of an HTTP status (``404`` -> ``not_found``)."""
    return _CODES.get(status, f"http_{status}")


def error_response(
    status: int,
    code: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    body: dict[str, Any] = {"error": code, "detail": detail}
    body.update(extra)
    return web.json_response(body, status=status, headers=dict(headers or {}))


class ApiError(Exception):
    """An error answer: status, machine code, human sentence, optional extra fields."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self) -> web.Response:
        return error_response(
            self.status, self.code, self.detail, headers=self.headers, **self.extra
        )


def _from_http_exception(exc: web.HTTPException) -> web.Response:
    headers = {k: v for k, v in exc.headers.items() if k.lower() not in _BODY_HEADERS}
    try:
        phrase = HTTPStatus(exc.status).phrase
    except ValueError:
        phrase = exc.reason
    detail = exc.reason if exc.reason and exc.reason != phrase else phrase
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        detail = "the request body is larger than the limit of 65,536 bytes"
    elif isinstance(exc, web.HTTPNotFound) and detail == phrase:
        detail = "no such resource"
    return error_response(exc.status, error_code(exc.status), detail, headers=headers)


def answer_exception(request: web.Request, exc: Exception) -> web.Response:
    """The JSON answer to ``exc``, raised by the handler of ``request``.

    An aiohttp redirect (``HTTPFound``...) is an answer, not an error: it is
    raised again for aiohttp to send.
    """
    if isinstance(exc, ApiError):
        return exc.response()
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        return _from_http_exception(exc)
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "internal_error", "the server failed to handle the request")


@web.middleware
async def json_error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Exception as exc:
        return answer_exception(request, exc)


__all__ = [
    "ApiError",
    "answer_exception",
    "error_code",
    "error_response",
    "json_error_middleware",
]
