"""The sink's periodic refresh of the day summaries (a background task)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from clickhouse_connect.driver.client import Client

from attrib.analytics.metrics import SUMMARY_REFRESH_ERRORS, SUMMARY_REFRESH_SECONDS
from attrib.analytics.summaries.refreshing import RefreshResult, refresh

log = logging.getLogger(__name__)


class SummaryRefresher:
    """Refreshes the summaries every ``interval`` seconds on a client of its own.

    A failed refresh (ClickHouse away) is logged and tried again at the next
    tick: nothing is lost, the next refresh finds every key still changed.
    """

    def __init__(self, client_factory: Callable[[], Client], interval: float) -> None:
        self._client_factory = client_factory
        self.interval = interval
        self._client: Client | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        try:
            while not stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self.interval)
                if stopping.is_set():
                    break
                await self.tick()
        finally:
            client, self._client = self._client, None
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()

    async def tick(self) -> None:
        try:
            result = await asyncio.to_thread(self._refresh)
        except Exception as exc:
            SUMMARY_REFRESH_ERRORS.inc()
            log.warning("summaries: refresh failed (%s: %s)", type(exc).__name__, str(exc)[:300])
            client, self._client = self._client, None
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()
            return
        SUMMARY_REFRESH_SECONDS.observe(result.seconds)

    def _refresh(self) -> RefreshResult:  # runs in a thread
        if self._client is None:
            self._client = self._client_factory()
        return refresh(self._client)


__all__ = ["SummaryRefresher"]
