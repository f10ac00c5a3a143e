"""HTTP body compression as ClickHouse speaks it: lz4, zstd, gzip, deflate.

Request bodies (``Content-Encoding``) are decoded incrementally, because an
insert may be hundreds of megabytes and is handed to chdb as it arrives.
clickhouse-connect compresses each insert block on its own, so an lz4 or
zstd body is a sequence of frames, not one frame: the decoders restart on
every frame boundary. Responses are compressed whole (chdb produces the whole
result anyway), with the first method in the client's ``Accept-Encoding``
that this endpoint knows.
"""

from __future__ import annotations

import gzip
import sys
import zlib
from collections.abc import Callable
from typing import Any, Protocol

import lz4.frame

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

from attrib.chserver.errors import (
    CANNOT_DECOMPRESS,
    UNKNOWN_COMPRESSION_METHOD,
    ClickHouseError,
)

# ClickHouse's http_zlib_compression_level default.
_ZLIB_LEVEL = 3


class BodyDecoder(Protocol):
    def feed(self, data: bytes) -> bytes: ...

    def finish(self) -> None: ...


class _Identity:
    def feed(self, data: bytes) -> bytes:
        return data

    def finish(self) -> None:
        return None


class _Frames:
    """Decode a concatenation of independent frames (or gzip members)."""

    def __init__(self, method: str, factory: Callable[[], Any]) -> None:
        self._method = method
        self._factory = factory
        self._decoder = factory()
        self._pending = False  # inside a frame that has not ended yet

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        try:
            while data:
                if self._decoder.eof:
                    self._decoder = self._factory()
                self._pending = True
                out.append(self._decoder.decompress(data))
                data = self._decoder.unused_data if self._decoder.eof else b""
                if self._decoder.eof:
                    self._pending = False
        except (OSError, RuntimeError, ValueError, zlib.error, zstd.ZstdError) as exc:
            raise ClickHouseError.raised(
                CANNOT_DECOMPRESS, f"Cannot decompress {self._method} request body: {exc}"
            ) from exc
        return b"".join(out)

    def finish(self) -> None:
        if self._pending:
            raise ClickHouseError.raised(
                CANNOT_DECOMPRESS, f"Truncated {self._method} request body"
            )


_DECODERS: dict[str, Callable[[], Any]] = {
    "lz4": lz4.frame.LZ4FrameDecompressor,
    "zstd": zstd.ZstdDecompressor,
    "gzip": lambda: zlib.decompressobj(wbits=16 + zlib.MAX_WBITS),
    "x-gzip": lambda: zlib.decompressobj(wbits=16 + zlib.MAX_WBITS),
    "deflate": zlib.decompressobj,
}

_ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "lz4": lz4.frame.compress,
    "zstd": zstd.compress,
    "gzip": lambda data: gzip.compress(data, compresslevel=_ZLIB_LEVEL),
    "deflate": lambda data: zlib.compress(data, _ZLIB_LEVEL),
}


def body_decoder(content_encoding: str | None) -> BodyDecoder:
    """The decoder for a request's ``Content-Encoding`` (absent or identity: none)."""
    method = (content_encoding or "").strip().lower()
    if method in ("", "identity"):
        return _Identity()
    factory = _DECODERS.get(method)
    if factory is None:
        raise ClickHouseError.raised(
            UNKNOWN_COMPRESSION_METHOD, f"Unknown Content-Encoding of HTTP request: {method}"
        )
    return _Frames(method, factory)


def response_encoding(accept_encoding: str | None) -> str | None:
    """The first method of ``Accept-Encoding`` that we can produce, in the client's order."""
    for item in (accept_encoding or "").split(","):
        name, _, quality = item.partition(";")
        name = name.strip().lower()
        if name in _ENCODERS and quality.replace(" ", "") not in ("q=0", "q=0.0"):
            return name
    return None


def compress(data: bytes, method: str) -> bytes:
    return _ENCODERS[method](data)
