"""Table ``touches-by-key``: the touch index (docs/architecture.md, State).

Key: an index key of :mod:`attrib.engine.index` (UTF-8). Value: a
``TouchList`` record (internal Avro), newest first, pruned to the key's
horizon. Written by ``agents.store_touches`` and read by
``agents.answer_lookups``, both consuming topics sent to the partition
Kafka's partitioner gives the key.
"""

from __future__ import annotations

from attrib.faust_app import LARGE_RECORDS, app, settings

touches_by_key = app.Table(
    "touches-by-key",
    key_type=bytes,
    value_type=bytes,
    partitions=settings.topic_partitions,
    extra_topic_configs=LARGE_RECORDS,
    help="Touches filed under each index key (referrer, id, fingerprint).",
)
