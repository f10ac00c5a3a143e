"""The stack's processes in a chaos run: ``attrib`` subprocesses killed and restarted at will."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from attrib.settings import Settings
from tests.analytics.analytics_helpers import sink_env
from tests.engine.harness import free_port

ATTRIB = [sys.executable, "-m", "attrib.cli"]


def stack_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes an ``attrib`` subprocess use ``settings`` (and the
    admin token, which the collector needs), plus ``extra``."""
    env = sink_env(settings)
    env["ATTRIB_ADMIN_TOKEN"] = settings.admin_token.reveal()
    env.update(extra)
    return env


class Role:
    """One ``attrib`` process (collector, worker or sink), killed and restarted at will."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.args, self.env, self.log = name, args, env, log
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = [*ATTRIB, *self.args]
        if self.name not in ("sink", "deliver"):
            args += ["--port", str(self.port)]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                args, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    async def wait_ready(self, within: float = 120) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.tail()}")
            if await asyncio.to_thread(self.ready):
                return
            await asyncio.sleep(0.3)
        raise AssertionError(f"{self.name} not ready in {within}s:\n{self.tail()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""
