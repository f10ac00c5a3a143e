"""ClickHouse-shaped errors: the code, the HTTP status and the body clients parse.

clickhouse-connect turns any non-2xx answer into ``DatabaseError`` and takes
the error code from the ``X-ClickHouse-Exception-Code`` header and the name
from the ``(NAME)`` at the end of the body, so every failure — chdb's own or
one raised by this endpoint — must carry the text a real server would send:
``Code: N. DB::Exception: <message>. (NAME) (version X)``.
"""

from __future__ import annotations

import re

STD_EXCEPTION = 1001
BAD_ARGUMENTS = 36
NOT_IMPLEMENTED = 48
SYNTAX_ERROR = 62
UNKNOWN_FORMAT = 73
UNKNOWN_COMPRESSION_METHOD = 89
UNKNOWN_SETTING = 115
READONLY = 164
CANNOT_DECOMPRESS = 271

_NAMES = {
    STD_EXCEPTION: "STD_EXCEPTION",
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    SYNTAX_ERROR: "SYNTAX_ERROR",
    UNKNOWN_FORMAT: "UNKNOWN_FORMAT",
    UNKNOWN_COMPRESSION_METHOD: "UNKNOWN_COMPRESSION_METHOD",
    UNKNOWN_SETTING: "UNKNOWN_SETTING",
    READONLY: "READONLY",
    CANNOT_DECOMPRESS: "CANNOT_DECOMPRESS",
}

# The server's mapping of exception codes to HTTP statuses, for the codes that
# are not 500 (ClickHouse's exceptionCodeToHTTPStatus, abridged).
_HTTP_STATUS = {
    **dict.fromkeys((164, 192, 193, 194, 195, 196, 497, 516), 403),
    **dict.fromkeys((60, 81), 404),
    **dict.fromkeys(
        (
            6, 16, 25, 26, 27, 32, 33, 36, 38, 41, 42, 43, 44, 46, 47, 50, 53, 62, 63, 69,
            72, 73, 89, 115, 117, 130, 131, 153, 271, 457,
        ),
        400,
    ),
    NOT_IMPLEMENTED: 501,
}  # fmt: skip

_CODE = re.compile(r"Code: (\d+)\. ")
_VERSION = re.compile(r"\(version [^)]*\)\s*$")


class ClickHouseError(Exception):
    """A failed request, as the server would report it."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text

    @classmethod
    def raised(cls, code: int, message: str) -> ClickHouseError:
        """An error of this endpoint's own, worded like the server's."""
        name = _NAMES.get(code, "UNKNOWN_EXCEPTION")
        return cls(code, f"Code: {code}. DB::Exception: {message}. ({name})")

    @classmethod
    def from_engine(cls, exc: BaseException) -> ClickHouseError:
        """Wrap an exception from chdb, keeping its code and wording."""
        text = str(exc)
        match = _CODE.search(text)
        if match is None:
            return cls.raised(STD_EXCEPTION, f"{type(exc).__name__}: {text}")
        return cls(int(match.group(1)), text[match.start() :].strip())

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS.get(self.code, 500)

    def body(self, version: str) -> str:
        text = self.text if _VERSION.search(self.text) else f"{self.text} (version {version})"
        return text + "\n"
