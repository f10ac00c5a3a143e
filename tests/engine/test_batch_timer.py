"""``BatchTimer``: each batch's wall time lands in its phase of ``attrib_agent_seconds_total``."""

from __future__ import annotations

import time

from attrib.engine.metrics import AGENT_SECONDS, BatchTimer


def _seconds(agent: str, phase: str) -> float:
    return float(AGENT_SECONDS.labels(agent, phase)._value.get())


def test_a_batch_splits_into_process_and_commit_seconds() -> None:
    agent = "test-agent"
    before = _seconds(agent, "process"), _seconds(agent, "commit")
    timer = BatchTimer(agent)
    began = time.perf_counter()
    timer.start()
    time.sleep(0.02)
    timer.processed()
    time.sleep(0.05)
    timer.committed()
    wall = time.perf_counter() - began
    process = _seconds(agent, "process") - before[0]
    commit = _seconds(agent, "commit") - before[1]
    assert process >= 0.02
    assert commit >= 0.05
    assert process + commit <= wall
