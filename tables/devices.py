"""Table ``devices``: the device registry (key ``app_id|device_key``).

Value: a ``DeviceState`` record: install times, last activity, the latest
attribution, the install event ids already decided (R26).
Co-partitioned with ``installs``, ``sessions``, ``events`` and the internal
``install-candidates`` topic, which all carry the same key.
"""

from __future__ import annotations

from attrib.faust_app import app, settings

devices = app.Table(
    "devices",
    key_type=bytes,
    value_type=bytes,
    partitions=settings.topic_partitions,
    help="Device registry: install history and current attribution.",
)
