"""What matters in the rendered manifests: volumes, probes, settings, Secrets, security.

Every environment variable a container gets must be a setting
:mod:`attrib.settings` reads (the list is derived from the ``Settings``
dataclass, so a typo in the chart cannot pass), and the values must load.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from attrib.settings import load_settings
from tests.helm.chart import (
    CHART,
    CI_VALUES,
    CRD_KINDS,
    containers,
    find,
    pod_specs,
    render,
    setting_env_names,
)

VALUE_SETS = [pytest.param((), id="default"), *(pytest.param((p,), id=p.stem) for p in CI_VALUES)]


@pytest.fixture(scope="module", params=VALUE_SETS)
def manifests(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(request.param)


@pytest.fixture(scope="module")
def default() -> list[dict[str, Any]]:
    return render()


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container.get("env", [])}


def _port(container: dict[str, Any], ref: int | str) -> int:
    if isinstance(ref, int):
        return ref
    return next(p["containerPort"] for p in container["ports"] if p["name"] == ref)


def test_every_env_var_is_a_setting(manifests: list[dict[str, Any]]) -> None:
    known = setting_env_names()
    for where, container in containers(manifests):
        unknown = sorted(set(_env(container)) - known)
        assert not unknown, f"{where} sets variables attrib.settings does not read: {unknown}"
        assert container["env"], where


def test_the_rendered_settings_load(manifests: list[dict[str, Any]]) -> None:
    """The values the chart writes are ones the settings accept (no SettingsError at start)."""
    for where, container in containers(manifests):
        env = {}
        for name, item in _env(container).items():
            env[name] = item.get("value", "from-a-secret-or-the-pod")
        env["ATTRIB_WORKER_HOST"] = env.get("ATTRIB_WORKER_HOST", "127.0.0.1")
        if "fieldRef" in str(_env(container).get("ATTRIB_WORKER_HOST", "")):
            env["ATTRIB_WORKER_HOST"] = "10.1.2.3"
        settings = load_settings(env=env)
        assert settings.data_dir == "/var/lib/attrib", where


def test_secret_references_resolve(manifests: list[dict[str, Any]]) -> None:
    """Every secretKeyRef names a key of the chart's Secret, or an existing Secret of the values."""
    chart_secrets = {
        doc["metadata"]["name"]: set(doc.get("data", {}))
        for doc in manifests
        if doc["kind"] == "Secret"
    }
    for where, container in containers(manifests):
        for item in container.get("env", []):
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref is None:
                continue
            if ref["name"] in chart_secrets:
                assert ref["key"] in chart_secrets[ref["name"]], (where, item["name"])
            else:
                assert not ref["name"].startswith("t-attrib"), (where, ref)  # an existing Secret


