"""A Kafka broker and a ClickHouse endpoint of the chaos run's own, to stop and start.

Faults on the broker or the ClickHouse endpoint cannot touch the shared local
stack (other tests use it), so a plan with such faults runs on services of
its own: a single-node KRaft broker (:class:`attrib.local.kafka.KafkaBroker`,
the local stack's jars reused when present) and ``python -m attrib.chserver``,
both on free loopback ports with their data in the test's folder.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

from attrib.local.kafka import KafkaBroker
from attrib.local.processes import port_open
from tests.engine.harness import free_port, two_free_ports

STACK_LIBS = Path(__file__).resolve().parents[2] / ".attrib" / "kafka"


class PrivateBroker:
    """One broker in ``root``; ``stop``/``start`` keep its data (a restart, not a new cluster)."""

    def __init__(self, root: Path) -> None:
        self.broker = KafkaBroker(root=root, port=two_free_ports())
        root.mkdir(parents=True, exist_ok=True)
        shared = STACK_LIBS / self.broker.libs.name
        if shared.is_dir() and not self.broker.libs.exists():
            self.broker.libs.symlink_to(shared, target_is_directory=True)

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    async def start(self, within: float = 120.0) -> None:
        await asyncio.to_thread(self.broker.start)
        deadline = time.monotonic() + within
        while not self.broker.listening():
            if time.monotonic() > deadline:
                raise AssertionError(f"private broker not listening in {within}s")
            await asyncio.sleep(0.3)

    async def stop(self) -> None:
        await asyncio.to_thread(self.broker.stop)


class PrivateClickHouse:
    """``python -m attrib.chserver`` on a free port; ``kill`` is a SIGKILL, ``start`` a restart."""

    def __init__(self, root: Path) -> None:
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.log = root / "server.log"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, within: float = 60.0) -> None:
        argv = [sys.executable, "-m", "attrib.chserver", "--data-dir", str(self.data)]
        argv += ["--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = await asyncio.to_thread(self._spawn, argv)
        deadline = time.monotonic() + within
        while not port_open("127.0.0.1", self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"private ClickHouse endpoint did not start:\n{self.tail()}")
            await asyncio.sleep(0.2)

    def _spawn(self, argv: list[str]) -> subprocess.Popen[bytes]:
        with open(self.log, "ab") as out:
            return subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""
