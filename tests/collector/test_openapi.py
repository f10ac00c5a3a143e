"""The OpenAPI document matches the routes, and the live service honours it (schemathesis).

The property-based run starts ``attrib collector`` as a process on the real
broker, registers an app through the admin API, loads ``/openapi.json`` from
the running service and lets schemathesis generate valid and invalid
requests for every operation (the app id pinned to the registered app and
the right SDK key sent, so requests get past 404/401 into validation and
Kafka). Checks: no 5xx, and status code, content type, headers and body of
every answer as documented.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrib.collector.openapi import openapi_document
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings, load_settings
from attrib.web.app import create_app
from attrib.web.handlers import FALLBACK_NAME
from tests.engine.harness import WorkerProcess

from .conftest import ANDROID_APP, ANDROID_STORE, SDK_KEY

ATTRIB = str(Path(sys.executable).parent / "attrib")
EXAMPLES_PER_OPERATION = 40


def documented_operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in openapi_document()["paths"].items()
        for method in operations
    }


def test_every_route_is_documented_and_every_documented_operation_is_a_route() -> None:
    settings = load_settings(env={})
    cache = AppConfigCache(settings)
    app = create_app(settings, cache=cache, writer=AppRegistryWriter(settings, cache))
    routes = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        and route.resource.name != FALLBACK_NAME  # answers unknown paths, no operation
        # the dashboard is HTML for people, not the JSON API (docs/dashboard.md)
        and not route.resource.canonical.startswith("/dashboard")
    }
    assert routes == documented_operations()


def test_every_documented_status_has_a_described_response() -> None:
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"], f"{method} {path}"
            for status, response in operation["responses"].items():
                assert response["description"], f"{method} {path} {status}"


# ---- the live service ----------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(url: str, method: str = "GET", body: object = None, **headers: str) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


@pytest.fixture
def running_collector(
    isolated_settings: Settings, collector_topics: list[str], tmp_path: Path
) -> Iterator[str]:
    """``attrib collector`` on a free port with the Android test app registered,
    and a worker behind it (conversion-data is answered from the worker's tables).

    ``collector_topics`` creates the topics first and deletes them afterwards.
    """
    worker = WorkerProcess(isolated_settings)
    worker.start()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIB_")}
    env.update(
        ATTRIB_KAFKA_BOOTSTRAP=isolated_settings.kafka_bootstrap,
        ATTRIB_TOPIC_PREFIX=isolated_settings.topic_prefix,
        ATTRIB_TOPIC_PARTITIONS=str(isolated_settings.topic_partitions),
        ATTRIB_ADMIN_TOKEN=isolated_settings.admin_token.reveal(),
        ATTRIB_DATA_DIR=isolated_settings.data_dir,
        ATTRIB_WORKER_URL=worker.url,
    )
    log_path = tmp_path / "collector.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [ATTRIB, "collector", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _request(f"{url}/readyz")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"collector not ready:\n{log_path.read_text()}")
                time.sleep(0.2)
        _request(
            f"{url}/v1/apps/{ANDROID_APP}",
            "PUT",
            {"platform": "android", "store_url": ANDROID_STORE, "sdk_key": SDK_KEY},
            Authorization=f"Bearer {isolated_settings.admin_token.reveal()}",
            **{"Content-Type": "application/json"},
        )
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        worker.stop()


def schemathesis_run(
    url: str, strategies: list[Any], headers: dict[str, str], operations: int
) -> dict[int, int]:
    """Send the generated cases to ``url`` with ``headers``, checking every answer
    against the document; how many answers of each status came back."""
    import schemathesis
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]
    statuses: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES_PER_OPERATION * operations,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def exercise(case: schemathesis.Case) -> None:
        response = case.call_and_validate(
            base_url=url, headers=headers, checks=checks, allow_redirects=False, timeout=10
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    exercise()
    return statuses


MODES = ("POSITIVE", "NEGATIVE")


@pytest.mark.integration
@pytest.mark.timeout(240)
def test_the_running_service_honours_its_openapi_document(running_collector: str) -> None:
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{running_collector}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    # schemathesis leaves out the operation that serves the document itself.
    tested = {(op.method.upper(), op.path) for op in operations}
    assert tested == documented_operations() - {("GET", "/openapi.json")}
    strategies = []
    for operation in operations:
        pinned = {"app_id": ANDROID_APP} if "{app_id}" in operation.path else None
        for mode in MODES:
            strategies.append(
                operation.as_strategy(schemathesis.GenerationMode[mode], path_parameters=pinned)
            )
    statuses = schemathesis_run(
        running_collector, strategies, {"X-Attrib-Key": SDK_KEY}, len(operations)
    )
    # The run reached past the front door: records were written and input refused.
    assert statuses.get(202, 0) + statuses.get(302, 0) + statuses.get(204, 0) > 0, statuses
    assert statuses.get(400, 0) > 0, statuses
    assert not any(status >= 500 for status in statuses), statuses


def admin_operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in openapi_document()["paths"].items()
        for method, operation in operations.items()
        if "admin" in operation.get("tags", [])
    }


@pytest.mark.integration
@pytest.mark.timeout(240)
def test_the_admin_api_honours_its_openapi_document(
    running_collector: str, isolated_settings: Settings
) -> None:
    """The admin operations with the admin token sent (the run above stops at their 401)."""
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{running_collector}/openapi.json")
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if (op.method.upper(), op.path) in admin_operations()
    ]
    assert {(op.method.upper(), op.path) for op in operations} == admin_operations()
    assert len(operations) == 3
    strategies = [
        operation.as_strategy(schemathesis.GenerationMode[mode])
        for operation in operations
        for mode in MODES
    ]
    token = isolated_settings.admin_token.reveal()
    statuses = schemathesis_run(
        running_collector, strategies, {"Authorization": f"Bearer {token}"}, len(operations)
    )
    # Past the token check: configurations stored or read, and bodies refused.
    assert statuses.get(200, 0) + statuses.get(201, 0) > 0, statuses
    assert statuses.get(400, 0) > 0, statuses
    assert not any(status >= 500 for status in statuses), statuses
