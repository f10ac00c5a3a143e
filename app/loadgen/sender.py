"""Send request specs to the collector at an offered rate, and count what came back.

Open-loop: request *i* is due at ``start + i / rate`` whatever the answers
take (a closed loop would hide queueing), with at most ``concurrency``
requests in flight. Latencies are measured from the due time, so a
saturated collector shows up as latency, not as a lower offered rate.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import aiohttp

from attrib.loadgen.traffic import Request


@dataclass
class Stats:
    sent: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def accepted(self) -> int:
        return sum(n for status, n in self.by_status.items() if 200 <= status < 400)

    def summary(self) -> str:
        rate = self.sent / self.elapsed_s if self.elapsed_s else 0.0
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(self.by_status.items()))
        return (
            f"sent {self.sent:,} in {self.elapsed_s:.1f}s ({rate:,.0f}/s); "
            f"status {statuses or '-'}; errors {self.errors}; "
            f"p50 {self.percentile(50):.1f} ms p99 {self.percentile(99):.1f} ms"
        )


async def send(
    base_url: str,
    requests: Iterable[Request],
    *,
    rate: float,
    concurrency: int = 64,
    progress: Callable[[Stats], None] | None = None,
) -> Stats:
    """Send every request of ``requests`` at ``rate`` per second; return the stats."""
    stats = Stats()
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    start = time.perf_counter()
    last_report = start
    pending: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as session:

        async def one(req: Request, due: float) -> None:
            try:
                async with session.request(
                    req.method, req.path, data=req.body, headers=req.headers, allow_redirects=False
                ) as resp:
                    await resp.read()
                    stats.by_status[resp.status] += 1
            except (aiohttp.ClientError, TimeoutError):
                stats.errors += 1
            finally:
                stats.latencies_ms.append((time.perf_counter() - due) * 1000)
                gate.release()

        for i, req in enumerate(_iter(requests)):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await gate.acquire()
            task = asyncio.create_task(one(req, due))
            pending.add(task)
            task.add_done_callback(pending.discard)
            stats.sent += 1
            stats.by_kind[req.kind] += 1
            now = time.perf_counter()
            if progress is not None and now - last_report >= 1.0:
                stats.elapsed_s = now - start
                progress(stats)
                last_report = now
        if pending:
            await asyncio.gather(*pending)
    stats.elapsed_s = time.perf_counter() - start
    return stats


def _iter(requests: Iterable[Request]) -> Iterator[Request]:
    yield from requests
