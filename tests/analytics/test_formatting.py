"""Report output: exact decimals, aligned tables, CSV and JSON; report filters."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from attrib.analytics.formatting import cell_text, decimal_text, render
from attrib.analytics.report import REPORTS, ReportFilter, ReportResult, report_sql

RESULT = ReportResult(
    "overview",
    ["day", "media_source", "installs", "conversion_rate", "revenue"],
    [
        (date(2025, 3, 1), "netA", 6, 0.75, {"USD": Decimal("9.990000"), "EUR": Decimal("5")}),
        (date(2025, 3, 2), "organic", 12, None, {}),
    ],
)


@pytest.mark.parametrize(
    ("value", "text"),
    [("19.980000", "19.98"), ("20.000000", "20.00"), ("0.000001", "0.000001"), ("1E+2", "100.00")],
)
def test_decimals_keep_their_digits_and_two_places(value: str, text: str) -> None:
    assert decimal_text(Decimal(value)) == text


def test_currency_maps_read_as_sorted_amounts() -> None:
    assert cell_text({"USD": Decimal("9.99"), "EUR": Decimal("5")}) == "EUR 5.00, USD 9.99"
    assert cell_text(None) == ""


def test_table_aligns_columns_and_right_aligns_numbers() -> None:
    lines = render(RESULT, "table").splitlines()
    assert lines[0].split() == RESULT.columns
    assert set(lines[1]) == {"-", " "}
    assert lines[2] == "2025-03-01  netA                 6             0.75  EUR 5.00, USD 9.99"
    assert lines[3].startswith("2025-03-02  organic             12")


def test_an_empty_report_says_so() -> None:
    assert render(ReportResult("fraud", ["a"], []), "table") == "fraud: no rows\n"


def test_csv_has_a_header_and_one_line_per_row() -> None:
    parsed = list(csv.reader(io.StringIO(render(RESULT, "csv"))))
    assert parsed == [
        RESULT.columns,
        ["2025-03-01", "netA", "6", "0.75", "EUR 5.00, USD 9.99"],
        ["2025-03-02", "organic", "12", "", ""],
    ]


def test_json_keeps_numbers_nulls_and_decimal_strings() -> None:
    document = json.loads(render(RESULT, "json"))
    assert document["report"] == "overview"
    assert document["rows"][0] == {
        "day": "2025-03-01",
        "media_source": "netA",
        "installs": 6,
        "conversion_rate": 0.75,
        "revenue": {"EUR": "5.00", "USD": "9.99"},
    }
    assert document["rows"][1]["conversion_rate"] is None


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="formats"):
        render(RESULT, "xml")


def test_filters_default_to_every_app_and_day_and_refuse_backwards_ranges() -> None:
    assert ReportFilter().parameters() == {
        "app": "",
        "date_from": date(1970, 1, 1),
        "date_to": date(2149, 6, 6),
    }
    with pytest.raises(ValueError, match="after"):
        ReportFilter(None, date(2025, 3, 2), date(2025, 3, 1))


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_reads_final_tables_and_takes_the_shared_filters(name: str) -> None:
    sql = report_sql(name)
    assert "{app:String}" in sql
    assert "{date_from:Date}" in sql
    assert "{date_to:Date}" in sql
    for table in ("touches", "attributions", "sessions", "reengagements", "attributed_events"):
        for line in sql.splitlines():
            if line.strip().startswith("FROM ") and f" {table}" in line:
                assert line.rstrip().endswith(f"{table} FINAL"), (name, line)
