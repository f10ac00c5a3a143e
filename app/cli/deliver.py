"""``attrib deliver``: run the delivery stage (postbacks and push, R32–R36) on its own.

Each worker runs the same :class:`~attrib.delivery.service.DeliveryService`
unless ``ATTRIB_WORKER_DELIVER=false``; this command is for running it as a
separate Kubernetes Deployment, scaled independently of the stream workers
(members share the output topics' partitions), and for tests.
"""

from __future__ import annotations

import asyncio

import click

from attrib.cli.stage import metrics_port_option, run_until_signalled, serve_metrics


@click.command()
@metrics_port_option
def deliver(metrics_port: int) -> None:
    """Send postbacks and push messages for every decision, until SIGTERM."""
    from attrib.delivery.service import DeliveryService
    from attrib.logs import configure_logging
    from attrib.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_level)
    serve_metrics(settings, metrics_port)
    asyncio.run(run_until_signalled(lambda: DeliveryService(settings)))
