"""The broker probe against the real local broker, and against a port where none listens."""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from attrib.ops.broker_probe import KafkaProbe
from attrib.settings import Settings

pytestmark = pytest.mark.integration


async def test_the_running_broker_answers(kafka_up: Settings) -> None:
    probe = KafkaProbe(kafka_up)
    try:
        assert await probe() is True  # bootstraps
        assert await probe() is True  # a metadata request on the open client
    finally:
        await probe.close()


async def test_no_broker_is_a_failed_probe_within_the_timeout(kafka_up: Settings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    probe = KafkaProbe(
        dataclasses.replace(kafka_up, kafka_bootstrap=f"127.0.0.1:{port}"), timeout_s=1.0
    )
    try:
        started = time.monotonic()
        assert await probe() is False
        assert time.monotonic() - started < 2.0
    finally:
        await probe.close()
