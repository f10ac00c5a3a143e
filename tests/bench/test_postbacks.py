"""bench/postbacks.py's report: the three lanes and their ratios; bench_topics' selection."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(_BENCH))  # postbacks.py imports bench_topics as a script would
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", _BENCH / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # (its dataclasses look their module up)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(_BENCH))


postbacks = _load("postbacks")
bench_topics = _load("bench_topics")

LANES = postbacks.Lanes(
    stage_rate=6_000.0,
    stage_cpu_us=200.0,
    stage_backlog_cpu_us=140.0,
    stage_loop_cpu_us=135.0,
    bare_before=13_000.0,
    bare_after=11_000.0,
    bare_cpu_us=85.0,
    bound_before=9_000.0,
    bound_after=7_000.0,
    bound_cpu_us=120.0,
)


def test_the_report_keeps_its_lines_and_adds_the_bound() -> None:
    out = postbacks.summary(LANES, rate=500, offered=1_500, latencies=[10.0] * 99 + [30.0])
    lines = out.splitlines()
    assert lines[1].split() == ["attrib", "deliver", "6,000", "200", "140"]
    assert lines[2].split() == ["bare", "aiohttp", "client", "12,000", "85"]
    assert "(before the stage: 13,000/s, after it: 11,000/s)" in lines[3]
    assert lines[4].split() == ["bound", "(bare", "+", "Kafka)", "8,000", "120"]
    assert "(before the stage: 9,000/s, after it: 7,000/s)" in lines[5]
    assert "attrib deliver's event loop over the backlog: 135 us/delivery" in out
    assert "delivery/bare ratio: 50.0% (goal: at least 50%)" in out
    assert "bound/bare ratio: 66.7% (bare + the Kafka work of any durable stage)" in out
    assert "delivery/bound ratio: 75.0%" in out
    assert "decision -> delivered at 500/s (1,500 decisions): p50 10 ms, p99 30 ms" in out


def test_only_the_runs_topics_are_deleted() -> None:
    names = [
        "bench1a2b.clicks",
        "attrib-bench-1a2b-delivery-retries",
        "changelog__quix-peer-1a2b--touches",
        "bench9z9z.clicks",
        "attrib-bench-9z9z-delivery-retries",
        "clicks",
    ]
    assert (
        bench_topics.run_topics(names, ("bench1a2b.", "attrib-bench-1a2b"), ("quix-peer-1a2b",))
        == names[:3]
    )
    assert bench_topics.run_topics(names, ("",)) == []
