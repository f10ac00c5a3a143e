"""``attrib replay``: re-decide a range of archived data with a changed configuration.

    attrib replay --app com.example.game --from 2026-11-01 --to 2026-11-30 \\
        --set attribution.click_lookback=1d
    attrib replay --app A --from D --to D --format csv \\
        --set media_sources.tiktok_int.click_lookback=2d

Reads the Parquet archive at ``ATTRIB_ARCHIVE_URL`` (docs/replay.md), prints
per media source the installs before (live) and after (replay). With no
``--set`` the two are equal: decisions are a pure function of event-time data (R1).
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from attrib.config import AppConfig
from attrib.replay.clickhouse_source import clickhouse_gaps

_HELP = f"""Re-decide the installs of --from..--to with a changed configuration.

Prints, per media source: installs before (the live decisions, from the
archived attributions topic) and after (the replay), installs moved to and
from organic, and in-app revenue per currency before, after and moved.

Touches, installs and sessions are read from --from minus a lookback (the
widest of 30 d, the reattribution and the re-engagement windows, unless
--lookback says otherwise; printed on stderr). The configuration is the
app's current one from the registry (or --config FILE), changed by --set;
--set accepts attribution.*, fraud.* and media_sources.SOURCE.click_lookback
or .view_lookback, validated like an admin PUT.

--source clickhouse is refused: the ClickHouse tables lack

{clickhouse_gaps()}
"""


def _day(_ctx: click.Context, param: click.Parameter, value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param=param) from None


def _duration(_ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    from attrib.durations import DurationError, parse_duration

    if value is None:
        return None
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise click.BadParameter(str(exc), param=param) from None


@click.command(help=_HELP)
@click.option("--app", "app_id", required=True, metavar="APP_ID", help="The app to replay.")
@click.option("--from", "first", required=True, metavar="YYYY-MM-DD", callback=_day)
@click.option("--to", "last", required=True, metavar="YYYY-MM-DD", callback=_day)
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="A changed setting.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option(
    "--source",
    type=click.Choice(["archive", "clickhouse"]),
    default="archive",
    show_default=True,
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="The app's configuration (admin JSON) instead of the registry's.",
)
@click.option(
    "--lookback",
    callback=_duration,
    metavar="DURATION",
    help="History read before --from (default: see above).",
)
def replay(
    app_id: str,
    first: date,
    last: date,
    sets: tuple[str, ...],
    fmt: str,
    source: str,
    config_file: str | None,
    lookback: int | None,
) -> None:
    from attrib.cli.progress import ProgressLine
    from attrib.replay.clickhouse_source import SourceUnavailable, require_clickhouse_inputs
    from attrib.replay.output import render_rows
    from attrib.replay.overrides import OverrideError, apply_overrides
    from attrib.replay.run import (
        ReplayRange,
        compare,
        inputs_from_archive,
        live_from_archive,
        lookback_ms,
    )
    from attrib.replay.source import ArchiveError, ArchiveReader, archive_root

    try:
        span = ReplayRange(app_id, first, last)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if source == "clickhouse":
        try:
            require_clickhouse_inputs()
        except SourceUnavailable as exc:
            raise click.ClickException(str(exc)) from None
    live_config = _load_config(app_id, config_file)
    try:
        config = apply_overrides(live_config, sets)
    except OverrideError as exc:
        raise click.UsageError(str(exc)) from None
    history = lookback if lookback is not None else lookback_ms(live_config, config)
    since = datetime.combine(first, datetime.min.time()) - timedelta(milliseconds=history)
    progress = ProgressLine(sys.stderr)
    progress.done(
        f"replay {app_id} {first}..{last}: reading history from {since:%Y-%m-%d %H:%M} UTC "
        f"({history / 86_400_000:g} d lookback)"
    )
    try:
        reader = ArchiveReader(archive_root())
        inputs = inputs_from_archive(reader, span, history)
        live_attributions, live_events = live_from_archive(reader, span)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    if not live_attributions:
        click.echo(f"note: the archive holds no attributions of {app_id} in the range", err=True)
    result = compare(
        span,
        inputs,
        config,
        live_attributions,
        live_events,
        lookback=history,
        progress=lambda done, total: progress.update(
            f"re-deciding {total:,} records: {_step(done, total)}%"
        ),
    )
    progress.done(
        f"re-decided {result.replayed.inputs:,} records: "
        f"{len(result.after):,} installs in range ({len(result.before):,} live)"
    )
    click.echo(render_rows(result.rows, fmt), nl=False)


def _step(done: int, total: int) -> int:
    """Percent done in steps of 5, so that a log gets at most 21 progress lines."""
    percent = 100 * done // max(total, 1)
    return percent - percent % 5


def _load_config(app_id: str, config_file: str | None) -> AppConfig:
    """The app's configuration: ``--config FILE`` or the registry's current one."""
    from attrib.config import ConfigError, validate_app_config

    if config_file is not None:
        try:
            body = json.loads(Path(config_file).read_text())
            return validate_app_config(app_id, body)
        except (ValueError, ConfigError) as exc:
            raise click.UsageError(f"--config {config_file}: {exc}") from None
    import asyncio

    from attrib.registry.cache import AppConfigCache
    from attrib.registry.errors import RegistryUnavailable
    from attrib.settings import load_settings

    async def fetch() -> AppConfig | None:
        async with AppConfigCache(load_settings()) as cache:
            return cache.get(app_id)

    try:
        config = asyncio.run(fetch())
    except (RegistryUnavailable, OSError) as exc:
        raise click.ClickException(
            f"cannot read the app registry ({exc}); pass --config FILE instead"
        ) from None
    if config is None:
        raise click.ClickException(f"no app {app_id!r} in the registry")
    return config
