"""A setting a command cannot use is said in one line with exit status 1, not a traceback.

(``attrib worker`` goes the same way, but reads its settings when ``attrib.faust_app`` is
first imported, which other tests of this process may have done already.)"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from attrib.cli import cli

BAD = {"ATTRIB_DECISION_DELAY": "soon"}


@pytest.mark.parametrize(
    "args",
    [
        ["sink", "--migrate-only"],
        ["deliver"],
        ["archive", "--once"],
        ["topics", "create"],
        ["report", "overview"],
    ],
)
def test_a_bad_setting_is_one_line_naming_it(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, env=BAD)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ATTRIB_DECISION_DELAY: invalid duration 'soon'")
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # click's exit, not the error itself
