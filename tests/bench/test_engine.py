"""bench/engine.py's --deliver app configuration and --deliver-compare's report."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

from attrib.avro import codec
from attrib.config import validate_app_config
from tests.delivery.records import attribution, organic

_BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(_BENCH))  # engine.py imports bench_topics as a script would
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", _BENCH / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(_BENCH))


engine = _load("engine")


def test_without_a_receiver_the_app_has_no_deliveries() -> None:
    config = validate_app_config(engine.APP, engine.app_body())
    assert config.postbacks == ()
    assert config.push_endpoints == ()


def test_with_a_receiver_every_network_of_the_touches_gets_an_install_postback() -> None:
    config = validate_app_config(engine.APP, engine.app_body("http://127.0.0.1:5555"))
    for net in set(engine.SOURCES):
        (postback,) = config.postbacks_for(net)
        assert postback.install_url == f"http://127.0.0.1:5555/pb?net={net}&id={{delivery_id}}"
    assert [p.url for p in config.push_endpoints] == ["http://127.0.0.1:5555/push"]


def test_owed_counts_a_postback_per_network_install_and_a_push_per_decision() -> None:
    records = [
        attribution(media_source="netA"),
        attribution(media_source="netD", conversion_type="reattribution"),
        attribution(media_source="netB", conversion_type="reinstall"),
        attribution(media_source="elsewhere"),
        organic(),
    ]
    encoded = [SimpleNamespace(value=codec.encode("Attribution", r)) for r in records]
    assert engine.owed(encoded) == (2, 5)


def test_the_deliveries_lines_show_what_the_receiver_got() -> None:
    seen = {"postbacks": 9_990, "pushes": 10_000, "by_network": {"netB": 2_990, "netA": 7_000}}
    lines = engine.deliveries_lines(seen, 9_990, 10_000)
    assert lines[0].split() == ["postback", "requests", "received", "9,990"]
    assert lines[1] == "  (owed 9,990; by network: netA 7,000, netB 2,990)"
    assert lines[2].split() == ["push", "requests", "received", "10,000"]


def run(mode: str, rate: float) -> dict[str, object]:
    sent = 10_000 if mode != "off" else 0
    return {
        "mode": mode,
        "decisions": 10_000,
        "decisions_ps": rate,
        "owed_postbacks": 9_990,
        "owed_pushes": 10_000,
        "postbacks": sent - 10 if sent else 0,
        "pushes": sent,
        "machine_busy": 0.5 if mode == "off" else 0.98,
        "worker_cpu_s": 4.0 if mode != "worker" else 7.0,
        "role_cpu_s": 3.0 if mode == "role" else None,
    }


def test_the_compare_report_gives_each_round_and_the_drop_of_the_means_per_mode() -> None:
    runs = [
        run("off", 1_000),
        run("worker", 950),
        run("role", 990),
        run("off", 1_200),
        run("worker", 1_020),
        run("role", 1_100),
    ]
    out = engine.compare_summary(runs, touches=100_000, installs=10_000)
    lines = out.splitlines()
    assert "100,000 touches filed first, then 10,000 installs" in lines[0]
    header = [h.strip() for h in lines[1].split("  ") if h.strip()]
    assert header == [
        "round",
        "off, dec/s",
        "worker, dec/s",
        "drop",
        "role, dec/s",
        "drop",
        "won",
        "worker delivered",
        "role delivered",
    ]
    assert lines[2].split() == [
        "1", "1,000", "950", "5.0%", "990", "1.0%", "9,990", "9990", "+", "10000", "9990", "+",
        "10000",
    ]  # fmt: skip
    assert lines[3].split()[:6] == ["2", "1,200", "1,020", "15.0%", "1,100", "8.3%"]
    assert lines[4].split() == ["decisions/s,", "delivery", "off", "(mean)", "1,100"]
    assert lines[5].split() == ["decisions/s,", "delivery", "worker", "(mean)", "985"]
    assert lines[6].split() == ["decisions/s,", "delivery", "role", "(mean)", "1,045"]
    assert "drop with delivery worker: 10.5% (goal: at most 10%: not met)" in out
    assert "drop with delivery role: 5.0% (goal: at most 10%: met)" in out
    assert "deliveries: 19,980 of 19,980 postbacks owed, 20,000 of 20,000 pushes owed" in out


def test_the_compare_report_takes_any_subset_of_modes_with_off() -> None:
    out = engine.compare_summary(
        [run("off", 1_000), run("worker", 900)], touches=100_000, installs=10_000
    )
    assert "role" not in out
    assert "drop with delivery worker: 10.0% (goal: at most 10%: met)" in out


def test_the_compare_report_gives_the_machine_load_and_cpu_per_decision_of_each_mode() -> None:
    runs = [run("off", 1_000), run("worker", 900), run("role", 950)]
    lines = engine.compare_summary(runs, touches=100_000, installs=10_000).splitlines()
    cpu = [line for line in lines if "machine busy" in line]
    assert cpu == [
        "delivery off: machine busy 50% while deciding; worker CPU per decision 400 µs",
        "delivery worker: machine busy 98% while deciding; worker CPU per decision 700 µs",
        "delivery role: machine busy 98% while deciding; worker CPU per decision 400 µs,"
        " attrib deliver's 300 µs",
    ]


def test_the_bound_of_the_in_worker_drop_is_the_bare_clients_cpu_per_decision() -> None:
    runs = [run("off", 1_000), run("worker", 900)]
    # off: 400 µs of worker CPU per decision; 2 deliveries per decision at 100 µs each.
    lines = engine.bound_lines(runs, bare_us=100.0).splitlines()
    assert lines[0] == (
        "bare aiohttp client: 100 µs CPU per request (this run, same receiver);"
        " 2.00 deliveries per decision"
    )
    assert lines[1].endswith(
        "at least 200 µs more per decision (400 without), so the rate of a saturated"
        " worker drops by at least 33.3%"
    )


def test_no_bound_without_an_off_and_an_on_run() -> None:
    assert engine.bound_lines([run("off", 1_000)], bare_us=100.0) == ""
