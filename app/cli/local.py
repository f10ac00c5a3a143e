"""``attrib local up | down | status``: the local stack on loopback (operations.md).

Data, logs and pid files live under the data folder (``ATTRIB_DATA_DIR``,
default ``.attrib/``). ``up`` is idempotent and waits for readiness;
``down`` stops only what ``up`` started; ``down`` then ``up`` keeps Kafka's
topics and ClickHouse's tables.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time

import click

from attrib.cli.progress import ProgressLine
from attrib.local.stack import ORDER, build_components, select, wait_ready
from attrib.settings import load_settings


def _parse_only(only: str | None) -> list[str] | None:
    if not only:
        return None
    return [part.strip() for part in only.split(",") if part.strip()]


def _runnable(name: str) -> bool:
    """Collector and worker need their command modules (they land issue by issue)."""
    if name in ("collector", "worker"):
        return importlib.util.find_spec(f"attrib.cli.{name}") is not None
    return True


@click.group()
def local() -> None:
    """Start, stop and show the local stack (Kafka, ClickHouse endpoint, collector, worker)."""


@local.command()
@click.option("--only", help=f"Comma-separated subset of: {', '.join(ORDER)}.")
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for readiness.")
def up(only: str | None, timeout: float) -> None:
    """Start what is not running and wait until everything is ready."""
    settings = load_settings().with_admin_token()
    try:
        names = select(_parse_only(only))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    components = build_components(settings)
    progress = ProgressLine()
    deadline = time.monotonic() + timeout
    started_at = time.monotonic()
    for name in names:
        component = components[name]
        if not _runnable(name):
            progress.done(f"{name:<10} skipped: not part of this build yet")
            continue
        progress.update(f"{name}: starting")
        try:
            component.start()
        except RuntimeError as exc:
            progress.done(f"{name:<10} FAILED: {exc}")
            sys.exit(1)
        ok, detail = wait_ready(component, deadline, progress.update)
        if not ok:
            progress.done(f"{name:<10} FAILED: {detail}")
            sys.exit(1)
        if name == "kafka":
            from attrib.kafka.client import ensure_topics
            from attrib.topics import topic_specs

            created = asyncio.run(ensure_topics(settings, topic_specs(settings)))
            if created:
                detail += f"; created {len(created)} topics"
        progress.done(f"{name:<10} ready  {component.address}  ({detail})")
    click.echo(f"ready in {time.monotonic() - started_at:.1f}s; data in {settings.data_path}")


@local.command()
@click.option("--only", help=f"Comma-separated subset of: {', '.join(ORDER)}.")
def down(only: str | None) -> None:
    """Stop the processes that `up` started (data is kept)."""
    settings = load_settings()
    components = build_components(settings)
    for name in reversed(select(_parse_only(only))):
        stopped = components[name].stop()
        click.echo(f"{name:<10} {'stopped' if stopped else 'was not running'}")


@local.command()
def status() -> None:
    """Show each component's state: ready, running but not ready, or stopped."""
    settings = load_settings()
    components = build_components(settings)
    all_ready = True
    for name in ORDER:
        component = components[name]
        pid = component.pid()
        if pid is None:
            state, detail = "stopped", ""
            all_ready = all_ready and not _runnable(name)
        else:
            ok, detail = component.ready()
            state = "ready" if ok else "not ready"
            all_ready = all_ready and ok
        click.echo(f"{name:<10} {state:<10} {component.address:<45} {detail}".rstrip())
    sys.exit(0 if all_ready else 3)
