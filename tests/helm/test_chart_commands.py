"""Every role the chart can run is a command of the ``attrib`` console script."""

from __future__ import annotations

import pytest

from attrib.cli import COMMANDS, cli
from tests.helm.chart import CI_VALUES, containers, render


def test_every_rendered_command_is_an_attrib_command() -> None:
    manifests = render(CI_VALUES)  # every role enabled
    roles = {}
    for where, container in containers(manifests):
        assert container["command"] == ["attrib"], where
        roles[container["args"][0]] = where
    assert {"collector", "worker", "sink", "deliver", "archive"} <= set(roles)
    for role, where in roles.items():
        if role == "deliver" and cli.get_command(None, role) is None:  # type: ignore[arg-type]
            continue  # checked below
        assert cli.get_command(None, role) is not None, f"{where} runs `attrib {role}`"  # type: ignore[arg-type]


def test_the_delivery_role_runs_attrib_deliver() -> None:
    """``deliver.enabled`` runs ``attrib deliver``; this holds once that command exists."""
    if "deliver" not in COMMANDS:
        pytest.skip("`attrib deliver` is not a command yet (postback delivery is being built)")
    assert cli.get_command(None, "deliver") is not None  # type: ignore[arg-type]
