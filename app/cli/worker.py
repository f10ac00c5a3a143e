"""``attrib worker``: run one stream worker (the Faust application).

Kubernetes runs one per StatefulSet pod; locally ``attrib local up`` starts
one. ``--host``/``--port`` set the worker's web address (readiness, metrics,
conversion data); the rest comes from ``ATTRIB_*`` settings.
"""

from __future__ import annotations

import os

import click


@click.command()
@click.option("--host", help="Web listen host (ATTRIB_WORKER_HOST).")
@click.option("--port", type=int, help="Web listen port (ATTRIB_WORKER_PORT).")
def worker(host: str | None, port: int | None) -> None:
    """Run a stream worker: attribution, user activity, postbacks, ClickHouse sinks."""
    # The Faust app reads settings at import; apply the overrides first.
    if host:
        os.environ["ATTRIB_WORKER_HOST"] = host
    if port:
        os.environ["ATTRIB_WORKER_PORT"] = str(port)
    from faust.worker import Worker

    from attrib.faust_app import app, settings
    from attrib.logs import configure_logging

    configure_logging(settings.log_level)
    Worker(app, loglevel=settings.log_level.upper(), quiet=True).execute_from_commandline()
