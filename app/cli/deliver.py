"""``attrib deliver``: run the delivery stage (postbacks and push, R32–R36) on its own.

Each worker runs the same :class:`~attrib.delivery.service.DeliveryService`
unless ``ATTRIB_WORKER_DELIVER=false``; this command is for running it as a
separate Kubernetes Deployment, scaled independently of the stream workers
(members share the output topics' partitions), and for tests.
"""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from attrib.settings import Settings


@click.command()
@click.option(
    "--metrics-port",
    type=int,
    default=0,
    show_default=True,
    help="Serve Prometheus /metrics on this port (0: off).",
)
def deliver(metrics_port: int) -> None:
    """Send postbacks and push messages for every decision, until SIGTERM."""
    from attrib.logs import configure_logging
    from attrib.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_level)
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=settings.worker_host)
    asyncio.run(_run(settings))


async def _run(settings: Settings) -> None:
    from attrib.delivery.service import DeliveryService

    service = DeliveryService(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await service.start()
    await stop.wait()
    await service.stop()
