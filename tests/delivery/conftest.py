"""Fixtures of the delivery tests: receivers and a running delivery stage."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from attrib.delivery.service import DeliveryService
from attrib.settings import Settings
from tests.delivery.receivers import Receiver


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    async def make(*args, **kwargs) -> Receiver:
        receiver = await Receiver(*args, **kwargs).start()
        made.append(receiver)
        return receiver

    yield make  # type: ignore[misc]
    for receiver in made:
        await receiver.stop()


@pytest.fixture
async def stage() -> AsyncIterator[Callable[[Settings], DeliveryService]]:
    """``await stage(settings)``: a started delivery stage, stopped after the test."""
    started: list[DeliveryService] = []

    async def start(settings: Settings) -> DeliveryService:
        service = DeliveryService(settings)
        await service.start()
        started.append(service)
        await service.wait_ready(30)
        return service

    yield start  # type: ignore[misc]
    for service in started:
        await service.stop(grace_seconds=2)
