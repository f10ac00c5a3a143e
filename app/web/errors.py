"""JSON errors of the HTTP API: ``{"error": code, "detail": sentence}`` and nothing else.

Handlers raise :class:`ApiError`; :func:`json_error_middleware` turns it, any
aiohttp HTTP error (unknown route, wrong method, body too large) and any
unexpected exception into a JSON answer, so no request ever gets an HTML
error page or a traceback.
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


@web.middleware
async def json_error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # redirects are answers, not errors
        return _from_http_exception(exc)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "the server failed to handle the request")


__all__ = ["ApiError", "error_code", "error_response", "json_error_middleware"]
