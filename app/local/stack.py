"""The local stack: Kafka, the ClickHouse endpoint, the collector and a worker.

``up`` starts what is not running, in dependency order, and waits until each
component is *ready* (not merely listening): Kafka accepts a produce and a
consume, the ClickHouse endpoint answers ``SELECT version()`` through
clickhouse-connect, the collector and the worker answer ``/readyz``. ``down``
stops only what ``up`` started (the pid files under the data folder).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from attrib.local import processes
from attrib.local.kafka import KafkaBroker
from attrib.settings import Settings

ORDER = ("kafka", "clickhouse", "collector", "worker")


@dataclass
class Component:
    """One process of the local stack."""

    name: str
    address: str
    pid_file: Path
    log_file: Path
    start_fn: Callable[[], None]
    ready_fn: Callable[[], tuple[bool, str]]
    stop_fn: Callable[[], bool] | None = None
    depends: tuple[str, ...] = field(default_factory=tuple)

    def pid(self) -> int | None:
        return processes.read_pid(self.pid_file)

    def start(self) -> None:
        self.start_fn()

    def stop(self) -> bool:
        if self.stop_fn is not None:
            return self.stop_fn()
        return processes.stop(self.pid_file)

    def ready(self) -> tuple[bool, str]:
        try:
            return self.ready_fn()
        except Exception as exc:  # a probe never raises: it reports
            return False, f"{type(exc).__name__}: {exc}"


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port or default_port)


def _http_ready(url: str) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200, f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except OSError as exc:
        return False, f"not answering ({exc.__class__.__name__})"


def _service_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["ATTRIB_DATA_DIR"] = str(settings.data_path)
    env["ATTRIB_ADMIN_TOKEN"] = settings.admin_token.reveal()
    env.setdefault("PYTHONUNBUFFERED", "1")
    # The local worker keeps the raw archive in <data>/archive (docs/archive.md), written
    # every 30 s so that `attrib replay` has the demo's data soon after it ran.
    env.setdefault("ATTRIB_WORKER_ARCHIVE", "true")
    env.setdefault("ATTRIB_ARCHIVE_FLUSH_INTERVAL", "30s")
    return env


def build_components(settings: Settings) -> dict[str, Component]:
    data = settings.data_path
    k_host, k_port = _host_port(settings.kafka_bootstrap.split(",")[0], 9092)
    broker = KafkaBroker(root=data / "kafka", host=k_host, port=k_port)

    def kafka_ready() -> tuple[bool, str]:
        if not broker.listening():
            return False, "starting"
        from attrib.kafka.health import probe_round_trip

        seconds = asyncio.run(probe_round_trip(settings, within=5))
        return True, f"produce+consume in {seconds * 1000:.0f} ms"

    ch_url = urlparse(settings.clickhouse_url)
    ch_host, ch_port = ch_url.hostname or "127.0.0.1", ch_url.port or 8123
    ch_root = data / "clickhouse"

    def clickhouse_start() -> None:
        if processes.read_pid(ch_root / "clickhouse.pid") is not None:
            return
        if processes.port_open(ch_host, ch_port):
            raise RuntimeError(
                f"port {ch_host}:{ch_port} is taken by a process this stack did not start"
            )
        (ch_root / "data").mkdir(parents=True, exist_ok=True)
        processes.spawn(
            [
                sys.executable,
                "-m",
                "attrib.chserver",
                "--data-dir",
                str(ch_root / "data"),
                "--host",
                ch_host,
                "--port",
                str(ch_port),
            ],
            pid_file=ch_root / "clickhouse.pid",
            log_file=ch_root / "server.log",
        )

    def clickhouse_ready() -> tuple[bool, str]:
        if not processes.port_open(ch_host, ch_port):
            return False, "starting"
        import clickhouse_connect

        client = clickhouse_connect.get_client(
            host=ch_host,
            port=ch_port,
            username=settings.clickhouse_user,
            password=settings.clickhouse_password.reveal(),
            connect_timeout=3,
        )
        try:
            version = client.command("SELECT version()")
            client.command(f"CREATE DATABASE IF NOT EXISTS `{settings.clickhouse_database}`")
        finally:
            client.close()
        return True, f"ClickHouse {version} (chdb)"

    def service(name: str, host: str, port: int) -> Component:
        root = data / name

        def start() -> None:
            if processes.read_pid(root / f"{name}.pid") is not None:
                return
            if processes.port_open(host, port):
                raise RuntimeError(
                    f"port {host}:{port} is taken by a process this stack did not start"
                )
            root.mkdir(parents=True, exist_ok=True)
            processes.spawn(
                [sys.executable, "-m", "attrib.cli", name, "--host", host, "--port", str(port)],
                pid_file=root / f"{name}.pid",
                log_file=root / f"{name}.log",
                env=_service_env(settings),
            )

        return Component(
            name=name,
            address=f"http://{host}:{port}",
            pid_file=root / f"{name}.pid",
            log_file=root / f"{name}.log",
            start_fn=start,
            ready_fn=lambda: _http_ready(f"http://{host}:{port}/readyz"),
            depends=("kafka",),
        )

    return {
        "kafka": Component(
            name="kafka",
            address=broker.bootstrap,
            pid_file=broker.pid_file,
            log_file=broker.log_file,
            start_fn=broker.start,
            ready_fn=kafka_ready,
            stop_fn=broker.stop,
        ),
        "clickhouse": Component(
            name="clickhouse",
            address=f"http://{ch_host}:{ch_port} (database {settings.clickhouse_database})",
            pid_file=ch_root / "clickhouse.pid",
            log_file=ch_root / "server.log",
            start_fn=clickhouse_start,
            ready_fn=clickhouse_ready,
        ),
        "collector": service("collector", settings.collector_host, settings.collector_port),
        "worker": service("worker", settings.worker_host, settings.worker_port),
    }


def select(names: Iterable[str] | None) -> list[str]:
    if names is None:
        return list(ORDER)
    wanted = set(names)
    unknown = wanted - set(ORDER)
    if unknown:
        raise ValueError(
            f"unknown component(s): {', '.join(sorted(unknown))}; known: {', '.join(ORDER)}"
        )
    return [n for n in ORDER if n in wanted]


def wait_ready(
    component: Component, deadline: float, report: Callable[[str], None]
) -> tuple[bool, str]:
    started = time.monotonic()
    detail = "starting"
    while time.monotonic() < deadline:
        if component.pid() is None:
            return False, f"exited; see {component.log_file}"
        ok, detail = component.ready()
        if ok:
            return True, detail
        report(f"{component.name}: {detail} ({time.monotonic() - started:.0f}s)")
        time.sleep(0.5)
    return False, f"not ready in time ({detail}); see {component.log_file}"
