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

from attrib.cli.stage import metrics_port_option, serve_metrics


@click.command()
@click.option(
    "--once",
    is_flag=True,
    help="Archive what the topics hold now (to their end offsets), then exit.",
)
@metrics_port_option
def archive(once: bool, metrics_port: int) -> None:
    """Archive the platform's topics as Parquet (ATTRIB_ARCHIVE_URL), until SIGTERM."""
    from attrib.archive.service import Archiver
    from attrib.cli.progress import ProgressLine
    from attrib.logs import configure_logging
    from attrib.settings import load_settings

    settings = load_settings()  # a bad setting: one line, from the command group
    configure_logging(settings.log_level)
    serve_metrics(settings, metrics_port)
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
