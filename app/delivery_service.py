"""The delivery stage inside the worker process (R32–R36).

Like the ClickHouse sink (:mod:`attrib.sink_service`), the delivery stage is
a plain consumer group run as a mode service for the worker's
lifetime; ``ATTRIB_WORKER_DELIVER=false`` leaves it out, for deployments that
run ``attrib deliver`` as its own Deployment. It reads only the output topics
and the app configurations, never the engine's tables.
"""

from __future__ import annotations

import asyncio
import logging

from mode import Service

from attrib.delivery.service import DeliveryService
from attrib.faust_app import app, settings

log = logging.getLogger(__name__)


class WorkerDelivery(Service):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.delivery = DeliveryService(settings)
        self._starting: asyncio.Task[None] | None = None

    async def on_start(self) -> None:
        # Started in the background: a missing app-config topic or a slow group
        # join must not hold up the worker's own start.
        self._starting = asyncio.create_task(self._start_retrying())

    async def _start_retrying(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.delivery.start()
                return
            except Exception as exc:
                log.warning("delivery stage not started (%s); retrying", type(exc).__name__)
                await self.delivery.stop(grace_seconds=1)
                self.delivery = DeliveryService(settings)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def on_stop(self) -> None:
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
        await self.delivery.stop()


if settings.worker_deliver is True:
    worker_delivery = WorkerDelivery()
    app.service(worker_delivery)  # type: ignore[arg-type]
