"""``attrib sink``: run the ClickHouse sink on its own.

The worker runs the same :class:`~attrib.analytics.sink.SinkService` next to
its agents; this command is for running it as a separate Kubernetes
Deployment (scaled independently of the stream workers) and for tests that
must kill a sink without killing a worker. ``--migrate-only`` applies the
DDL and exits (an init container or a release job).
"""

from __future__ import annotations

import asyncio

import click

from attrib.cli.stage import metrics_port_option, run_until_signalled, serve_metrics


@click.command()
@click.option("--migrate-only", is_flag=True, help="Apply the ClickHouse schema and exit.")
@metrics_port_option
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
    from attrib.analytics.sink import SinkService

    serve_metrics(settings, metrics_port)
    asyncio.run(run_until_signalled(lambda: SinkService(settings)))
