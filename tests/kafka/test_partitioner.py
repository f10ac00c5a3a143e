"""Our partitioning chooses exactly the partitions aiokafka's (and Kafka's) would."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as reference_murmur2
from hypothesis import given, settings
from hypothesis import strategies as st

from attrib.kafka.partitioner import (
    murmur2,
    native_partition_of,
    partition_for,
    partition_of,
    python_partition_of,
)


@settings(max_examples=2000)
@given(st.binary(max_size=300))
def test_murmur2_equals_aiokafka_s(data: bytes) -> None:
    assert murmur2(data) == reference_murmur2(data)


@settings(max_examples=500)
@given(st.binary(min_size=1, max_size=120), st.integers(min_value=1, max_value=64))
def test_partitions_equal_the_default_partitioner_s(key: bytes, count: int) -> None:
    partitions = list(range(count))
    ours = partition_for(key, partitions)
    assert ours == DefaultPartitioner()(key, partitions, partitions)


def test_the_java_client_s_test_vectors() -> None:
    # Kafka's UtilsTest.testMurmur2 (signed Java ints, compared unsigned).
    vectors = {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        b"abc": 479470107,
    }
    for data, java in vectors.items():
        assert murmur2(data) == java & 0xFFFFFFFF


def test_the_native_partitioner_is_loaded_here() -> None:
    # confluent-kafka's wheel bundles librdkafka: the workers hash in C.
    assert native_partition_of() is not None
    assert partition_of is not python_partition_of


@settings(max_examples=500)
@given(st.binary(max_size=300), st.integers(min_value=1, max_value=64))
def test_native_and_python_partitions_agree(key: bytes, count: int) -> None:
    native = native_partition_of()
    assert native is not None
    assert native(key, count) == python_partition_of(key, count)
    assert python_partition_of(key, count) == DefaultPartitioner()(
        key, list(range(count)), list(range(count))
    )
