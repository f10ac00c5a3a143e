"""The alert rules and the Grafana dashboard ask only for metrics the processes export.

The exported names are read from prometheus_client's registry after importing
every module that defines a metric (plus the lag gauge), with the sample
suffixes each type adds (``_total``, ``_bucket``...), so a renamed metric
breaks this test rather than a dashboard in production.
"""

from __future__ import annotations

import importlib
import json
import re

import yaml
from prometheus_client import REGISTRY

from attrib.ops.lag import LagCollector
from tests.helm.chart import CHART

METRIC_MODULES = (
    "attrib.engine.metrics",
    "attrib.analytics.metrics",
    "attrib.collector.metrics",
    "attrib.deadletter",
    "attrib.registry.metrics",
    "attrib.web.request_metrics",
    "attrib.ops.broker_monitor",
    "attrib.delivery.metrics",
    "attrib.archive.metrics",
)
#: Metrics of roles still being built: name -> what will export it.
PLANNED: dict[str, str] = {}
SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
    "unknown": ("",),
}
PROMQL_WORDS = {
    "sum", "by", "rate", "deriv", "and", "unless", "on", "or", "max", "min", "histogram_quantile",
    "le", "vector", "avg", "count", "increase", "without", "ignoring", "offset",
}  # fmt: skip


def exported_names() -> set[str]:
    for module in METRIC_MODULES:
        importlib.import_module(module)
    families = [*REGISTRY.collect(), *LagCollector({}).describe()]
    return {family.name + suffix for family in families for suffix in SUFFIXES[family.type]}


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (label matchers and strings removed)."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\bby\s*\([^)]*\)|\bon\s*\([^)]*\)", "", expr)
    names = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", expr))
    return {n for n in names if n not in PROMQL_WORDS and n.startswith("attrib_")}


def _rules() -> list[dict]:
    doc = yaml.safe_load((CHART / "alerts" / "attrib-rules.yaml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    exprs = []
    for path in sorted((CHART / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            exprs += [target["expr"] for target in panel["targets"]]
    return exprs


def test_metric_name_extraction() -> None:
    expr = 'sum by (topic) (rate(attrib_a_total{status=~"5.."}[5m])) / sum(attrib_b) > 0'
    assert metric_names(expr) == {"attrib_a_total", "attrib_b"}


def test_alert_rules_are_complete() -> None:
    rules = _rules()
    names = {rule["alert"] for rule in rules}
    # The list: lag growing, dead letters, sink failing, no decisions while installs arrive.
    assert {
        "AttribConsumerLagGrowing",
        "AttribDeadLetters",
        "AttribSinkFailing",
        "AttribNoDecisions",
    } <= names
    for rule in rules:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["description"], rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]


def test_alerts_and_dashboard_use_exported_metrics() -> None:
    exported = exported_names()
    assert "attrib_consumer_lag" in exported
    assert "attrib_decisions_total" in exported
    used: set[str] = set()
    for expr in [rule["expr"] for rule in _rules()] + _dashboard_exprs():
        found = metric_names(expr)
        assert found, expr
        used |= found
    unknown = sorted(used - exported - set(PLANNED))
    assert not unknown, f"not exported by any process: {unknown}"


def test_dashboard_covers_the_operators_questions() -> None:
    exprs = " ".join(_dashboard_exprs())
    for metric in (
        "attrib_collector_requests_total",  # request rate
        "attrib_collector_request_seconds_bucket",  # latency
        "attrib_decisions_total",  # decisions/s by type
        "attrib_decision_latency_seconds_bucket",
        "attrib_consumer_lag",
        "attrib_dead_letters_total",
        "attrib_sink_rows_total",
        "attrib_sink_errors_total",  # ClickHouse errors
        "attrib_postback_attempts_total",  # postback outcomes
    ):
        assert metric in exprs, metric
