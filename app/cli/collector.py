"""``attrib collector``: run the HTTP collector (tracking, SDK, admin and ops routes)."""

from __future__ import annotations

import asyncio

import click

from attrib.settings import SettingsError, load_settings


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default=None, help="Address to listen on [default: ATTRIB_COLLECTOR_HOST].")
@click.option(
    "--port", type=int, default=None, help="Port to listen on [default: ATTRIB_COLLECTOR_PORT]."
)
def collector(host: str | None, port: int | None) -> None:
    """Run the HTTP collector until SIGTERM or Ctrl-C.

    It listens at once (/healthz answers), then creates the app-config topic
    if needed and loads every app's configuration; /readyz answers 200 from
    then on. The admin token is ATTRIB_ADMIN_TOKEN, else <data dir>/admin-token.
    """
    try:
        settings = load_settings(collector_host=host, collector_port=port).with_admin_token()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    from attrib.logs import configure_logging
    from attrib.web.server import serve_collector

    configure_logging(settings.log_level)

    asyncio.run(
        serve_collector(
            settings,
            host=settings.collector_host,
            port=settings.collector_port,
            announce=lambda message: click.echo(message, err=True),
        )
    )
