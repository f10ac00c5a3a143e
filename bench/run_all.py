"""Run the platform benchmarks with quick parameters and print one table.

    .venv/bin/python bench/run_all.py            # needs: attrib local up --only kafka,clickhouse
    .venv/bin/python bench/run_all.py --full     # each script's own defaults (slower)

Runs bench/collector.py, bench/engine.py, bench/sink.py (and bench/recovery.py
when present) one after the other, parses what each prints, and prints the
machine and one row per measure with its ceiling. Each script's full output
goes to /tmp/attrib-bench-<name>.log.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

QUICK = {
    "collector": ["--rounds", "2", "--seconds", "3"],
    "engine": ["--touches", "100000", "--seconds", "10"],
    "sink": ["--records", "100000", "--repeat", "3"],
    "recovery": [],
}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def run(name: str, args: list[str]) -> str:
    script = HERE / f"{name}.py"
    started = time.monotonic()
    print(f".. {name}.py {' '.join(args)}", file=sys.stderr, flush=True)
    proc = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, check=False
    )
    log = Path(f"/tmp/attrib-bench-{name}.log")
    log.write_text(proc.stdout + "\n--- stderr\n" + proc.stderr)
    took = time.monotonic() - started
    print(f"   done in {took:.0f}s (exit {proc.returncode}, log {log})", file=sys.stderr)
    return proc.stdout if proc.returncode == 0 else ""


def num(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def parse_collector(out: str) -> list[tuple[str, str, str, str]]:
    best = out.split("best round of each scenario")[-1] if out else ""
    rows = {}
    for line in best.splitlines():
        # A table row: scenario, req/s, p50 ms, p99 ms, ... (the summary lines after it are prose).
        row = re.match(r"^(bare|click|install|kafka-only)\s+([\d,]+)\s+([\d.]+)\s+([\d.]+)\s", line)
        if row:
            rows[row.group(1)] = (num(row.group(2)), num(row.group(4)))
    if "bare" not in rows:
        return [("collector requests/s", "failed", "", "")]
    bare_rps, bare_p99 = rows["bare"]
    out_rows = []
    for name in ("click", "install", "kafka-only"):
        if name in rows:
            rps, p99 = rows[name]
            out_rows.append(
                (
                    f"collector {name} requests/s",
                    f"{rps:,.0f}",
                    f"{bare_rps:,.0f} bare aiohttp",
                    f"{rps / bare_rps:.0%}",
                )
            )
            out_rows.append(
                (f"collector {name} p99 ms", f"{p99:.1f}", f"{bare_p99:.1f} bare aiohttp", "")
            )
    return out_rows


def parse_engine(out: str) -> list[tuple[str, str, str, str]]:
    values: dict[str, str] = {}
    for line in out.splitlines():
        m = re.match(r"^(\S.*?)\s{2,}([\d,.]+%?)$", line)
        if m:
            values[m.group(1).strip()] = m.group(2)
    if not values:
        return [("engine decisions/s", "failed", "", "")]
    ceiling = values.get("raw aiokafka pass-through (ceiling), rec/s", "")
    rows = [
        (
            "engine records/s (backlog)",
            values.get("worker backlog, records/s", "?"),
            f"{ceiling} raw aiokafka",
            values.get("ratio worker / ceiling", ""),
        ),
        ("engine decisions/s (backlog)", values.get("worker backlog, decisions/s", "?"), "", ""),
        (
            "engine Kafka records produced per input",
            values.get("Kafka records produced per input record", "?"),
            "",
            "",
        ),
    ]
    quix = values.get("Quix join_asof peer, records/s")
    if quix:
        rows.append(
            (
                "engine records/s vs Quix join_asof",
                values.get("worker backlog, records/s", "?"),
                f"{quix} Quix",
                values.get("ratio worker / Quix peer", ""),
            )
        )
    for key, value in values.items():
        if key.startswith("decision latency p99"):
            rows.append((f"engine {key.removeprefix('decision ')}", value, "", ""))
    rows.append(
        (
            "RocksDB bytes per indexed touch",
            values.get("RocksDB bytes on disk per indexed touch", "?"),
            "",
            "",
        )
    )
    return rows


def parse_sink(out: str) -> list[tuple[str, str, str, str]]:
    sink = re.search(r"sink, topic -> queryable rows\s+([\d,]+)", out)
    ceiling = re.search(r"ceiling: insert\(column_oriented\)\s+([\d,]+)", out)
    if not (sink and ceiling):
        return [("sink rows/s", "failed", "", "")]
    ratio = num(sink.group(1)) / num(ceiling.group(1))
    return [
        ("sink rows/s", sink.group(1), f"{ceiling.group(1)} raw clickhouse-connect", f"{ratio:.0%}")
    ]


def parse_recovery(out: str) -> list[tuple[str, str, str, str]]:
    m = re.search(r"recovery.*?([\d,]+)\s+records/s", out)
    if not m:
        return [("table recovery records/s", "failed", "", "")]
    return [("table recovery records/s (changelog)", m.group(1), "", "")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="each script's own defaults")
    parser.add_argument("--only", help="comma-separated: collector,engine,sink,recovery")
    args = parser.parse_args()
    names = ["collector", "engine", "sink", "recovery"]
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    parsers = {
        "collector": parse_collector,
        "engine": parse_engine,
        "sink": parse_sink,
        "recovery": parse_recovery,
    }
    rows: list[tuple[str, str, str, str]] = []
    for name in names:
        if not (HERE / f"{name}.py").exists():
            rows.append((f"{name}: bench/{name}.py missing", "-", "", ""))
            continue
        rows += parsers[name](run(name, [] if args.full else QUICK[name]))
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}")
    widths = [
        max(len(r[i]) for r in [*rows, ("measure", "value", "ceiling", "of ceiling")])
        for i in range(4)
    ]
    header = ("measure", "value", "ceiling", "of ceiling")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(
            f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:<{widths[2]}}  "
            f"{row[3]:>{widths[3]}}"
        )


if __name__ == "__main__":
    main()
