"""Which partition a key lives on: Kafka's default partitioner, murmur2.

The collector's producer places input records with Kafka's default
partitioning; Faust's router finds a table key's owner with the same
function. Internal topics are sent to explicit partitions computed here, so
every hop agrees with both: a key has one partition number on every topic
and table of the same partition count (co-partitioning).
"""

from __future__ import annotations

from attrib.kafka.partitioner import partition_of


def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` among ``partitions``."""
    return partition_of(key, partitions)
