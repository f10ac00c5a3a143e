"""Rendering the chart with the helm binary that scripts/install-helm.sh builds.

:func:`helm_binary` finds helm (``$ATTRIB_HELM``, the script's cache folder,
then ``PATH``) and builds it with the script when Go is there; the chart
tests skip only where neither helm nor Go is (a dev machine), and fail
instead when ``REQUIRE_HELM=1`` (CI).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from attrib.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "attrib"
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))
HELM_VERSION = "v4.3.2"
RELEASE = "t"
#: Kinds of Prometheus Operator's CRDs: no Kubernetes schema exists for them.
CRD_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}


@cache
def helm_binary() -> str:
    explicit = os.environ.get("ATTRIB_HELM")
    if explicit:
        return explicit
    tools = Path(os.environ.get("ATTRIB_TOOLS_DIR", ROOT / ".attrib" / "tools"))
    cached = tools / f"helm-{HELM_VERSION}" / "helm"
    if not cached.exists():
        # Idempotent; builds with Go when it is there (about 2 minutes once).
        subprocess.run([str(ROOT / "scripts" / "install-helm.sh")], check=False, timeout=900)
    if cached.exists():
        return str(cached)
    found = shutil.which("helm")
    if found:
        return found
    message = "helm is not available and Go is missing to build it (scripts/install-helm.sh)"
    if os.environ.get("REQUIRE_HELM") == "1":
        pytest.fail(message)
    pytest.skip(message)


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [helm_binary(), *args], capture_output=True, text=True, timeout=120, check=False
    )


def render(
    values_files: Iterable[Path] = (), sets: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """``helm template`` of the chart: the manifests as dicts (empty documents dropped)."""
    args = ["template", RELEASE, str(CHART)]
    for path in values_files:
        args += ["-f", str(path)]
    for key, value in (sets or {}).items():
        args += ["--set-string" if isinstance(value, str) else "--set", f"{key}={value}"]
    done = helm(*args)
    if done.returncode != 0:
        raise RenderError(done.stderr)
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


class RenderError(RuntimeError):
    """helm template refused the values (schema, a ``fail`` of the chart)."""


def find(manifests: list[dict[str, Any]], kind: str, component: str) -> dict[str, Any]:
    for doc in manifests:
        labels = doc["metadata"].get("labels", {})
        if doc["kind"] == kind and labels.get("app.kubernetes.io/component") == component:
            return doc
    raise LookupError(f"no {kind} for {component}")


def pod_specs(manifests: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(name, pod spec)`` of every workload."""
    for doc in manifests:
        if doc["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]


def containers(manifests: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, spec in pod_specs(manifests):
        for container in spec.get("initContainers", []) + spec["containers"]:
            yield f"{name}/{container['name']}", container


def setting_env_names() -> set[str]:
    """Every environment variable :func:`attrib.settings.load_settings` reads."""
    return {ENV_PREFIX + f.name.upper() for f in dataclasses.fields(Settings)}
