"""What a chaos run counted, and the table it prints (docs/reliability.md keeps the runs)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass
class Fault:
    kind: str  # "SIGKILL worker", "broker stopped 10 s", "ClickHouse down 60 s", ...
    at: float  # unix s: when it was injected (the restart, for a kill)
    detail: str = ""  # which one, and how (" 1 + RocksDB deleted")
    recovery_s: float | None = None  # until the platform served again (None: not measured)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Report:
    sent: int = 0
    accepted: int = 0
    installs_accepted: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    client_errors: int = 0
    faults: list[Fault] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)  # log lines of processes that failed alone
    decisions_lost: int = 0
    decisions_duplicated: int = 0
    decisions_replayed: int = 0  # same attribution_id again: a re-made decision, not a duplicate
    #: Decisions other than the fault-free run's of the same inputs (tests/chaos/reference.py).
    decisions_differing: int = 0
    #: The first differing ones, for the debugging session (event id, when, got, wanted).
    differing_examples: list[str] = field(default_factory=list)
    rows_lost: int = 0
    rows_duplicated: int = 0
    rows_lost_optimized: int = 0
    rows_duplicated_optimized: int = 0
    deliveries_owed: int = 0
    deliveries_lost: int = 0
    deliveries_duplicated: int = 0  # a second delivery id delivered for one postback owed
    deliveries_repeated: int = 0  # the same delivery id answered 2xx again (receivers dedupe)
    deliveries_unowed: int = 0
    #: Delivered for requests refused with a 503 that Kafka kept anyway (owed all the same).
    deliveries_of_refused: int = 0
    #: Reports whose figures differ from the fault-free run's (name: first differing row).
    reports_differing: dict[str, str] = field(default_factory=dict)
    reports_compared: list[str] = field(default_factory=list)
    load_s: float = 0.0
    drain_s: float = 0.0

    def fault_kinds(self) -> Counter[str]:
        return Counter(f.kind + f.detail for f in self.faults)

    def recovery(self) -> dict[str, list[float]]:
        """Recovery times by the kind of fault."""
        by_kind: dict[str, list[float]] = defaultdict(list)
        for fault in self.faults:
            if fault.recovery_s is not None:
                by_kind[fault.kind].append(fault.recovery_s)
        return dict(by_kind)

    def table(self) -> str:
        rate = self.sent / self.load_s if self.load_s else 0.0
        kinds = ", ".join(f"{n}x {kind}" for kind, n in self.fault_kinds().items())
        rows = [
            ("requests sent", f"{self.sent:,} ({rate:,.0f}/s for {self.load_s:.0f} s)"),
            ("requests accepted (2xx)", f"{self.accepted:,}"),
            ("requests refused (not 2xx)", f"{self.sent - self.accepted:,}"),
            ("installs accepted", f"{self.installs_accepted:,}"),
            ("faults injected", f"{len(self.faults)} ({kinds})"),
            ("process crashes (not injected)", str(len(self.crashes))),
            ("decisions lost", str(self.decisions_lost)),
            ("decisions duplicated", str(self.decisions_duplicated)),
            ("decisions re-made (same id)", str(self.decisions_replayed)),
            ("decisions differing from the fault-free run", str(self.decisions_differing)),
            ("rows lost (FINAL)", str(self.rows_lost)),
            ("rows duplicated (FINAL)", str(self.rows_duplicated)),
            ("rows lost (OPTIMIZE, no FINAL)", str(self.rows_lost_optimized)),
            ("rows duplicated (OPTIMIZE, no FINAL)", str(self.rows_duplicated_optimized)),
            ("postbacks and pushes owed", f"{self.deliveries_owed:,}"),
            ("deliveries lost", str(self.deliveries_lost)),
            ("deliveries duplicated", str(self.deliveries_duplicated)),
            ("deliveries repeated (same delivery id)", str(self.deliveries_repeated)),
            ("deliveries not owed", str(self.deliveries_unowed)),
            ("deliveries for refused requests Kafka kept", str(self.deliveries_of_refused)),
            (
                "reports equal to the fault-free run's",
                f"{len(self.reports_compared) - len(self.reports_differing)} of "
                f"{len(self.reports_compared)}"
                + (
                    f" (differ: {', '.join(self.reports_differing)})"
                    if self.reports_differing
                    else ""
                ),
            ),
        ]
        for kind, values in sorted(self.recovery().items()):
            rows.append(
                (
                    f"recovery after {kind} p50 / p99",
                    f"{percentile(values, 50):.1f} s / {percentile(values, 99):.1f} s"
                    f" ({len(values)})",
                )
            )
        rows.append(("drain after the load", f"{self.drain_s:.1f} s"))
        width = max(len(name) for name, _ in rows)
        table = "\n".join(f"| {name:<{width}} | {value} |" for name, value in rows)
        if self.differing_examples:
            table += "\ndiffering decisions (first ones):\n" + "\n".join(self.differing_examples)
        return table