def test_worker_statefulset_keeps_its_tables_on_a_volume_per_pod(
    manifests: list[dict[str, Any]],
) -> None:
    sts = find(manifests, "StatefulSet", "worker")
    spec = sts["spec"]
    assert spec["podManagementPolicy"] == "Parallel"
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["resources"]["requests"]["storage"]
    (container,) = spec["template"]["spec"]["containers"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    env = _env(container)
    assert mounts[claim["metadata"]["name"]] == env["ATTRIB_DATA_DIR"]["value"]
    # A stable member id from the pod name, the pod's own address for the web server.
    assert env["ATTRIB_WORKER_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["ATTRIB_WORKER_HOST"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert spec["serviceName"] in {
        d["metadata"]["name"] for d in manifests if d["kind"] == "Service"
    }
    grace = spec["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace >= 60  # the batch in hand, the commit, leaving the group


@pytest.mark.parametrize(
    ("component", "port_var"),
    [("collector", "ATTRIB_COLLECTOR_PORT"), ("worker", "ATTRIB_WORKER_PORT")],
)
def test_probes_ask_the_right_port_and_paths(
    manifests: list[dict[str, Any]], component: str, port_var: str
) -> None:
    kind = "StatefulSet" if component == "worker" else "Deployment"
    (container,) = find(manifests, kind, component)["spec"]["template"]["spec"]["containers"]
    listens = int(_env(container)[port_var]["value"])
    ready, live = container["readinessProbe"]["httpGet"], container["livenessProbe"]["httpGet"]
    assert (ready["path"], _port(container, ready["port"])) == ("/readyz", listens)
    assert (live["path"], _port(container, live["port"])) == ("/healthz", listens)
    # The broker probe waits up to 3 s: the kubelet must wait longer than an answer takes.
    assert container["readinessProbe"]["timeoutSeconds"] >= 3


def test_services_point_at_the_listening_ports(manifests: list[dict[str, Any]]) -> None:
    ports = {}
    for _, spec in pod_specs(manifests):
        for container in spec["containers"]:
            for port in container.get("ports", []):
                ports[port["name"]] = port["containerPort"]
    for doc in manifests:
        if doc["kind"] == "Service":
            for port in doc["spec"]["ports"]:
                assert port["targetPort"] in ports, (doc["metadata"]["name"], port)


def test_collector_url_of_the_worker_is_the_worker_service(default: list[dict[str, Any]]) -> None:
    (container,) = find(default, "Deployment", "collector")["spec"]["template"]["spec"][
        "containers"
    ]
    url = _env(container)["ATTRIB_WORKER_URL"]["value"]
    service = find(
        [d for d in default if "headless" not in d["metadata"]["name"]], "Service", "worker"
    )
    assert url == f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}"


def test_pods_run_as_non_root_on_a_read_only_root(manifests: list[dict[str, Any]]) -> None:
    for name, spec in pod_specs(manifests):
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        for container in spec["containers"]:
            ctx = container["securityContext"]
            assert ctx["readOnlyRootFilesystem"] is True, name
            assert ctx["allowPrivilegeEscalation"] is False, name
            assert ctx["capabilities"]["drop"] == ["ALL"], name
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            # Writable: temporary files and the data folder the settings name.
            assert {"/tmp", _env(container)["ATTRIB_DATA_DIR"]["value"]} <= mounts, name


def test_sink_role_takes_the_sink_out_of_the_workers() -> None:
    for enabled in (False, True):
        manifests = render(sets={"sink.enabled": enabled})
        (worker,) = find(manifests, "StatefulSet", "worker")["spec"]["template"]["spec"][
            "containers"
        ]
        assert _env(worker)["ATTRIB_WORKER_SINK"]["value"] == str(not enabled).lower()
        sinks = [c for where, c in containers(manifests) if c["name"] == "sink"]
        assert len(sinks) == int(enabled)
        if enabled:
            assert sinks[0]["command"] + sinks[0]["args"][:1] == ["attrib", "sink"]


def test_deliver_role_is_off_by_default_and_runs_attrib_deliver() -> None:
    assert not [c for _, c in containers(render()) if c["name"] == "deliver"]
    manifests = render(sets={"deliver.enabled": True, "deliver.args[0]": "--concurrency=8"})
    (container,) = find(manifests, "Deployment", "deliver")["spec"]["template"]["spec"][
        "containers"
    ]
    assert container["command"] + container["args"] == [
        "attrib",
        "deliver",
        "--metrics-port",
        "9100",
        "--concurrency=8",
    ]
    assert container["ports"] == [{"name": "metrics", "containerPort": 9100, "protocol": "TCP"}]
    assert _env(container)["ATTRIB_WORKER_HOST"]["value"] == "0.0.0.0"  # reachable metrics
    (worker,) = find(manifests, "StatefulSet", "worker")["spec"]["template"]["spec"]["containers"]
    assert _env(worker)["ATTRIB_WORKER_DELIVER"]["value"] == "false"  # the role delivers alone
    (worker,) = find(render(), "StatefulSet", "worker")["spec"]["template"]["spec"]["containers"]
    assert _env(worker)["ATTRIB_WORKER_DELIVER"]["value"] == "true"


def test_sasl_and_tls_come_from_secrets() -> None:
    manifests = render(CI_VALUES)
    (container,) = find(manifests, "StatefulSet", "worker")["spec"]["template"]["spec"][
        "containers"
    ]
    env = _env(container)
    assert env["ATTRIB_KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
    assert env["ATTRIB_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "attrib-kafka",
        "key": "password",
    }
    assert env["ATTRIB_ADMIN_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "attrib-admin"
    cafile = Path(env["ATTRIB_KAFKA_SSL_CAFILE"]["value"])
    mount = next(m for m in container["volumeMounts"] if m["name"] == "kafka-ca")
    assert cafile.parent == Path(mount["mountPath"])
    for doc in manifests:  # no secret value is written into the manifests
        assert doc["kind"] != "Secret"


def test_a_given_password_is_stored_in_the_charts_secret() -> None:
    manifests = render(sets={"clickhouse.password": "s3cret", "adminToken.value": "tok"})
    (secret,) = [d for d in manifests if d["kind"] == "Secret"]
    assert base64.b64decode(secret["data"]["clickhouse-password"]) == b"s3cret"
    assert base64.b64decode(secret["data"]["admin-token"]) == b"tok"
    text = yaml.safe_dump_all(manifests)
    assert "s3cret" not in text


def test_custom_resources_are_well_formed() -> None:
    manifests = render(CI_VALUES)
    crs = [d for d in manifests if (d["apiVersion"], d["kind"]) in CRD_KINDS]
    assert len(crs) == 2
    monitor = next(d for d in crs if d["kind"] == "ServiceMonitor")
    ports = {e["port"] for e in monitor["spec"]["endpoints"]}
    assert ports == {"http", "metrics"}
    rules = next(d for d in crs if d["kind"] == "PrometheusRule")
    shipped = yaml.safe_load((CHART / "alerts" / "attrib-rules.yaml").read_text())
    assert rules["spec"] == shipped


def test_dashboard_configmap_ships_every_dashboard() -> None:
    manifests = render(sets={"grafana.dashboards.enabled": True})
    (cm,) = [d for d in manifests if d["kind"] == "ConfigMap"]
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = {p.name for p in (CHART / "dashboards").glob("*.json")}
    assert set(cm["data"]) == shipped
    for name in shipped:
        assert cm["data"][name].strip() == (CHART / "dashboards" / name).read_text().strip()


def test_hpa_scales_the_collector_on_cpu(default: list[dict[str, Any]]) -> None:
    hpa = find(default, "HorizontalPodAutoscaler", "collector")
    assert (
        hpa["spec"]["scaleTargetRef"]["name"]
        == find(default, "Deployment", "collector")["metadata"]["name"]
    )
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    # With the HPA on, the Deployment leaves the replica count to it.
    assert "replicas" not in find(default, "Deployment", "collector")["spec"]
