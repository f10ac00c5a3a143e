"""R35: pending retries survive a SIGKILL; nothing is attempted twice, nothing is lost.

``attrib deliver`` runs as a real process (as Kubernetes runs it) and is
killed with SIGKILL, then started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from attrib.settings import Settings
from attrib.topics import ATTRIBUTIONS
from tests.delivery.broker import (
    delivery_settings,
    pending_retries,
    produce,
    register,
    wait_deliveries,
)
from tests.delivery.receivers import wait_for
from tests.delivery.records import organic

pytestmark = pytest.mark.integration

APP = "com.example.deliver"


class DeliverProcess:
    def __init__(self, settings: Settings, log: Path) -> None:
        self.env = dict(os.environ)
        self.env.update(
            ATTRIB_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
            ATTRIB_TOPIC_PREFIX=settings.topic_prefix,
            ATTRIB_FAUST_APP_ID=settings.faust_app_id,
            ATTRIB_DATA_DIR=settings.data_dir,
            ATTRIB_TOPIC_PARTITIONS=str(settings.topic_partitions),
            ATTRIB_DELIVERY_RETRY_SCHEDULE=settings.delivery_retry_schedule,
            ATTRIB_DELIVERY_TIMEOUT=settings.delivery_timeout,
            ATTRIB_LOG_LEVEL="info",
        )
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "attrib.cli", "deliver"], env=self.env, stdout=out, stderr=out
        )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def test_sigkill_with_retries_pending_then_restart(
    isolated_settings, receivers, tmp_path
) -> None:
    settings = delivery_settings(isolated_settings, delivery_retry_schedule="4s,4s")
    installs = [organic(attribution_id=f"a{i}", device_key=f"dev{i}") for i in range(12)]
    net = await receivers({"/i": [503] * len(installs)})  # every first attempt: 503
    await register(
        settings,
        APP,
        {
            "postbacks": [
                {"media_source": "n", "install_url": net.url("/i"), "send_all_installs": True}
            ]
        },
    )
    worker = DeliverProcess(settings, tmp_path / "deliver.log")
    worker.start()
    try:
        await produce(settings, ATTRIBUTIONS, installs)
        await wait_for(lambda: len(net.seen) >= len(installs), within=60, what="first attempts")
        first = await wait_deliveries(settings, len(installs))
        assert {r["status"] for r in first} == {"retry"}
        # the retry topic holds every delivery's second attempt before the kill
        await wait_for_pending(settings, len(installs))
        worker.kill()
        assert len(net.seen) == len(installs)  # no retry was due yet
        worker = DeliverProcess(settings, tmp_path / "deliver-2.log")
        worker.start()
        # The killed member keeps its partitions until its session expires: 10 s
        # (service.SESSION_TIMEOUT_MS), not librdkafka's 45 s default, which held
        # deliveries up 90-135 s when the chaos suite killed `attrib deliver`.
        await wait_for(lambda: len(net.seen) >= 2 * len(installs), within=30, what="retries")
        found = await wait_deliveries(settings, 2 * len(installs))
    finally:
        worker.stop()
    per_id = Counter(s.delivery_id for s in net.seen)
    assert len(per_id) == len(installs)
    assert set(per_id.values()) == {2}  # each attempt made once: one 503, one 200
    final = [r for r in found if r["attempt"] == 2]
    assert len(final) == len(installs)
    assert {r["status"] for r in final} == {"delivered"}
    assert await pending_retries(settings) == {}


async def wait_for_pending(settings: Settings, count: int, within: float = 20.0) -> None:
    import asyncio
    import time

    deadline = time.monotonic() + within
    pending: dict[str, bytes] = {}
    while time.monotonic() < deadline:
        pending = await pending_retries(settings)
        if len(pending) >= count and all(b'"attempt":2' in v for v in pending.values()):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{len(pending)} pending retries of {count}")


async def test_sigkill_mid_attempt_repeats_only_that_attempt(
    isolated_settings, receivers, tmp_path
) -> None:
    """Killed while requests are in flight: the next run repeats them, same delivery ids."""
    settings = delivery_settings(isolated_settings, delivery_timeout="10s")
    installs = [organic(attribution_id=f"m{i}", device_key=f"dev{i}") for i in range(5)]
    slow = await receivers(delay=3.0)
    await register(
        settings,
        APP,
        {
            "postbacks": [
                {"media_source": "n", "install_url": slow.url("/i"), "send_all_installs": True}
            ]
        },
    )
    worker = DeliverProcess(settings, tmp_path / "deliver.log")
    worker.start()
    try:
        await produce(settings, ATTRIBUTIONS, installs)
        await wait_for(lambda: len(slow.seen) >= len(installs), within=60, what="requests")
        worker.kill()  # every request is in flight: none answered yet
        slow.delay = 0.0
        worker = DeliverProcess(settings, tmp_path / "deliver-2.log")
        worker.start()
        found = await wait_deliveries(settings, len(installs), within=60)
    finally:
        worker.stop()
    per_id = Counter(s.delivery_id for s in slow.seen)
    assert len(per_id) == len(installs)
    assert set(per_id.values()) == {2}  # the interrupted attempt, repeated once
    assert {r["status"] for r in found} == {"delivered"}
    assert {r["attempt"] for r in found} == {1}
    assert len({r["delivery_id"] for r in found}) == len(installs)


async def test_push_secrets_stay_out_of_logs_and_records(
    isolated_settings, receivers, tmp_path
) -> None:
    """A failing push at debug log level: neither the secret nor the signature is written."""
    settings = delivery_settings(isolated_settings, delivery_retry_schedule="200ms")
    secret = "do-not-leak-" + "x" * 16
    failing = await receivers({"/p": [500, 500]})
    down = await receivers()
    down_url = down.url("/q?token=partner-token")
    await down.stop()
    await register(
        settings,
        APP,
        {
            "push_endpoints": [
                {"url": failing.url("/p"), "secret": secret},
                {"url": down_url, "secret": secret},
            ]
        },
    )
    worker = DeliverProcess(settings, tmp_path / "deliver.log")
    worker.env["ATTRIB_LOG_LEVEL"] = "debug"
    worker.start()
    try:
        await produce(settings, ATTRIBUTIONS, [organic()])
        found = await wait_deliveries(settings, 4, within=60)
    finally:
        worker.stop()
    assert sorted(r["status"] for r in found) == ["dead", "dead", "retry", "retry"]
    signature = failing.seen[0].headers["X-Attrib-Signature"].removeprefix("sha256=")
    log = (tmp_path / "deliver.log").read_text()
    records = repr(found)
    for text in (log, records):
        assert secret not in text
        assert signature not in text
    assert "partner-token" not in records
