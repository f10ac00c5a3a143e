"""Table ``conversion-data``: the answer of ``GET /v1/sdk/{app}/conversion-data``.

Key: ``app_id|identifier value`` (lowercase), one entry per id of a device,
so the SDK may ask with any of them. Value: when it was written and the
answer as JSON (:data:`attrib.tables.values.CONVERSIONS`). Faust's router
finds the worker that owns a key with Kafka's partitioner, the same
function that placed it.
"""

from __future__ import annotations

from attrib.faust_app import LARGE_RECORDS, app, settings
from attrib.tables.state import RocksBackend, TableState
from attrib.tables.values import CONVERSIONS

conversion_table = app.Table(
    "conversion-data",
    key_type=bytes,
    value_type=bytes,
    partitions=settings.topic_partitions,
    extra_topic_configs=LARGE_RECORDS,
    help="Conversion data answers by app and device identifier.",
)

conversion_data: TableState = CONVERSIONS.bind("conversion-data", RocksBackend(conversion_table))
