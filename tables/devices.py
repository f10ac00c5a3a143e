"""Table ``devices``: the device registry (key ``app_id|device_key``).

Value: a ``DeviceState`` record (:data:`attrib.tables.values.DEVICES`):
install times, last activity, the latest attribution, the latest
re-engagement and the clicks it used, the install, session and event ids
already processed (R26), and when it last changed (device expiry).
Co-partitioned with ``device-inputs`` and ``install-candidates``, which carry
the same key; written by ``device-inputs`` and ``decide-installs`` only.
"""

from __future__ import annotations

import asyncio

from attrib.faust_app import LARGE_RECORDS, app, settings
from attrib.tables.state import RocksBackend, TableState
from attrib.tables.values import DEVICES, RECENT_BYTES

devices_table = app.Table(
    "devices",
    key_type=bytes,
    value_type=bytes,
    partitions=settings.topic_partitions,
    extra_topic_configs=LARGE_RECORDS,
    help="Device registry: install history and current attribution.",
)

devices: TableState = DEVICES.bind(
    "devices", RocksBackend(devices_table), recent_bytes=RECENT_BYTES
)

#: Held by every agent that reads and writes the device partition's tables
#: (``device-inputs``, ``decide-installs``) from processing a batch to its
#: commit: both run on one event loop and would otherwise interleave at the
#: commit's awaits and write back each other's stale values.
registry_lock = asyncio.Lock()
