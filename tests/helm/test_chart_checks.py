"""The chart lints, renders and validates against Kubernetes' own schemas (no network).

Run: ``.venv/bin/pytest -q tests/helm`` (``make helm-check``). helm comes from
scripts/install-helm.sh; the schemas from the ``kubernetes-validate`` package.
"""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest

from tests.helm.chart import CHART, CI_VALUES, CRD_KINDS, RenderError, helm, render

#: The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schemas shipped.
KUBE_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
VALUE_SETS = [pytest.param((), id="default"), *(pytest.param((p,), id=p.stem) for p in CI_VALUES)]


def test_there_is_a_production_like_values_file() -> None:
    assert CI_VALUES, "helm/attrib/ci/*.yaml: CI renders each"


@pytest.mark.parametrize("values", VALUE_SETS)
def test_helm_lint_strict(values: tuple[Path, ...]) -> None:
    args = ["lint", "--strict", str(CHART)]
    for path in values:
        args += ["-f", str(path)]
    done = helm(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 chart(s) failed" in done.stdout


@pytest.mark.parametrize("values", VALUE_SETS)
@pytest.mark.parametrize("kube", KUBE_VERSIONS)
def test_every_manifest_validates_against_the_kubernetes_schemas(
    values: tuple[Path, ...], kube: str
) -> None:
    manifests = render(values)
    kinds = {doc["kind"] for doc in manifests}
    assert {"Deployment", "StatefulSet", "Service"} <= kinds
    for doc in manifests:
        if (doc["apiVersion"], doc["kind"]) in CRD_KINDS:
            continue  # custom resources: checked in test_rendered
        try:
            kubernetes_validate.validate(doc, kube, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']} {doc['metadata']['name']} (Kubernetes {kube}): {exc}")


def test_the_production_values_render_every_optional_object() -> None:
    manifests = render(CI_VALUES)
    names = {(doc["kind"], doc["metadata"]["name"]) for doc in manifests}
    assert ("Deployment", "t-attrib-sink") in names
    assert ("Deployment", "t-attrib-deliver") in names
    assert ("ServiceMonitor", "t-attrib") in names
    assert ("PrometheusRule", "t-attrib") in names
    assert ("ConfigMap", "t-attrib-dashboards") in names
    assert ("HorizontalPodAutoscaler", "t-attrib-collector") in names


@pytest.mark.parametrize(
    ("sets", "says"),
    [
        ({"worker.replicas": "two"}, "/worker/replicas"),
        ({"kafka.securityProtocol": "TLS"}, "/kafka/securityProtocol"),
        ({"collector.prot": 8080}, "'prot' not allowed"),  # a typo of a key
        ({"settings.decisionDelay": "1 second"}, "/settings/decisionDelay"),
        ({"topics.partitions": 0}, "/topics/partitions"),
        ({"extraEnv[0].name": "ATRIB_LOG_LEVEL"}, "/extraEnv/0/name"),
        ({"worker.replicas": 13}, "must not exceed topics.partitions"),
        ({"kafka.securityProtocol": "SASL_SSL"}, "kafka.sasl.username is required"),
    ],
)
def test_a_wrong_value_fails_at_install(sets: dict[str, object], says: str) -> None:
    with pytest.raises(RenderError, match=re.escape(says)):
        render(sets=sets)  # type: ignore[arg-type]
