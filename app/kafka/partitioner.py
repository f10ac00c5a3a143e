"""Kafka's default partitioning of keyed records, computed in C where possible.

Records must land on the partition Kafka's Java client (and aiokafka, which
Faust uses in the workers, and librdkafka's ``murmur2_random``, which the
collector's producer uses) would choose for their key: ``murmur2(key) &
0x7fffffff % partitions``. That is the co-partitioning contract of
:mod:`attrib.keys`; the workers use :func:`partition_for` to address the
partition that owns a key, so this module changes only the speed, never the
result (tests/kafka/test_partitioner.py compares it with aiokafka's on random
keys). aiokafka's pure-Python murmur2 assembles each 4-byte word from single
bytes; here :mod:`struct` unpacks all words in one C call, which matters at
one hash per request. A small cache serves the keys of returning devices
(sessions and events of the same device share a key).

The workers hash several keys per input record (every index key of a touch,
every device key), about 4.7 µs each in Python. librdkafka, which the
collector's producer already loads (``confluent-kafka`` bundles it), exports
the same function as its public ``rd_kafka_msg_partitioner_murmur2``; called
through :mod:`ctypes` it takes about 0.5 µs. :func:`partition_of` uses it when
the library is found and falls back to Python otherwise
(tests/kafka/test_partitioner.py checks both against aiokafka's).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Final

_SEED: Final = 0x9747B28C
_M: Final = 0x5BD1E995
_MASK: Final = 0xFFFFFFFF
_WORDS: dict[int, struct.Struct] = {}
CACHED_KEYS: Final = 16_384


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of ``data`` (org.apache.kafka.common.utils.Utils.murmur2), unsigned."""
    length = len(data)
    h = _SEED ^ length
    count = length >> 2
    words = _WORDS.get(count)
    if words is None:
        words = _WORDS.setdefault(count, struct.Struct(f"<{count}I"))
    for k in words.unpack_from(data):
        k = (k * _M) & _MASK
        k = ((k ^ (k >> 24)) * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    extra = length & 3
    if extra:
        base = length - extra
        if extra == 3:
            h ^= data[base + 2] << 16
        if extra >= 2:
            h ^= data[base + 1] << 8
        h = ((h ^ data[base]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def python_partition_of(key: bytes, count: int) -> int:
    """The partition number of ``key`` among ``count`` partitions, in Python."""
    return (murmur2(key) & 0x7FFFFFFF) % count


def _librdkafka() -> ctypes.CDLL | None:
    """librdkafka as bundled by confluent-kafka's wheel, else the system's (looking
    that one up runs ``ldconfig``: only when no bundled copy loads)."""
    try:
        import confluent_kafka

        bundled = Path(confluent_kafka.__file__).parent.parent / "confluent_kafka.libs"
        for candidate in sorted(bundled.glob("librdkafka*")):
            try:
                return ctypes.CDLL(str(candidate))
            except OSError:
                continue
    except ImportError:  # pragma: no cover - a dependency of the project
        pass
    system = ctypes.util.find_library("rdkafka")
    try:
        return ctypes.CDLL(system) if system else None
    except OSError:
        return None


def native_partition_of() -> Callable[[bytes, int], int] | None:
    """librdkafka's murmur2 partitioner as ``(key, count) -> partition``, if loadable."""
    library = _librdkafka()
    function = getattr(library, "rd_kafka_msg_partitioner_murmur2", None)
    if function is None:
        return None
    function.argtypes = [
        ctypes.c_void_p,  # topic (unused by this partitioner)
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_int32,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    function.restype = ctypes.c_int32

    def partition_of(key: bytes, count: int) -> int:
        return int(function(None, key, len(key), count, None, None))

    return partition_of


#: ``(key, partition count) -> partition number``: Kafka's default partitioner.
partition_of: Callable[[bytes, int], int] = native_partition_of() or python_partition_of


@lru_cache(maxsize=CACHED_KEYS)
def _cached_partition_of(key: bytes, count: int) -> int:
    return partition_of(key, count)


def partition_for(key: bytes, partitions: Sequence[int]) -> int:
    """The partition of ``key`` among ``partitions`` (sorted): Kafka's default choice."""
    return partitions[_cached_partition_of(key, len(partitions))]


__all__ = [
    "CACHED_KEYS",
    "murmur2",
    "native_partition_of",
    "partition_for",
    "partition_of",
    "python_partition_of",
]
