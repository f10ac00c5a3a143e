"""The dashboard's pure parts: the query, the session cookie, CSV cells, the charts' shapes."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attrib.dashboard import charts
from attrib.dashboard.csvfile import cell, to_csv
from attrib.dashboard.pages import heatmap_svg, login_page
from attrib.dashboard.query import MAX_DAYS, BadQuery, parse_query
from attrib.dashboard.session import LIFETIME_S, new_session, session_valid, token_matches

TODAY = date(2026, 12, 5)


def test_no_range_is_the_last_30_days_and_includes_today() -> None:
    query = parse_query({"app": "a"}, TODAY)
    assert (query.date_from, query.date_to) == (TODAY - timedelta(days=29), TODAY)
    assert query.includes_today
    assert not parse_query({"app": "a", "to": "2026-12-04"}, TODAY).includes_today


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "pick an app"),
        ({"app": "a", "from": "2026-03-02", "to": "2026-03-01"}, "the range is empty"),
        ({"app": "a", "from": "2016-01-01", "to": "2025-12-31"}, f"at most {MAX_DAYS}"),
        ({"app": "a", "to": "31/12/2025"}, "to must be a date"),
        ({"app": "a", "dir": "up"}, "dir must be asc or desc"),
        ({"app": "x" * 201}, "longer than 200"),
    ],
)
def test_bad_queries_say_what_is_wrong(params: dict[str, str], message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        parse_query(params, TODAY)


def test_a_range_of_exactly_max_days_is_allowed() -> None:
    start = TODAY - timedelta(days=MAX_DAYS - 1)
    assert parse_query({"app": "a", "from": str(start)}, TODAY).date_from == start


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_a_session_is_valid_for_its_token_only(token: str, other: str) -> None:
    value = new_session(token, now=1_000)
    assert session_valid(value, token, now=1_000 + LIFETIME_S - 1)
    assert not session_valid(value, token, now=1_000 + LIFETIME_S + 1)  # expired
    assert session_valid(value, other, now=1_000) == (other == token)


def test_tampered_or_empty_sessions_are_refused() -> None:
    value = new_session("secret", now=0)
    expires, _, mac = value.partition(".")
    assert not session_valid(f"{int(expires) + 9999}.{mac}", "secret", now=0)
    assert not session_valid("garbage", "secret", now=0)
    assert not session_valid(value, "", now=0)  # no token configured: nobody signs in
    assert not token_matches("", "")
    assert token_matches("secret", "secret")


@given(
    st.lists(
        st.tuples(st.text(max_size=20), st.integers(), st.none() | st.floats(0, 1)), max_size=5
    )
)
def test_csv_reads_back_as_the_cells(rows: list[tuple]) -> None:
    text = to_csv(["a", "b", "c"], rows)
    back = list(csv.reader(io.StringIO(text, newline="")))
    assert back[0] == ["a", "b", "c"]
    assert back[1:] == [[cell(v) for v in row] for row in rows]


def test_cells_of_maps_decimals_and_none() -> None:
    assert cell({"USD": Decimal("12.990000"), "EUR": Decimal("4.99")}) == "EUR=4.99 USD=12.99"
    assert cell(Decimal("0.123456")) == "0.123456"
    assert cell(None) == ""
    assert cell(0.25) == "0.25"


def test_daily_installs_stack_every_kind_of_install_per_source_and_day() -> None:
    days = charts.days_of(date(2026, 3, 1), date(2026, 3, 3))
    rows = [
        {"day": date(2026, 3, 1), "media_source": "net", "installs": 2, "organic_installs": 0,
         "reattributions": 1},
        {"day": date(2026, 3, 3), "media_source": "organic", "installs": 0, "organic_installs": 4,
         "reattributions": 0},
        {"day": date(2026, 3, 2), "media_source": "idle", "installs": 0, "organic_installs": 0,
         "reattributions": 0},
    ]  # fmt: skip
    shaped = charts.daily_installs(rows, days)
    assert shaped["labels"] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert shaped["datasets"] == [
        {"label": "net", "data": [3, 0, 0]},
        {"label": "organic", "data": [0, 0, 4]},
    ]


def test_ctit_sums_sites_and_flags_the_fraud_buckets() -> None:
    row = dict.fromkeys(charts.CTIT_BUCKETS, 0)
    rows = [
        {**row, "media_source": "net", "<10s": 1, "1-7d": 2},
        {**row, "media_source": "net", "1-7d": 3},
    ]
    shaped = charts.ctit_histogram(rows)
    assert shaped["datasets"] == [{"label": "net", "data": [1, 0, 0, 0, 0, 5, 0]}]
    assert [shaped["labels"][i] for i in shaped["flagged"]] == ["<10s", ">7d"]


def test_retention_weights_each_source_by_its_installs_and_keeps_open_days_open() -> None:
    base = {"install_day": date(2026, 3, 1), "day_3": None, "day_7": None, "day_14": None,
            "day_30": None}  # fmt: skip
    rows = [
        {**base, "media_source": "a", "installs": 1, "day_1": 1.0},
        {**base, "media_source": "b", "installs": 3, "day_1": 0.0},
    ]
    (cohort,) = charts.retention_grid(rows)
    assert cohort["installs"] == 4
    assert cohort["day_1"] == 0.25
    assert cohort["day_3"] is None
    svg = heatmap_svg([cohort])
    assert svg.count("<rect") == 5
    assert "25%" in svg


def test_postback_outcomes_order_and_empty_state() -> None:
    days = charts.days_of(date(2026, 3, 1), date(2026, 3, 2))
    assert charts.postback_outcomes([], days)["datasets"] == []
    rows = [
        {"day": date(2026, 3, 2), "outcome": "dead", "deliveries": 1},
        {"day": date(2026, 3, 1), "outcome": "delivered", "deliveries": 5},
    ]
    shaped = charts.postback_outcomes(rows, days)
    assert [d["label"] for d in shaped["datasets"]] == ["delivered", "dead"]
    assert shaped["datasets"][0]["data"] == [5, 0]


def test_overview_totals_add_revenue_per_currency() -> None:
    zero = dict.fromkeys(
        ["impressions", "clicks", "installs", "organic_installs", "reattributions",
         "blocked_installs", "events"], 0,
    )  # fmt: skip
    rows = [
        {**zero, "clicks": 10, "installs": 2, "revenue": {"USD": Decimal("1.5")}},
        {**zero, "organic_installs": 3, "revenue": {"USD": Decimal("2"), "EUR": Decimal("1")}},
    ]
    totals = charts.overview_totals(rows)
    assert totals["all_installs"] == 5
    assert totals["conversion_rate"] == 0.2
    assert totals["revenue"] == {"EUR": Decimal("1"), "USD": Decimal("3.5")}


def test_messages_are_escaped() -> None:
    assert "<script>" not in login_page("<script>alert(1)</script>")
