"""A table as CSV: maps (revenue per currency) as ``currency=amount`` pairs, None as empty."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


def cell(value: Any) -> str:
    """One value as text, the same in CSV and in the HTML tables."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return " ".join(f"{k}={cell(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return " ".join(cell(v) for v in value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return (
            f"{value.quantize(CENT)}" if value == value.quantize(CENT) else f"{value.normalize()}"
        )
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value == value else ""
    return str(value)


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


__all__ = ["cell", "to_csv"]
