"""One question to the Kafka cluster: does any broker answer a metadata request?

:class:`KafkaProbe` keeps one aiokafka client for the process's lifetime
(bootstrapped on the first probe, reconnecting by itself after an outage)
and answers ``True`` when the cluster's metadata came back within the
timeout. It authenticates like every other client of the process
(:func:`attrib.kafka.client.security_kwargs`), so wrong credentials count as
unreachable too.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.metadata import MetadataRequest

from attrib.kafka.client import security_kwargs
from attrib.settings import Settings
from attrib.topics import APP_CONFIG

PROBE_TIMEOUT_S = 3.0


class KafkaProbe:
    def __init__(self, settings: Settings, *, timeout_s: float = PROBE_TIMEOUT_S) -> None:
        self._settings = settings
        self.timeout_s = timeout_s
        self._client: AIOKafkaClient | None = None
        self._bootstrapped = False
        self._topic = settings.topic(APP_CONFIG)

    async def __call__(self) -> bool:
        try:
            async with asyncio.timeout(self.timeout_s):
                if self._client is None:
                    self._client = AIOKafkaClient(
                        client_id="attrib-broker-probe",
                        request_timeout_ms=int(self.timeout_s * 1000),
                        **security_kwargs(self._settings),
                    )
                if not self._bootstrapped:
                    await self._client.bootstrap()
                    self._bootstrapped = True
                    return True
                # Metadata of one topic, not of the whole cluster: a cluster of
                # thousands of topics made every probe cost the loop tens of ms
                # of response parsing.
                node_id = self._client.get_random_node()
                if node_id is None:
                    return False
                await self._client.send(node_id, MetadataRequest([self._topic]))
                return True
        except asyncio.CancelledError:
            raise
        except Exception:
            return False

    async def close(self) -> None:
        client, self._client = self._client, None
        self._bootstrapped = False
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()


__all__ = ["PROBE_TIMEOUT_S", "KafkaProbe"]
