"""Report output: an aligned table for people, CSV and JSON for programs.

Values keep their exactness on the way out: decimals (revenue) are printed
from their ``Decimal`` (never through a float) with at least two places,
per-currency amounts (a ClickHouse ``Map``) become ``EUR 5.00, USD 19.98``
in a table and CSV cell and an object of decimal strings in JSON, rates stay
the numbers ClickHouse rounded, and missing values (a rate over zero
clicks, a retention day still to come) are empty cells or ``null``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrib.analytics.report import ReportResult

FORMATS = ("table", "csv", "json")
_CENTS = Decimal("0.01")


def decimal_text(value: Decimal) -> str:
    """``19.98``, ``20.00``, ``0.000001``: trailing zeros dropped, but two places kept."""
    normal = value.normalize()
    if normal.as_tuple().exponent > -2:  # type: ignore[operator]
        normal = normal.quantize(_CENTS)
    return f"{normal:f}"


def cell_text(value: Any) -> str:
    """How a value reads in a table or CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {cell_text(v)}" for k, v in sorted(value.items()))
    return str(value)


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return cell_text(value)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in sorted(value.items())}
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def format_table(result: ReportResult) -> str:
    """Columns aligned, numbers to the right; an empty report says so."""
    if not result.rows:
        return f"{result.name}: no rows\n"
    cells = [[cell_text(v) for v in row] for row in result.rows]
    widths = [
        max(len(name), *(len(row[i]) for row in cells)) for i, name in enumerate(result.columns)
    ]
    numeric = [
        all(_is_number(row[i]) or row[i] is None for row in result.rows)
        for i in range(len(result.columns))
    ]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(list(result.columns)), line(["-" * w for w in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out) + "\n"


def format_csv(result: ReportResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([cell_text(v) for v in row] for row in result.rows)
    return buffer.getvalue()


def format_json(result: ReportResult) -> str:
    rows = [{k: json_value(v) for k, v in row.items()} for row in result.as_dicts()]
    return json.dumps({"report": result.name, "rows": rows}, indent=2) + "\n"


def render(result: ReportResult, fmt: str) -> str:
    """``result`` in format ``table``, ``csv`` or ``json``."""
    if fmt == "table":
        return format_table(result)
    if fmt == "csv":
        return format_csv(result)
    if fmt == "json":
        return format_json(result)
    raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
