"""``attrib report NAME``: an analytics report from ClickHouse (analytics.md).

    attrib report overview --app com.example.game --from 2025-03-01 --to 2025-03-31
    attrib report retention --format csv > retention.csv

Reads the database of ``ATTRIB_CLICKHOUSE_*``; the SQL of each report is in
docs/analytics.md.
"""

from __future__ import annotations

from datetime import date, datetime

import click

from attrib.analytics.report import REPORTS


def _day(_ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param=param) from None


@click.command(
    epilog="Reports:\n\n" + "\n\n".join(f"  {name}: {text}" for name, text in REPORTS.items())
)
@click.argument("name", type=click.Choice(list(REPORTS)))
@click.option("--app", "app_id", metavar="APP_ID", help="Only this app.")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", callback=_day, help="First UTC day.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", callback=_day, help="Last UTC day.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
def report(
    name: str, app_id: str | None, date_from: date | None, date_to: date | None, fmt: str
) -> None:
    """Print report NAME from ClickHouse."""
    from clickhouse_connect.driver.exceptions import DatabaseError

    from attrib.analytics.clickhouse import connect
    from attrib.analytics.formatting import render
    from attrib.analytics.report import ReportFilter, run_report
    from attrib.settings import load_settings

    settings = load_settings()
    try:
        filters = ReportFilter(app_id, date_from, date_to)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        client = connect(settings)
    except DatabaseError as exc:
        raise click.ClickException(
            f"cannot query ClickHouse database {settings.clickhouse_database!r} at "
            f"{settings.clickhouse_url}: {exc}\n(the sink creates it: `attrib sink` or a worker)"
        ) from None
    try:
        result = run_report(client, name, filters)
    except DatabaseError as exc:
        raise click.ClickException(f"report {name} failed: {exc}") from None
    finally:
        client.close()
    click.echo(render(result, fmt), nl=False)
