"""docs/analytics.md shows the SQL that `attrib report` runs, and the benchmark it claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from attrib.analytics.report import REPORTS, report_sql

DOC = Path(__file__).resolve().parents[2] / "docs" / "analytics.md"


@pytest.mark.parametrize("name", list(REPORTS))
def test_the_docs_show_each_reports_sql_verbatim(name: str) -> None:
    text = DOC.read_text()
    assert f"### `{name}`" in text
    assert f"```sql\n{report_sql(name).rstrip()}\n```" in text


def test_the_docs_give_the_benchmark_command() -> None:
    assert ".venv/bin/python bench/sink.py" in DOC.read_text()
