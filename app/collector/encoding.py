"""Avro-encoding a record built from client input, with a 400 for text that is not Unicode.

Records are built from validated input, so encoding fails for one input
reason only: JSON may escape a lone UTF-16 surrogate (``"\\ud800"``) and a
query may percent-encode invalid UTF-8, which Python keeps as a string that
cannot be written as UTF-8. That is the client's error (400 naming the
field), not the server's; any other encoding failure is a bug and is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrib.avro.codec import AvroEncodeError, default_codec
from attrib.web.errors import ApiError

_codec = default_codec()


def _not_utf8(value: object) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return False


def _bad_text_field(record: Mapping[str, Any]) -> str | None:
    for field, value in record.items():
        if _not_utf8(value):
            return field
        if isinstance(value, Mapping) and any(
            _not_utf8(k) or _not_utf8(v) for k, v in value.items()
        ):
            return field
    return None


def encode_record(name: str, record: Mapping[str, Any]) -> bytes:
    """The Avro value of ``record``; 400 ``invalid_text`` when a field is not valid Unicode."""
    try:
        return _codec.encode(name, record)
    except AvroEncodeError:
        field = _bad_text_field(record)
        if field is None:
            raise
        raise ApiError(
            400, "invalid_text", f"{field} is not valid Unicode text", field=field
        ) from None


__all__ = ["encode_record"]
