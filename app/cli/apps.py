"""``attrib apps put FILE | get APP | list``: the admin API from the terminal.

A thin HTTP client of the collector's admin routes (it never talks to Kafka
itself, so it works against any deployment it can reach). Answers are printed
as indented JSON; a non-2xx answer prints ``HTTP <status> <code>: <detail>``
on stderr and exits with 1.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any

import click

from attrib.settings import SettingsError, load_settings

TIMEOUT_S = 30.0


class AdminClient:
    """Minimal synchronous client of the admin API."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token

    def request(self, method: str, path: str, body: object | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise click.ClickException(_describe_error(exc)) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise click.ClickException(f"cannot reach {self.base_url}: {reason}") from exc


def _describe_error(exc: urllib.error.HTTPError) -> str:
    raw = exc.read()
    try:
        body = json.loads(raw)
    except ValueError:
        return f"HTTP {exc.code}: {raw.decode('utf-8', 'replace').strip() or exc.reason}"
    if not isinstance(body, dict):
        return f"HTTP {exc.code}: {body}"
    message = f"HTTP {exc.code} {body.get('error', 'error')}: {body.get('detail', '')}"
    if body.get("field"):
        message += f" (field {body['field']})"
    return message


def _print_json(document: object) -> None:
    click.echo(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--url",
    default=None,
    help="Collector base URL [default: http://ATTRIB_COLLECTOR_HOST:ATTRIB_COLLECTOR_PORT].",
)
@click.pass_context
def apps(ctx: click.Context, url: str | None) -> None:
    """Register and read app configurations through the collector's admin API.

    The admin token is ATTRIB_ADMIN_TOKEN, else <data dir>/admin-token.
    """
    ctx.obj = url


def _client(ctx: click.Context) -> AdminClient:
    """The client of the group's ``--url`` (built on use: ``--help`` reads no settings)."""
    try:
        settings = load_settings().with_admin_token()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    base_url = ctx.obj or f"http://{settings.collector_host}:{settings.collector_port}"
    return AdminClient(base_url, settings.admin_token.reveal())


@apps.command("put")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--app-id", default=None, help="App id [default: the file's app_id field].")
@click.pass_context
def put(ctx: click.Context, file: IO[str], app_id: str | None) -> None:
    """Create or replace an app's configuration from a JSON FILE ('-' for stdin)."""
    try:
        document = json.load(file)
    except ValueError as exc:
        raise click.ClickException(f"{file.name} is not valid JSON: {exc}") from exc
    if app_id is None:
        found = document.get("app_id") if isinstance(document, dict) else None
        if not isinstance(found, str) or not found:
            raise click.UsageError("no app id: pass --app-id or put an app_id field in the file")
        app_id = found
    elif isinstance(document, dict):
        document = {**document, "app_id": app_id}
    _print_json(_client(ctx).request("PUT", f"/v1/apps/{_quote(app_id)}", document))


@apps.command("get")
@click.argument("app")
@click.pass_context
def get(ctx: click.Context, app: str) -> None:
    """Print the stored configuration of APP (defaults filled, sdk_key included)."""
    _print_json(_client(ctx).request("GET", f"/v1/apps/{_quote(app)}"))


@apps.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Print every registered app's configuration."""
    _print_json(_client(ctx).request("GET", "/v1/apps"))


def _quote(app_id: str) -> str:
    return urllib.parse.quote(app_id, safe="")
