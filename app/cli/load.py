"""``attrib load``: offer realistic traffic to a collector at a controlled rate.

Example (local stack)::

    attrib load --app demo.app --rate 500 --duration 30
    attrib load --app demo.app --rate 2000 --count 100000 --mix clicks=8,installs=1

The app must be registered (``attrib apps put``); its SDK key is read
through the admin API.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
import urllib.request

import click

from attrib.cli.progress import ProgressLine
from attrib.loadgen.sender import send
from attrib.loadgen.traffic import Mix, RandomTraffic
from attrib.settings import load_settings


def _app_config(url: str, app_id: str, token: str) -> dict:
    request = urllib.request.Request(
        f"{url}/v1/apps/{app_id}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


@click.command()
@click.option("--app", "app_id", required=True, help="A registered app id.")
@click.option("--url", help="Collector URL (default: the local collector).")
@click.option("--rate", type=float, default=200.0, show_default=True, help="Requests per second.")
@click.option("--duration", type=float, help="Seconds to run (default 10 unless --count).")
@click.option("--count", type=int, help="Number of requests to send.")
@click.option(
    "--mix",
    default="clicks=6,impressions=3,installs=1,sessions=2,events=1",
    show_default=True,
    help="Relative weights of each kind of request.",
)
@click.option("--concurrency", type=int, default=64, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
def load(
    app_id: str,
    url: str | None,
    rate: float,
    duration: float | None,
    count: int | None,
    mix: str,
    concurrency: int,
    seed: int,
) -> None:
    """Offer realistic traffic (clicks, impressions, installs, sessions, events) to a collector."""
    settings = load_settings().with_admin_token()
    url = url or f"http://{settings.collector_host}:{settings.collector_port}"
    try:
        weights = Mix.parse(mix)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mix") from exc
    try:
        config = _app_config(url, app_id, settings.admin_token.reveal())
    except OSError as exc:
        click.echo(f"cannot read app {app_id!r} from {url}: {exc}", err=True)
        sys.exit(1)
    total = count if count is not None else int(rate * (duration or 10.0))
    traffic = RandomTraffic(app_id, config["sdk_key"], config["platform"], weights, seed)
    requests = (traffic.next(int(time.time() * 1000)) for _ in itertools.count())
    line = ProgressLine()
    stats = asyncio.run(
        send(
            url,
            itertools.islice(requests, total),
            rate=rate,
            concurrency=concurrency,
            progress=lambda s: line.update(s.summary()),
        )
    )
    line.done(stats.summary())
    kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(stats.by_kind.items()))
    click.echo(f"by kind: {kinds}")
    sys.exit(0 if stats.errors == 0 and all(s < 500 for s in stats.by_status) else 1)
