"""The install notes name objects the chart creates and commands that exist."""

from __future__ import annotations

import re

from tests.helm.chart import CHART, CI_VALUES, helm, render


def _notes(*values: str) -> str:
    args = ["install", "t", str(CHART), "--dry-run=client", "-n", "prod"]
    for path in values:
        args += ["-f", path]
    done = helm(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("NOTES:", 1)[1]


def test_notes_name_the_rendered_objects() -> None:
    notes = _notes()
    names = {(d["kind"], d["metadata"]["name"]) for d in render()}
    assert ("Service", "t-attrib-collector") in names
    assert "port-forward service/t-attrib-collector 8080:80" in notes
    assert ("StatefulSet", "t-attrib-worker") in names
    assert "statefulset/t-attrib-worker" in notes
    secret = re.search(r"get secret (\S+) -o jsonpath='\{\.data\.([a-z-]+)\}'", notes)
    assert secret is not None
    assert ("Secret", secret.group(1)) in names
    assert "attrib report overview --app APP" in notes


def test_notes_with_existing_secrets_and_optional_roles() -> None:
    notes = _notes(*(str(p) for p in CI_VALUES))
    assert "get secret attrib-admin -o jsonpath='{.data.token}'" in notes
    assert "t-attrib-sink" in notes
    assert "t-attrib-deliver" in notes
    assert "loadBalancer" in notes  # the Service is a LoadBalancer there
