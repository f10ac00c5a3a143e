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
    assert ("Deployment", "t-attrib-archive") in names
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


def test_the_archive_mode_sets_where_the_archiver_runs() -> None:
    """off: nowhere; worker: ATTRIB_WORKER_ARCHIVE in every pod; deployment: its own pods."""

    def worker_env(manifests: list[dict]) -> dict[str, str]:
        [sts] = [d for d in manifests if d["kind"] == "StatefulSet"]
        container = sts["spec"]["template"]["spec"]["containers"][0]
        return {e["name"]: e.get("value", "") for e in container["env"]}

    off = render(())
    assert worker_env(off)["ATTRIB_WORKER_ARCHIVE"] == "false"
    assert "ATTRIB_ARCHIVE_URL" not in worker_env(off)
    assert not [d for d in off if d["metadata"]["name"].endswith("-archive")]

    in_worker = render(
        (), {"archive.mode": "worker", "archive.url": "s3://b/p", "archive.envFromSecret": "s3"}
    )
    env = worker_env(in_worker)
    assert (env["ATTRIB_WORKER_ARCHIVE"], env["ATTRIB_ARCHIVE_URL"]) == ("true", "s3://b/p")
    [sts] = [d for d in in_worker if d["kind"] == "StatefulSet"]
    assert sts["spec"]["template"]["spec"]["containers"][0]["envFrom"] == [
        {"secretRef": {"name": "s3"}}
    ]

    with pytest.raises(RenderError, match=r"archive\.url is required"):
        render((), {"archive.mode": "deployment"})
