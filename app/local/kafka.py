"""The local Apache Kafka broker: a single KRaft node on loopback.

Its jars come from Maven Central through ``mvn dependency:copy-dependencies``
over the pinned pom shipped beside this module (kafka-pom.xml), into
``<data>/kafka/libs-<version>/``. The broker runs on Java 17 with a small heap;
its log directory, log output and pid file live under ``<data>/kafka/``, so
``down`` then ``up`` keeps every topic.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from attrib.local import processes

HEAP = "-Xmx1g"


def _pom_text() -> str:
    return resources.files("attrib.local").joinpath("kafka-pom.xml").read_text()


def kafka_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", _pom_text())
    assert match, "kafka-pom.xml names no kafka.version"
    return match.group(1)


@dataclass(frozen=True)
class KafkaBroker:
    """One broker node. ``host:port`` is the client listener; ``port + 1`` the controller."""

    root: Path  # <data>/kafka
    host: str = "127.0.0.1"
    port: int = 9092

    @property
    def libs(self) -> Path:
        return self.root / f"libs-{kafka_version()}"

    @property
    def log_dirs(self) -> Path:
        return self.root / "data"

    @property
    def pid_file(self) -> Path:
        return self.root / "kafka.pid"

    @property
    def log_file(self) -> Path:
        return self.root / "broker.log"

    @property
    def config_file(self) -> Path:
        return self.root / "server.properties"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    # -- install --------------------------------------------------------------
    def jars_present(self) -> bool:
        return self.libs.is_dir() and any(self.libs.glob("kafka_2.13-*.jar"))

    def fetch_jars(self) -> None:
        """Resolve the broker's jars with Maven (once; later calls find them in place)."""
        if self.jars_present():
            return
        if shutil.which("mvn") is None:
            raise RuntimeError("mvn not found: install Maven (and Java 17) to run the local broker")
        self.root.mkdir(parents=True, exist_ok=True)
        pom = self.root / "pom.xml"
        pom.write_text(_pom_text())
        tmp = self.root / "libs.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        result = subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={tmp}",
                "-DincludeScope=runtime",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"mvn could not fetch Kafka's jars:\n{result.stdout[-2000:]}")
        tmp.rename(self.libs)

    # -- configure ------------------------------------------------------------
    def write_config(self) -> None:
        log4j = resources.files("attrib.local").joinpath("kafka-log4j.properties").read_text()
        (self.root / "log4j.properties").write_text(log4j)
        controller = self.port + 1
        self.config_file.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@{self.host}:{controller}",
                    f"listeners=PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{controller}",
                    f"advertised.listeners=PLAINTEXT://{self.host}:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    f"log.dirs={self.log_dirs}",
                    "num.partitions=4",
                    "auto.create.topics.enable=false",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=8",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "log.retention.hours=168",
                    "log.segment.bytes=134217728",
                    "log.cleaner.backoff.ms=1000",
                    # A laptop or CI runner has few cores: the defaults (3 network
                    # and 8 request threads) only add thread hand-offs there.
                    "num.network.threads=2",
                    "num.io.threads=2",
                    "",
                ]
            )
        )

    def formatted(self) -> bool:
        return (self.log_dirs / "meta.properties").exists()

    def format_storage(self) -> None:
        if self.formatted():
            return
        self.log_dirs.mkdir(parents=True, exist_ok=True)
        cluster_id = _kafka_uuid()
        result = subprocess.run(
            [
                *self._java(),
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(self.config_file),
                "--standalone",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"formatting Kafka's storage failed:\n{result.stdout}{result.stderr}"
            )

    def _java(self) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("java not found: Java 17 runs the local broker")
        return [
            java,
            "-cp",
            f"{self.libs}/*",
            f"-Dlog4j.configuration=file:{self.root / 'log4j.properties'}",
        ]

    # -- run ------------------------------------------------------------------
    def pid(self) -> int | None:
        return processes.read_pid(self.pid_file)

    def start(self) -> None:
        if self.pid() is not None:
            return
        if processes.port_open(self.host, self.port):
            raise RuntimeError(
                f"port {self.bootstrap} is taken by a process this stack did not start"
            )
        self.fetch_jars()
        self.write_config()
        self.format_storage()
        argv = [
            *self._java()[:1],
            HEAP,
            "-Xms256m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            *self._java()[1:],
            "kafka.Kafka",
            str(self.config_file),
        ]
        processes.spawn(argv, pid_file=self.pid_file, log_file=self.log_file)

    def stop(self) -> bool:
        return processes.stop(self.pid_file, timeout=30)

    def listening(self) -> bool:
        return processes.port_open(self.host, self.port)


def _kafka_uuid() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding.

    Never starting with ``-`` (one id in 64 would): the storage tool would read
    it as an option and refuse to format; Kafka's own ``Uuid.randomUuid`` skips
    such ids for the same reason.
    """
    import base64

    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text
