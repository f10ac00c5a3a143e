"""The collector's producer is configured from the settings (no broker needed)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from attrib.collector import producer as producer_module
from attrib.collector.producer import RecordProducer
from attrib.settings import load_settings


class _Unreachable(Exception):
    pass


class _CapturingProducer:
    """Stands in for AckedProducer: records its configuration, then fails to start."""

    configs: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, config: dict[str, Any]) -> None:
        self.configs.append(config)

    async def start(self, timeout_s: float) -> None:
        raise _Unreachable

    async def stop(self, timeout_s: float) -> int:
        return 0


@pytest.mark.parametrize(("setting", "linger"), [(None, 1.0), ("0.3", 0.3), ("5", 5.0)])
async def test_linger_comes_from_the_collector_linger_setting(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, linger: float
) -> None:
    monkeypatch.setattr(producer_module, "AckedProducer", _CapturingProducer)
    _CapturingProducer.configs.clear()
    env = {} if setting is None else {"ATTRIB_COLLECTOR_LINGER_MS": setting}
    records = RecordProducer(load_settings(env=env), timeout_s=2.0)
    with pytest.raises(_Unreachable):
        await records.connect_once()
    (config,) = _CapturingProducer.configs
    assert config["linger.ms"] == linger
    assert config["message.timeout.ms"] == 2000
    assert config["enable.idempotence"] is True
