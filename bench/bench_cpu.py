"""CPU time of processes and of the whole machine, from Linux ``/proc`` (benchmarks only).

Decisions/s on a shared 2-core machine move with whatever else runs; CPU
seconds per unit of work, and how busy the machine was while it was
measured, say whether a slower run did more work or just got less of the CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def cpu_seconds(pid: int, *, main_thread: bool = False) -> float | None:
    """User + system CPU seconds of process ``pid`` (or its main thread) so far, or
    ``None`` when it is gone (or this is not Linux)."""
    path = f"/proc/{pid}/task/{pid}/stat" if main_thread else f"/proc/{pid}/stat"
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class MachineTimes:
    """``/proc/stat``'s total, idle (idle + iowait) and iowait jiffies of all CPUs."""

    total: int
    idle: int
    iowait: int = 0

    @classmethod
    def now(cls) -> MachineTimes:
        try:
            first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        except OSError:
            return cls(0, 0)
        values = [int(v) for v in first]
        return cls(total=sum(values[:8]), idle=values[3] + values[4], iowait=values[4])

    def busy_since(self, before: MachineTimes) -> float | None:
        """The share of all CPUs busy between ``before`` and this (None: unknown)."""
        total = self.total - before.total
        if total <= 0:
            return None
        return 1 - (self.idle - before.idle) / total

    def iowait_since(self, before: MachineTimes) -> float | None:
        """The share of all CPUs idle with disk I/O outstanding (iowait) since ``before``:
        a run that stalls on the disk looks idle, not busy."""
        total = self.total - before.total
        return None if total <= 0 else (self.iowait - before.iowait) / total


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds so far of process ``pid``'s threads, summed by thread name (``comm``:
    librdkafka names its threads ``rdk:*``, RocksDB ``rocksdb:*``; Python threads keep
    the process's name, the main thread is ``main``). Empty when it is gone."""
    tick = os.sysconf("SC_CLK_TCK")
    by_name: dict[str, float] = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return by_name
    for task in tasks:
        try:
            head, _, tail = (task / "stat").read_text().rpartition(")")
        except OSError:
            continue  # ended meanwhile
        fields = tail.split()
        name = "main" if task.name == str(pid) else head.split("(", 1)[1]
        name = name.split(":", 1)[0] + ":*" if ":" in name else name
        by_name[name] = by_name.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return by_name


def thread_cpu_shares(
    before: dict[str, float], after: dict[str, float], seconds: float
) -> list[tuple[str, float]]:
    """Each thread name's share of one core between two :func:`thread_cpu_seconds`."""
    shares = [(n, (after[n] - before.get(n, 0.0)) / max(seconds, 1e-9)) for n in after]
    return sorted(shares, key=lambda share: -share[1])
