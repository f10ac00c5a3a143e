"""``attrib export installs``: attributions in another MMP's raw-report layout (analytics.md).

    attrib export installs --app com.example.game --from 2026-11-01 --to 2026-11-30 \\
        --format appsflyer-raw --output installs.csv
"""

from __future__ import annotations

import sys
from datetime import date, datetime

import click


def _day(_ctx: click.Context, param: click.Parameter, value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param=param) from None


@click.group()
def export() -> None:
    """Export attributions for side-by-side comparison with another MMP."""


@export.command()
@click.option("--app", "app_id", required=True, metavar="APP_ID")
@click.option("--from", "first", required=True, metavar="YYYY-MM-DD", callback=_day)
@click.option("--to", "last", required=True, metavar="YYYY-MM-DD", callback=_day)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["appsflyer-raw"]),
    default="appsflyer-raw",
    show_default=True,
    help="AppsFlyer's raw installs report columns (docs/analytics.md lists the mapping).",
)
@click.option(
    "--source",
    type=click.Choice(["clickhouse", "archive"]),
    default="clickhouse",
    show_default=True,
    help="The attributions table of ATTRIB_CLICKHOUSE_*, or the archive at ATTRIB_ARCHIVE_URL.",
)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Default: stdout.")
def installs(
    app_id: str, first: date, last: date, fmt: str, source: str, output: str | None
) -> None:
    """Write the installs (attributions, by install day) of --from..--to as CSV."""
    from attrib.export.appsflyer import write_csv

    if last < first:
        raise click.UsageError(f"--to {last} is before --from {first}")
    rows, close = _rows(source, app_id, first, last)
    try:
        if output is None:
            n = write_csv(rows, sys.stdout)
        else:
            with open(output, "w", newline="", encoding="utf-8") as out:
                n = write_csv(rows, out)
    finally:
        close()
    click.echo(f"{n:,} installs of {app_id} written ({fmt})", err=True)


def _rows(source: str, app_id: str, first: date, last: date):  # type: ignore[no-untyped-def]
    if source == "archive":
        from attrib.export.sources import from_archive
        from attrib.replay.source import ArchiveError, archive_root

        try:
            return list(from_archive(archive_root(), app_id, first, last)), lambda: None
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
    from clickhouse_connect.driver.exceptions import DatabaseError

    from attrib.analytics.clickhouse import connect
    from attrib.export.sources import from_clickhouse
    from attrib.settings import load_settings

    settings = load_settings()
    try:
        client = connect(settings)
        return list(from_clickhouse(client, app_id, first, last)), client.close
    except DatabaseError as exc:
        raise click.ClickException(
            f"cannot read attributions from ClickHouse database {settings.clickhouse_database!r} "
            f"at {settings.clickhouse_url}: {exc}"
        ) from None
