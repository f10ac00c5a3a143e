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
    """``/proc/stat``'s total and idle (idle + iowait) jiffies of all CPUs."""

    total: int
    idle: int

    @classmethod
    def now(cls) -> MachineTimes:
        try:
            first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        except OSError:
            return cls(0, 0)
        values = [int(v) for v in first]
        return cls(total=sum(values[:8]), idle=values[3] + values[4])

    def busy_since(self, before: MachineTimes) -> float | None:
        """The share of all CPUs busy between ``before`` and this (None: unknown)."""
        total = self.total - before.total
        if total <= 0:
            return None
        return 1 - (self.idle - before.idle) / total
