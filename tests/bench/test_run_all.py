"""bench/run_all.py reads the collector bench's table, not the prose lines after it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "bench" / "run_all.py"
_spec = importlib.util.spec_from_file_location("bench_run_all", _PATH)
assert _spec is not None
assert _spec.loader is not None
run_all = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_all)

COLLECTOR_OUTPUT = """round 1
bare          30,000     2.00     4.00         -       30.0         -       50%      0.7
best round of each scenario
bare          38,413     1.62     3.20         -       25.5         -       50%      0.7
bare-post     36,363     1.74     2.67     94.7%       27.3     93.4%       47%      0.5
click         19,804     3.08     6.43     51.6%       52.7     48.4%       30%     10.4
install       18,356     3.39     6.01     47.8%       57.9     44.0%       27%      8.7
kafka-only    19,435     3.20     6.01     50.6%       39.6     64.4%       27%      7.9
collector/bare ratio (worse of click and install): 47.8% (goal: at least 50%)
install against the bare handler given the same POST (bare-post): 50.5%; CPU ...
kafka-only (the collector's producer, none of its work): 50.6% of bare; install 94.4% of ...
"""


def test_collector_rows_come_from_the_best_round_table() -> None:
    rows = {
        name: (value, against, ratio)
        for name, value, against, ratio in run_all.parse_collector(COLLECTOR_OUTPUT)
    }
    assert rows["collector click requests/s"] == ("19,804", "38,413 bare aiohttp", "52%")
    assert rows["collector install requests/s"] == ("18,356", "38,413 bare aiohttp", "48%")
    assert rows["collector kafka-only requests/s"] == ("19,435", "38,413 bare aiohttp", "51%")
    assert rows["collector install p99 ms"][0] == "6.0"


def test_a_failed_collector_run_is_reported_as_failed() -> None:
    assert run_all.parse_collector("") == [("collector requests/s", "failed", "", "")]
