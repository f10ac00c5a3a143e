"""Reading JSON request bodies under the 64 KiB limit of operations.md.

A declared ``Content-Length`` over the limit is refused before reading; a
chunked body is cut off by aiohttp's ``client_max_size`` (set to the same
limit by :func:`attrib.web.app.create_app`).
"""

from __future__ import annotations

import json

from aiohttp import web

from attrib.web.errors import ApiError

MAX_BODY_BYTES = 65_536


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _too_large() -> ApiError:
    return ApiError(
        413, "payload_too_large", f"the request body is larger than {MAX_BODY_BYTES:,} bytes"
    )


async def read_body(request: web.Request) -> bytes:
    """The raw body; 413 :class:`ApiError` over :data:`MAX_BODY_BYTES`."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise _too_large() from exc
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    return raw


async def read_json_body(request: web.Request) -> object:
    """The parsed JSON body; 400 ``invalid_json`` when it is not JSON, 413 when too large."""
    raw = await read_body(request)
    if not raw.strip():
        raise ApiError(
            400, "invalid_json", "the request body is empty; a JSON document is required"
        )
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"the request body is not valid JSON: {exc}") from exc


__all__ = ["MAX_BODY_BYTES", "read_body", "read_json_body"]
