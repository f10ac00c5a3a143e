"""Input checks of attrib.collector.fields: stored forms and 400s naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from attrib.collector.fields import (
    currency,
    event_time,
    event_values,
    param_flag,
    param_lookback_ms,
    revenue_text,
)
from attrib.config.limits import DAY_MS, HOUR_MS
from attrib.web.errors import ApiError

NOW = 1_764_000_000_000


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("9.99"), "9.99"),
        (Decimal("0.10"), "0.10"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-2.5E-2"), "-0.025"),
        (7, "7"),
        (-3, "-3"),
        ("9.99", "9.99"),
        (" 12.50 ", "12.50"),
        ("1e2", "100"),
        (None, None),
    ],
)
def test_revenue_is_decimal_text_without_exponent(value: object, text: str | None) -> None:
    assert revenue_text(value) == text


@pytest.mark.parametrize(
    "value", ["ten", "", "NaN", "Infinity", "1e400", Decimal("1E+20"), True, [1], {"a": 1}]
)
def test_non_numeric_or_absurd_revenue_is_refused(value: object) -> None:
    with pytest.raises(ApiError) as caught:
        revenue_text(value)
    assert (caught.value.status, caught.value.code) == (400, "invalid_revenue")
    assert caught.value.extra["field"] == "revenue"


def test_currency_is_an_active_iso_4217_code_stored_uppercase() -> None:
    assert currency("eur") == "EUR"
    assert currency(None) is None
    for bad in ("EURO", "", "XXX", "ABC", 840):
        with pytest.raises(ApiError) as caught:
            currency(bad)
        assert caught.value.code == "invalid_currency"


def test_event_time_bounds_are_r3_inclusive() -> None:
    assert event_time(None, "timestamp", NOW) == NOW
    assert event_time(NOW + 600_000, "timestamp", NOW) == NOW + 600_000
    assert event_time(NOW - 400 * DAY_MS, "timestamp", NOW) == NOW - 400 * DAY_MS
    assert event_time(Decimal("1764000000000.0"), "timestamp", NOW) == NOW
    for bad, code in (
        (NOW + 600_001, "timestamp_out_of_range"),
        (NOW - 400 * DAY_MS - 1, "timestamp_out_of_range"),
        (10**30, "timestamp_out_of_range"),
        (Decimal("1764000000000.5"), "invalid_field"),
        (True, "invalid_field"),
        ("2025-01-01", "invalid_field"),
    ):
        with pytest.raises(ApiError) as caught:
            event_time(bad, "timestamp", NOW)
        assert caught.value.code == code
        assert "timestamp" in caught.value.detail


def test_lookbacks_are_clamped_to_their_windows() -> None:
    assert param_lookback_ms({"l": "12h"}, "l", "click_lookback") == 12 * HOUR_MS
    assert param_lookback_ms({"l": "0h"}, "l", "click_lookback") == HOUR_MS
    assert param_lookback_ms({"l": "365d"}, "l", "view_lookback") == DAY_MS
    assert param_lookback_ms({}, "l", "view_lookback") is None
    with pytest.raises(ApiError, match="parameter l"):
        param_lookback_ms({"l": "-1d"}, "l", "click_lookback")


def test_flags() -> None:
    assert param_flag({"r": "FALSE"}, "r", True) is False
    assert param_flag({"r": "1"}, "r", False) is True
    assert param_flag({}, "r", True) is True
    with pytest.raises(ApiError, match="parameter r"):
        param_flag({"r": "yes please"}, "r", True)


def test_event_values_are_text() -> None:
    values = {"sku": "gold", "n": 3, "p": Decimal("1.50"), "ok": True, "x": None, "l": [1, "a"]}
    assert event_values(values) == {
        "sku": "gold",
        "n": "3",
        "p": "1.50",
        "ok": "true",
        "l": '[1,"a"]',
    }
