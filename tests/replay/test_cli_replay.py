"""``attrib replay`` over a Parquet archive of the demo decided live by the engine driver.

The 1-day click window's known answer comes from the scenario's own facts,
not from the engine: every first install won by a click more than a day
before it (CTIT > 1 d) turns organic, and nothing else changes.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from attrib.cli.replay import replay
from attrib.replay.compare import decision, latest_by_install
from attrib.replay.overrides import apply_overrides
from attrib.replay.redecide import redecide
from tests.replay.helpers import DemoRun, demo_live, write_archive

NOW = 1_790_000_000_000
APP = "demo-replay"
DAY_S = 86_400


@pytest.fixture(scope="module")
def demo() -> DemoRun:
    return demo_live(APP, NOW)


@pytest.fixture(scope="module")
def archive(demo: DemoRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    write_archive(root, APP, demo.archive)
    (root / "config.json").write_text(json.dumps(demo.scenario.config))
    return root


def _days(demo: DemoRun) -> tuple[str, str]:
    today = datetime.fromtimestamp(NOW / 1000, UTC).date()
    return (today - timedelta(days=30)).isoformat(), today.isoformat()


def invoke(archive: Path, demo: DemoRun, *extra: str) -> Result:
    """`attrib replay` over the demo's range and archive, with ``extra`` options."""
    first, last = _days(demo)
    return CliRunner().invoke(
        replay,
        [
            "--app",
            APP,
            "--from",
            first,
            "--to",
            last,
            "--config",
            str(archive / "config.json"),
            *extra,
        ],
        env={"ATTRIB_ARCHIVE_URL": str(archive)},
    )


def run_cli(archive: Path, demo: DemoRun, *extra: str) -> dict:
    result = invoke(archive, demo, "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return {row["media_source"]: row for row in json.loads(result.stdout)["rows"]}


def test_no_set_changes_nothing(archive: Path, demo: DemoRun) -> None:
    rows = run_cli(archive, demo)
    assert {"googleadwords_int", "organic", "blocked"} <= set(rows)
    for name, row in rows.items():
        assert row["installs_before"] == row["installs_after"], name
        assert (row["to_organic"], row["from_organic"], row["revenue_moved"]) == (0, 0, {}), name
    assert rows["googleadwords_int"]["installs_before"] > 0


def _long_click_installs(demo: DemoRun) -> Counter[str]:
    facts = demo.scenario.facts
    assert facts is not None
    return Counter(
        d.source
        for d in facts.decisions
        if d.status == "non_organic" and d.touch_type == "click" and d.ctit > DAY_S
    )


def test_a_one_day_click_window_moves_exactly_the_installs_with_ctit_over_a_day(
    demo: DemoRun,
) -> None:
    facts = demo.scenario.facts
    assert facts is not None
    expected_times = {
        d.time
        for d in facts.decisions
        if d.status == "non_organic" and d.touch_type == "click" and d.ctit > DAY_S
    }
    assert expected_times, "the scenario has installs with CTIT > 1 d (applovin_int)"
    config = apply_overrides(demo.config, ["attribution.click_lookback=1d"])
    live = latest_by_install(demo.driver.read("attributions"))
    after = latest_by_install(redecide(demo.driver.inputs, config).attributions)
    moved = {k for k in live if decision(live[k]) != decision(after[k])}
    assert {live[k]["install_time"] for k in moved} == expected_times
    assert all(after[k]["status"] == "organic" for k in moved)


def test_the_summary_of_a_one_day_click_window(archive: Path, demo: DemoRun) -> None:
    rows = run_cli(archive, demo, "--set", "attribution.click_lookback=1d")
    expected = _long_click_installs(demo)
    assert {name: r["to_organic"] for name, r in rows.items() if r["to_organic"]} == expected
    for name, n in expected.items():
        assert rows[name]["installs_after"] == rows[name]["installs_before"] - n
    organic = rows["organic"]
    assert organic["installs_after"] - organic["installs_before"] == sum(expected.values())


def test_a_per_source_window_moves_only_that_source(archive: Path, demo: DemoRun) -> None:
    rows = run_cli(archive, demo, "--set", "media_sources.applovin_int.click_lookback=1d")
    moved = {name: r["to_organic"] for name, r in rows.items() if r["to_organic"]}
    assert moved == {"applovin_int": _long_click_installs(demo)["applovin_int"]}


def test_progress_and_lookback_on_stderr(archive: Path, demo: DemoRun) -> None:
    first, last = _days(demo)
    result = CliRunner().invoke(
        replay,
        ["--app", APP, "--from", first, "--to", last, "--config", str(archive / "config.json")],
        env={"ATTRIB_ARCHIVE_URL": str(archive)},
    )
    assert result.exit_code == 0, result.output
    assert "d lookback" in result.stderr
    assert "re-decided" in result.stderr
    assert "media_source" in result.stdout
    assert "re-decided" not in result.stdout


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("attribution.click_lookbak=1d", "attribution.click_lookbak: unknown field"),
        ("attribution.click_lookback=forever", "attribution.click_lookback"),
        ("attribution.click_lookback=90d", "attribution.click_lookback"),
        ("postbacks=[]", "unknown section 'postbacks'"),
        ("attribution.click_lookback", "expected PATH=VALUE"),
    ],
)
def test_a_bad_set_is_a_usage_error_naming_it(
    archive: Path, demo: DemoRun, setting: str, message: str
) -> None:
    result = invoke(archive, demo, "--set", setting)
    assert result.exit_code == 2
    assert message in result.output


def test_no_archive_is_a_clear_error(tmp_path: Path, archive: Path) -> None:
    result = CliRunner().invoke(
        replay,
        [
            "--app",
            APP,
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-02",
            "--config",
            str(archive / "config.json"),
        ],
        env={"ATTRIB_ARCHIVE_URL": str(tmp_path / "nowhere")},
    )
    assert result.exit_code == 1
    assert "no archive at" in result.output
