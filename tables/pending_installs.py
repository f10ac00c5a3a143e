"""Table ``pending-installs``: installs and sessions waiting for ``decision_delay`` and lookups.

Key: ``app_id|device_key``. Value: the list of ``PendingInstall`` entries
(:data:`attrib.tables.values.PENDING`, kind ``install`` or ``session``).
Changelogged, so entries pending when a worker stops are recovered by the
next owner of the partition, which sends their lookups again (R4: nothing is
lost in a restart). While a device has an entry here, its in-app events wait.
"""

from __future__ import annotations

from attrib.faust_app import LARGE_RECORDS, app, settings
from attrib.tables.state import RocksBackend, TableState
from attrib.tables.values import PENDING, RECENT_BYTES

pending_table = app.Table(
    "pending-installs",
    key_type=bytes,
    value_type=bytes,
    partitions=settings.topic_partitions,
    extra_topic_configs=LARGE_RECORDS,
    help="Installs waiting to be decided.",
)

pending_installs: TableState = PENDING.bind(
    "pending-installs", RocksBackend(pending_table), recent_bytes=RECENT_BYTES
)
