"""Checking and converting one input value: every refusal is a 400 naming its field.

Tracking links carry text (query parameters); SDK and S2S bodies carry JSON
values. Each function takes the raw value and the name the sender used, and
returns the stored form or raises :class:`~attrib.web.errors.ApiError` with
``field`` set, so the answer tells the sender exactly what to fix.

Revenue keeps the decimal text as received (R34 echoes ``{revenue}``
verbatim): bodies are parsed with JSON numbers as :class:`~decimal.Decimal`
(see :mod:`attrib.collector.jsonbody`), and a number is rendered without an
exponent, so ``9.99`` stays ``9.99`` and never becomes ``9.9900000001``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from attrib.collector.jsonbody import dumps_compact
from attrib.config import clamp_window
from attrib.currencies import currency_code
from attrib.durations import DurationError, parse_duration
from attrib.rules.eventtime import event_time_problem
from attrib.web.errors import ApiError

MAX_TEXT_CHARS: Final = 1024
MAX_ID_CHARS: Final = 200
#: Revenue bounds: at most 15 integer digits and 20 decimals (any real price fits).
MAX_REVENUE_ADJUSTED_EXPONENT: Final = 14
MIN_REVENUE_EXPONENT: Final = -20

_DIGITS = re.compile(r"-?\d{1,16}")
_PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")

TRUE_WORDS: Final = frozenset({"true", "1"})
FALSE_WORDS: Final = frozenset({"false", "0", ""})


def field_error(field: str, detail: str, code: str = "invalid_field") -> ApiError:
    return ApiError(400, code, detail, field=field)


def missing(field: str, what: str = "field", code: str = "missing_field") -> ApiError:
    return ApiError(400, code, f"the {what} {field} is required", field=field)


# ---- text -------------------------------------------------------------------
def optional_text(value: object, field: str, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    """A JSON string (or absent/null) of at most ``max_chars`` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise field_error(field, f"{field} must be a string")
    if len(value) > max_chars:
        raise field_error(field, f"{field} is longer than {max_chars} characters")
    return value


def required_text(value: object, field: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    text = optional_text(value, field, max_chars)
    if text is None or not text.strip():
        raise missing(field)
    return text


def param_too_long(name: str) -> ApiError:
    """400: the query parameter ``name`` is longer than :data:`MAX_TEXT_CHARS`."""
    return field_error(
        name, f"parameter {name} is longer than {MAX_TEXT_CHARS} characters", "invalid_parameter"
    )


def param_text(params: Mapping[str, str], name: str) -> str | None:
    """A query parameter; empty means absent (networks leave unfilled macros empty)."""
    value = params.get(name)
    if not value:
        return None
    if len(value) > MAX_TEXT_CHARS:
        raise param_too_long(name)
    return value


def param_flag(params: Mapping[str, str], name: str, default: bool) -> bool:
    """``true``/``1`` or ``false``/``0`` (any case); absent is ``default``."""
    value = params.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise field_error(
        name, f"parameter {name} must be true or false, got {value[:40]!r}", "invalid_parameter"
    )


# ---- time -------------------------------------------------------------------
def _epoch_ms(value: object) -> int | None:
    """An integer epoch-ms from a JSON int, an integral JSON number or a digit string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value() and abs(value) < 10**16:
            return int(value)
        return None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value)
    return None


def event_time(value: object, field: str, received_ms: int, *, code: str = "invalid_field") -> int:
    """The event time named by ``value`` (default: the receive time), bounded by R3."""
    if value is None:
        return received_ms
    ms = _epoch_ms(value)
    if ms is None:
        raise field_error(field, f"{field} must be an integer of epoch milliseconds", code)
    problem = event_time_problem(ms, received_ms)
    if problem is not None:
        raise field_error(field, f"{field}: {problem} (R3)", "timestamp_out_of_range")
    return ms


def param_event_time(params: Mapping[str, str], name: str, received_ms: int) -> int:
    value = params.get(name)
    return event_time(value or None, name, received_ms, code="invalid_parameter")


def optional_epoch_ms(value: object, field: str, received_ms: int) -> int | None:
    """An optional timestamp (``install_begin_ts``), bounded by R3 like event times."""
    if value is None:
        return None
    return event_time(value, field, received_ms)


# ---- windows ----------------------------------------------------------------
def param_lookback_ms(params: Mapping[str, str], name: str, window: str) -> int | None:
    """A link's lookback override (``12h``, ``7d``) in ms, clamped to ``window``'s range (R12)."""
    value = params.get(name)
    if not value:
        return None
    try:
        ms = parse_duration(value)
    except DurationError:
        raise field_error(
            name,
            f"parameter {name} must be a duration such as 12h or 7d, got {value[:40]!r}",
            "invalid_parameter",
        ) from None
    return clamp_window(window, ms)


# ---- money ------------------------------------------------------------------
def _plain(number: Decimal, field: str) -> str:
    if not number.is_finite():
        raise field_error(field, f"{field} must be a finite number", "invalid_revenue")
    if number.adjusted() > MAX_REVENUE_ADJUSTED_EXPONENT:
        raise field_error(field, f"{field} is too large", "invalid_revenue")
    if number.as_tuple().exponent < MIN_REVENUE_EXPONENT:  # type: ignore[operator]
        raise field_error(
            field, f"{field} has more than {-MIN_REVENUE_EXPONENT} decimals", "invalid_revenue"
        )
    return format(number, "f")


def revenue_text(value: object, field: str = "revenue") -> str | None:
    """The revenue as decimal text without exponent; refunds (negative) allowed.

    A JSON number or a numeric string; ``null``/absent is no revenue.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise field_error(field, f"{field} must be a number", "invalid_revenue")
    if isinstance(value, int):
        return _plain(Decimal(value), field)
    if isinstance(value, Decimal):
        return _plain(value, field)
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= 64:
            if _PLAIN_DECIMAL.fullmatch(text):
                _plain(Decimal(text), field)  # bounds only
                return text
            try:
                return _plain(Decimal(text), field)
            except InvalidOperation:
                pass
        raise field_error(field, f"{field} must be a number, got {value[:40]!r}", "invalid_revenue")
    raise field_error(field, f"{field} must be a number", "invalid_revenue")


def currency(value: object, field: str = "currency") -> str | None:
    if value is None:
        return None
    code = currency_code(value) if isinstance(value, str) else None
    if code is None:
        shown = value[:20] if isinstance(value, str) else type(value).__name__
        raise field_error(
            field,
            f"{field} must be an ISO-4217 code such as USD, got {shown!r}",
            "invalid_currency",
        )
    return code


# ---- event values -----------------------------------------------------------
def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return dumps_compact(value)


def event_values(value: object, field: str = "values") -> dict[str, str]:
    """The event's ``values`` object, every value as text (nested values as JSON, null dropped)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise field_error(field, f"{field} must be a JSON object")
    return {str(k): _as_text(v) for k, v in value.items() if v is not None}


__all__ = [
    "currency",
    "event_time",
    "event_values",
    "field_error",
    "missing",
    "optional_epoch_ms",
    "optional_text",
    "param_event_time",
    "param_flag",
    "param_lookback_ms",
    "param_text",
    "param_too_long",
    "required_text",
    "revenue_text",
]
