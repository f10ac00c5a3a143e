"""Every command and subcommand of ``attrib`` answers ``--help``."""

from __future__ import annotations

import click
from click.testing import CliRunner

from attrib.cli import COMMANDS, cli


def _walk(group: click.Group, ctx: click.Context, path: tuple[str, ...]):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _walk(command, click.Context(command, parent=ctx), (*path, name))


def test_every_command_has_help() -> None:
    runner = CliRunner()
    ctx = click.Context(cli)
    seen = []
    for path, command in _walk(cli, ctx, ()):
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output
        assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
        seen.append(" ".join(path))
    assert {
        "local up",
        "local down",
        "local status",
        "apps put",
        "apps get",
        "apps list",
        "collector",
        "worker",
    } <= set(seen)


def test_registered_modules_exist() -> None:
    ctx = click.Context(cli)
    assert set(cli.list_commands(ctx)) == set(COMMANDS)
