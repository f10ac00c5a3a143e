"""docs/analytics.md shows the SQL that `attrib report` runs, and benchmark commands that run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from attrib.analytics.report import REPORTS, report_sql
from attrib.analytics.summaries.refreshing import summary_sql

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "analytics.md"


@pytest.mark.parametrize("name", list(REPORTS))
def test_the_docs_show_each_reports_sql_verbatim(name: str) -> None:
    text = DOC.read_text()
    assert f"### `{name}`" in text
    assert f"```sql\n{report_sql(name).rstrip()}\n```" in text


def test_every_benchmark_command_in_the_docs_names_a_script_and_flags_it_has() -> None:
    """A renamed script or option breaks the documented command: this catches it."""
    commands = re.findall(r"\.venv/bin/python (bench/[\w/]+\.py)([^\n`#]*)", DOC.read_text())
    assert commands, "docs/analytics.md shows no benchmark command"
    for script, arguments in commands:
        path = ROOT / script
        assert path.is_file(), f"{script} (docs/analytics.md) does not exist"
        source = path.read_text()
        for flag in re.findall(r"(--[a-z][a-z0-9-]*)", arguments):
            assert f'"{flag}"' in source, f"{script} has no option {flag}"


@pytest.mark.parametrize("name", ["dirty", "daily"])
def test_the_docs_show_the_summary_sql_verbatim(name: str) -> None:
    assert f"```sql\n{summary_sql(name).rstrip()}\n```" in DOC.read_text()
