"""The one documented way collector input may fail: an ApiError with a 4xx status."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from attrib.web.errors import ApiError
from tests.fuzz.budget import no_hang

T = TypeVar("T")


def accepted_or_4xx(call: Callable[[], T]) -> T | ApiError:
    """``call()``'s value, or the :class:`ApiError` it raised (asserted 4xx, coded, named)."""
    try:
        with no_hang():
            return call()
    except ApiError as exc:
        error = exc
    assert 400 <= error.status < 500, error
    assert error.code, error
    assert error.detail, error
    return error
