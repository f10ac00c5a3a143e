"""Run the endpoint as a child process on a free port: for tests and benchmarks.

The local stack starts the endpoint detached through ``attrib.local``; this is
the attached variant, whose owner waits for ``/ping``, stops it (SIGTERM) or
kills it (SIGKILL, the hard stop that persistence must survive) and points
clickhouse-connect at it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EndpointProcess:
    data_dir: Path
    port: int = field(default_factory=free_port)
    log_file: Path = field(init=False)
    proc: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.log_file = self.data_dir.parent / f"chserver-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start the endpoint and wait until it answers /ping."""
        log_file = self.log_file
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "attrib.chserver",
                    "--data-dir",
                    str(self.data_dir),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chserver exited with {self.proc.returncode}; see {log_file}")
            if self.ping():
                return
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"chserver did not answer /ping within {timeout} s; see {log_file}")

    def log_text(self) -> str:
        """What the process printed (its startup line, warnings)."""
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def ping(self, timeout: float = 1.0) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/ping", timeout=timeout) as response:
                return bool(response.read() == b"Ok.\n")
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, wait, and return the exit code (SIGKILL if it does not stop in time)."""
        if self.proc is None:
            return None
        self.proc.terminate()
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(10)
        self.proc = None
        return code

    def client(self, **kwargs: Any) -> Client:
        return clickhouse_connect.get_client(host="127.0.0.1", port=self.port, **kwargs)
