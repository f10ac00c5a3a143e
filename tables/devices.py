"""Table ``devices``: the device registry (key ``app_id|device_key``).

Value: a ``DeviceState`` record: install times, last activity, the latest
attribution, the latest re-engagement and the clicks it used, the install,
session and event ids already processed (R26).
Co-partitioned with ``installs``, ``sessions``, ``events`` and the internal
``install-candidates`` topic, which all carry the same key.
"""

from __future__ import annotations

import asyncio

from attrib.faust_app import LARGE_RECORDS, app, settings

devices = app.Table(
    "devices",
    key_type=bytes,
    value_type=bytes,
    partitions=settings.topic_partitions,
    extra_topic_configs=LARGE_RECORDS,
    help="Device registry: install history and current attribution.",
)

#: Held by every agent that writes a device's entry or its waiting events
#: (``decide-installs``, ``attribute-events``) from the read to the write-back,
#: sends included. The agents share one event loop and would otherwise
#: interleave at their awaits and lose each other's updates; the write comes
#: after the sends so that a crash in between repeats outputs (same ids,
#: counted once downstream) rather than losing them.
registry_lock = asyncio.Lock()
