"""JSON bodies of the SDK and S2S endpoints, with numbers kept exactly as sent.

:func:`attrib.web.bodies.read_json_body` parses numbers as floats, which would
turn a revenue of ``9.99`` into a binary approximation and lose the text that
postbacks must echo (R34). Here every non-integer JSON number becomes a
:class:`~decimal.Decimal`; ``NaN`` and ``Infinity`` (accepted by Python's
``json`` but not JSON) are refused.

The S2S batch body may be larger than an SDK body (up to 1,000 items), so its
limit is separate: :data:`MAX_BATCH_BODY_BYTES`. The aiohttp application's
``client_max_size`` is the SDK limit, so the batch body is read from the
stream directly with its own bound.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Final

from aiohttp import web

from attrib.web.bodies import MAX_BODY_BYTES, read_body
from attrib.web.errors import ApiError

#: S2S batches: 1,000 items of typically 0.5–2 KB.
MAX_BATCH_BODY_BYTES: Final = 4 * 1024 * 1024


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


# Built once: json.loads with hooks constructs a new decoder on every call.
_DECODER: Final = json.JSONDecoder(parse_float=Decimal, parse_constant=_refuse_constant)


class _DecimalEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)
        return super().default(o)


def dumps_compact(value: object) -> str:
    """Compact JSON text of a parsed value (Decimals included)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, cls=_DecimalEncoder)


# The decoder's C scanner: a document that starts at its first character and
# ends at its last (what SDKs send) is parsed by it alone; JSONDecoder.decode
# adds two regular-expression scans for surrounding whitespace and a Python
# frame, a third of the cost of an SDK body.
_SCAN: Final = _DECODER.scan_once


def _decode(text: str) -> object:
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:  # not a value at position 0: whitespace first, or not JSON
        return _DECODER.decode(text)
    if end != len(text):
        return _DECODER.decode(text)  # whitespace after it, or extra data (refused there)
    return value


def parse_json(raw: bytes) -> object:
    """The JSON document ``raw`` (UTF-8); 400 ``invalid_json`` naming ``body`` if it is not."""
    if not raw.strip():
        raise ApiError(
            400,
            "invalid_json",
            "the request body is empty; a JSON document is required",
            field="body",
        )
    try:
        return _decode(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(
            400, "invalid_json", f"the request body is not valid JSON: {exc}", field="body"
        ) from exc


async def _read_sdk_body(request: web.Request) -> bytes:
    """The body of an SDK call, under the limit of :func:`attrib.web.bodies.read_body`.

    With a ``Content-Length`` within the limit (what SDKs send), the body is
    taken from the stream as it arrived, usually one chunk, without
    ``request.read()``'s growing buffer and copies; anything else is read by
    ``read_body``.
    """
    length = request.content_length
    if length is None or length > MAX_BODY_BYTES:
        return await read_body(request)  # chunked (bounded there), or 413
    content = request.content
    chunk = await content.readany()
    if len(chunk) >= length or not chunk:
        return chunk
    chunks = [chunk]
    size = len(chunk)
    while size < length:
        chunk = await content.readany()
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """An SDK body: a JSON object of at most 64 KiB (413 above, 400 when not an object)."""
    content = request.content
    length = request.content_length
    if length is not None and length <= MAX_BODY_BYTES and content.is_eof():
        # The whole body arrived with the headers (an SDK call, usually): take
        # it without the two coroutines of a read.
        raw = content.read_nowait()
    else:
        raw = await _read_sdk_body(request)
    document = parse_json(raw)
    if not isinstance(document, dict):
        raise ApiError(400, "invalid_body", "the request body must be a JSON object", field="body")
    return document


def _batch_too_large() -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        f"the request body is larger than {MAX_BATCH_BODY_BYTES:,} bytes",
        field="body",
    )


async def read_json_array(request: web.Request) -> list[Any]:
    """An S2S body: a JSON array of at most :data:`MAX_BATCH_BODY_BYTES` bytes."""
    length = request.content_length
    if length is not None and length > MAX_BATCH_BODY_BYTES:
        raise _batch_too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > MAX_BATCH_BODY_BYTES:
            raise _batch_too_large()
        chunks.append(chunk)
    document = parse_json(b"".join(chunks))
    if not isinstance(document, list):
        raise ApiError(400, "invalid_body", "the request body must be a JSON array", field="body")
    return document


__all__ = [
    "MAX_BATCH_BODY_BYTES",
    "MAX_BODY_BYTES",
    "dumps_compact",
    "parse_json",
    "read_json_array",
    "read_json_object",
]
