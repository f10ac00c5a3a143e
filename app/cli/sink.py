"""``attrib sink``: run the ClickHouse sink on its own.

The worker runs the same :class:`~attrib.analytics.sink.SinkService` next to
its agents; this command is for running it as a separate Kubernetes
Deployment (scaled independently of the stream workers) and for tests that
must kill a sink without killing a worker. ``--migrate-only`` applies the
DDL and exits (an init container or a release job).
"""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from attrib.settings import Settings


@click.command()
@click.option("--migrate-only", is_flag=True, help="Apply the ClickHouse schema and exit.")
@click.option(
    "--metrics-port",
    type=int,
    default=0,
    show_default=True,
    help="Serve Prometheus /metrics on this port (0: off).",
)
def sink(migrate_only: bool, metrics_port: int) -> None:
    """Write the platform's topics into ClickHouse (analytics.md), until SIGTERM."""
    from attrib.logs import configure_logging
    from attrib.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_level)
    if migrate_only:
        from attrib.analytics.clickhouse import connect
        from attrib.analytics.migrations import Target, apply_migrations

        client = connect(settings, database="")
        try:
            target = Target(settings.clickhouse_database, settings.clickhouse_cluster)
            applied = apply_migrations(client, target)
        finally:
            client.close()
        click.echo(f"schema of {settings.clickhouse_database}: applied {applied or 'nothing'}")
        return
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=settings.worker_host)
    asyncio.run(_run(settings))


async def _run(settings: Settings) -> None:
    from attrib.analytics.sink import SinkService

    service = SinkService(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await service.start()
    await stop.wait()
    await service.stop()
