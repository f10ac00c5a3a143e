"""``attrib demo``: see the platform work on the local stack (operations.md).

Registers a fresh demo app (``demo-<yyyymmddhhmmss>``), sends a realistic
data set through the collector (attrib.demo.scenario: several media sources,
impressions, organic installs, fraud, reinstalls, retargeting, sessions,
purchases, event times over the past weeks), waits until everything is
decided and in ClickHouse, and prints the overview, retention, ctit and fraud
reports of that app. A small receiver on loopback (attrib.demo.receiver)
plays the networks and the advertiser: the app's postbacks and push endpoint
point at it, and the demo prints the postbacks report of real deliveries.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

import click

from attrib.cli.progress import ProgressLine


@click.command()
@click.option("--app", "app_id", help="App id to register (default: demo-<yyyymmddhhmmss>).")
@click.option("--url", help="Collector URL (default: the local collector).")
@click.option("--rate", type=float, default=400.0, show_default=True, help="Requests per second.")
@click.option(
    "--timeout", type=float, default=120.0, show_default=True, help="Seconds to wait per phase."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def demo(app_id: str | None, url: str | None, rate: float, timeout: float, fmt: str) -> None:
    """Send a realistic demo data set through the local stack and print its reports."""
    from attrib.analytics.clickhouse import connect
    from attrib.analytics.formatting import render
    from attrib.demo.receiver import DemoReceiver
    from attrib.demo.run import DemoError, run
    from attrib.settings import load_settings

    settings = load_settings().with_admin_token()
    url = url or f"http://{settings.collector_host}:{settings.collector_port}"
    app_id = app_id or f"demo-{datetime.now(UTC):%Y%m%d%H%M%S}"
    line = ProgressLine(sys.stderr)
    click.echo(f"attrib demo: app {app_id}, collector {url}, ClickHouse {settings.clickhouse_url}")
    started = time.monotonic()
    receiver = DemoReceiver()
    receiver.start()
    try:
        client = connect(settings)
        _, results = run(
            collector_url=url,
            admin_token=settings.admin_token.reveal(),
            client=client,
            app_id=app_id,
            rate=rate,
            timeout=timeout,
            progress=line.update,
            done=line.done,
            receiver=receiver,
        )
    except (DemoError, OSError) as exc:
        line.done("")
        click.echo(f"demo failed: {exc}\n(is the stack up? `attrib local status`)", err=True)
        sys.exit(1)
    except Exception as exc:  # clickhouse-connect errors: the same advice
        line.done("")
        click.echo(f"demo failed: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    finally:
        receiver.stop()
    click.echo(f"everything decided and in ClickHouse after {time.monotonic() - started:.0f}s\n")
    for name, result in results.items():
        if fmt == "table":
            click.echo(f"== attrib report {name} --app {app_id}")
        click.echo(render(result, fmt))
    if fmt == "table":
        db = settings.clickhouse_database
        last_day = datetime.now(UTC).date()
        first_day = last_day - timedelta(days=45)  # the scenario's installs span 30 days
        click.echo(
            f"""Query it yourself (ClickHouse HTTP at {settings.clickhouse_url}, database {db}):
  curl '{settings.clickhouse_url}/?database={db}' --data-binary \\
    "SELECT media_source, count() FROM attributions FINAL WHERE app_id = '{app_id}' GROUP BY 1"
  .venv/bin/python -c "import clickhouse_connect as c; \\
print(c.get_client(host='127.0.0.1', port=8123, database='{db}').query(\\
'SELECT * FROM attributions FINAL LIMIT 5').result_rows)"
  attrib report overview|daily|retention|ctit|fraud|postbacks --app {app_id}
What if (the worker archives every record to .attrib/archive within 30 s; docs/replay.md):
  attrib replay --app {app_id} --from {first_day} --to {last_day} \\
    --set attribution.click_lookback=1d
Stop the stack: `make down` (or `.venv/bin/attrib local down`); data stays in .attrib/."""
        )
