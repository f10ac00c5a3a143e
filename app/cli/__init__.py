"""The ``attrib`` console script (operations.md): one group, one module per command.

Run ``attrib --help``; every command has ``--help``. Subcommands live in
sibling modules and are imported lazily so that ``attrib --help`` stays fast
and a command's heavy imports (Faust, chdb) load only when it runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

# command name -> (module, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "local": ("attrib.cli.local", "local", "Start, stop and show the local stack."),
    "apps": ("attrib.cli.apps", "apps", "Register and read app configurations (admin API)."),
    "collector": ("attrib.cli.collector", "collector", "Run the HTTP collector."),
    "worker": ("attrib.cli.worker", "worker", "Run a stream worker (Faust)."),
    "demo": ("attrib.cli.demo", "demo", "Send a demo data set through the stack, print reports."),
    "load": ("attrib.cli.load", "load", "Offer realistic traffic to a collector at a set rate."),
    "topics": ("attrib.cli.topics", "topics", "Create the platform's Kafka topics."),
    "sink": ("attrib.cli.sink", "sink", "Write the platform's topics into ClickHouse."),
    "archive": ("attrib.cli.archive", "archive", "Write every record to the Parquet archive."),
    "deliver": ("attrib.cli.deliver", "deliver", "Send postbacks and push messages (R32-R36)."),
    "report": ("attrib.cli.report", "report", "Print an analytics report from ClickHouse."),
    "replay": ("attrib.cli.replay", "replay", "Re-decide archived data with a changed config."),
    "export": ("attrib.cli.export", "export", "Export attributions in another MMP's layout."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, spec in COMMANDS.items() if _available(spec[0]))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None or not _available(spec[0]):
            return None
        module = importlib.import_module(spec[0])
        command = getattr(module, spec[1])
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; a setting it cannot use is an operator's error, said in one
        line (``Error: ATTRIB_...: why``, exit status 1), not a traceback."""
        from attrib.settings import SettingsError

        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="attrib")
def cli() -> None:
    """Attrib: mobile attribution on Kafka, Faust and ClickHouse.

    Settings come from ATTRIB_* environment variables (see docs/operations.md);
    the defaults serve the local stack.
    """


def main() -> None:
    cli(prog_name="attrib")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
