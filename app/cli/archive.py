"""``attrib archive``: write every input and output record to the Parquet archive.

Each worker runs the same archiver when ``ATTRIB_WORKER_ARCHIVE=true``; this
command runs it as its own Deployment (members share the topics' partitions)
and for tests. ``--once`` archives what the topics hold now and exits, which
is how a backfill or a test uses it. docs/archive.md is the guide.
"""

from __future__ import annotations

import signal
import sys
import threading

import click


@click.command()
@click.option(
    "--once",
    is_flag=True,
    help="Archive what the topics hold now (to their end offsets), then exit.",
)
@click.option(
    "--metrics-port",
    type=int,
    default=0,
    show_default=True,
    help="Serve Prometheus /metrics on this port (0: off).",
)
def archive(once: bool, metrics_port: int) -> None:
    """Archive the platform's topics as Parquet (ATTRIB_ARCHIVE_URL), until SIGTERM."""
    from attrib.archive.service import Archiver
    from attrib.cli.progress import ProgressLine
    from attrib.logs import configure_logging
    from attrib.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(settings.log_level)
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=settings.worker_host)
    archiver = Archiver(settings)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: archiver.stop_event.set())
    progress = ProgressLine(sys.stderr)
    progress.done(f"archive: {archiver.store.url} (group {archiver.group_id})")
    runner = threading.Thread(target=archiver.run, kwargs={"until_end": once}, name="archiver")
    runner.start()
    try:
        while runner.is_alive():
            runner.join(1.0)
            progress.update(f"archive: {archiver.archived:,} records, {archiver.flushed:,} flushes")
    finally:
        archiver.stop_event.set()
        runner.join()
    if archiver.failure is not None:
        raise click.ClickException(f"the archiver failed: {archiver.failure}")
    progress.done(f"archive: {archiver.archived:,} records, {archiver.flushed:,} flushes")
