"""``answer-lookups`` pauses its ``touch-lookup`` partitions while it waits for the index.

Found by the long two-worker chaos run: Faust hands every agent its records
from one drain loop, which blocks once an agent's buffer is full, so while
``answer-lookups`` waited for ``store-touches`` the lookups piled up, the
drain loop blocked, ``store-touches`` starved and every wait ran its 30 s.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from faust.types import TP

from attrib import channels
from attrib.agents import answer_lookups
from attrib.engine.index_progress import IndexProgress


class _Consumer:
    def __init__(self) -> None:
        self.paused: set[TP] = set()
        self.calls: list[str] = []

    def pause_partitions(self, tps: list[TP]) -> None:
        self.paused.update(tps)
        self.calls.append("pause")

    def resume_partitions(self, tps: list[TP]) -> None:
        self.paused.difference_update(tps)
        self.calls.append("resume")


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> tuple[_Consumer, IndexProgress, list[TP]]:
    lookups = [TP(channels.names.touch_lookup, p) for p in (0, 2)]
    owned = [*lookups, TP(channels.names.touch_index, 0)]
    consumer = _Consumer()
    fake_app = SimpleNamespace(
        consumer=consumer, assignor=SimpleNamespace(assigned_actives=lambda: set(owned))
    )
    progress = IndexProgress()
    monkeypatch.setattr(answer_lookups, "app", fake_app)
    monkeypatch.setattr(answer_lookups, "index_progress", progress)
    monkeypatch.setattr(answer_lookups, "_committed", lambda partition: None)
    return consumer, progress, lookups


def _envelope(partition: int, sent_ms: int) -> SimpleNamespace:
    return SimpleNamespace(message=SimpleNamespace(partition=partition, timestamp=sent_ms / 1000))


async def test_lookups_are_paused_while_the_index_catches_up_and_resumed_after(worker) -> None:
    consumer, progress, lookups = worker
    progress.snapshot(2_000, {0: 5})  # written through offset 5 by 2 s, nothing filed yet
    waiting = asyncio.create_task(answer_lookups.wait_for_index([_envelope(0, 1_500)]))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    assert consumer.paused == set(lookups)  # the touch-index partition keeps flowing
    progress.filed_through(0, 5)
    await asyncio.wait_for(waiting, 1.0)
    assert consumer.paused == set()
    assert consumer.calls == ["pause", "resume"]


async def test_nothing_is_paused_when_the_index_is_complete_already(worker) -> None:
    consumer, progress, _ = worker
    progress.snapshot(2_000, {0: 5})
    progress.filed_through(0, 5)
    await answer_lookups.wait_for_index([_envelope(0, 1_500)])
    assert consumer.calls == []
