"""The ClickHouse sink inside the worker process (analytics.md: "sunk ... by workers").

The sink is a plain aiokafka consumer group, not a Faust agent: Faust's
per-message cost would cap it far below ClickHouse's insert rate. It runs for
the worker's lifetime as a mode service; ``ATTRIB_WORKER_SINK=false`` leaves
it out, for deployments that run ``attrib sink`` as its own Deployment.
ClickHouse being down does not make the worker unready: the sink retries
with backoff and the attribution join goes on.
"""

from __future__ import annotations

from mode import Service

from attrib.analytics.sink import SinkService
from attrib.faust_app import app, settings


class WorkerSink(Service):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.sink = SinkService(settings)

    async def on_start(self) -> None:
        await self.sink.start()

    async def on_stop(self) -> None:
        await self.sink.stop()


if settings.worker_sink is True:
    worker_sink = WorkerSink()
    app.service(worker_sink)  # type: ignore[arg-type]
