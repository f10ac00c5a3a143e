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
    import asyncio

    from faust.worker import Worker

    from attrib.faust_app import app, settings
    from attrib.kafka.client import ensure_topics
    from attrib.logs import configure_logging
    from attrib.topics import topic_specs

    configure_logging(settings.log_level)
    # Faust creates its internal topics, not the inputs and outputs of streams.md.
    asyncio.run(_ensure_topics_with_retry(ensure_topics, settings, topic_specs(settings)))
    Worker(app, loglevel=settings.log_level.upper(), quiet=True).execute_from_commandline()


async def _ensure_topics_with_retry(ensure, settings, specs, attempts: int = 60) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    for attempt in range(attempts):
        try:
            await ensure(settings, specs)
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1.0)
