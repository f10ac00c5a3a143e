"""Consumer lag: the pure arithmetic, the source registry, the exported gauge."""

from __future__ import annotations

from collections import namedtuple

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest

from attrib.ops import lag
from attrib.ops.faust_lag import faust_lag_source, lags_from_offsets


def test_partition_lag() -> None:
    assert lag.partition_lag(100, 90) == 10
    assert lag.partition_lag(100, 100) == 0
    assert lag.partition_lag(None, 5) is None
    assert lag.partition_lag(5, None) is None
    assert lag.partition_lag(5, 7) == 0  # a commit seen before the fetch that shows it


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_lag_is_never_negative_and_exact_when_behind(high: int, committed: int) -> None:
    value = lag.partition_lag(high, committed)
    assert value == max(0, high - committed)


def test_lags_from_offsets_skips_partitions_without_a_commit_or_highwater() -> None:
    highwaters = {("a", 0): 10, ("a", 1): None, ("b", 0): 7}

    def highwater(tp: tuple[str, int]) -> int | None:
        if tp == ("c", 0):
            raise AssertionError("Partition is not assigned")  # revoked meanwhile
        return highwaters[tp]

    assigned = [("a", 0), ("a", 1), ("b", 0), ("c", 0)]
    committed = {("a", 0): 4, ("a", 1): 3, ("c", 0): 1}
    assert lags_from_offsets(assigned, highwater, committed) == {("a", 0): 6}


def test_gauge_exports_every_source_and_survives_a_failing_one() -> None:
    sources = {
        "faust": lambda: {("attrib.installs", 1): 5, ("attrib.installs", 0): 2},
        "bulk-intake": lambda: {("attrib.clicks", 3): 0},
        "broken": lambda: 1 / 0,
    }
    registry = CollectorRegistry()
    registry.register(lag.LagCollector(sources))  # type: ignore[arg-type]
    get = registry.get_sample_value
    labels = {"source": "faust", "topic": "attrib.installs", "partition": "1"}
    assert get("attrib_consumer_lag", labels) == 5.0
    assert get("attrib_consumer_lag", {**labels, "partition": "0"}) == 2.0
    assert (
        get(
            "attrib_consumer_lag",
            {"source": "bulk-intake", "topic": "attrib.clicks", "partition": "3"},
        )
        == 0.0
    )
    assert b"broken" not in generate_latest(registry)


def test_register_lag_source_adds_a_consumer_to_the_installed_gauge() -> None:
    registry = CollectorRegistry()
    lag.install(registry)
    lag.install(registry)  # once per registry
    lag.register_lag_source("test-consumer", lambda: {("t.topic", 2): 42})
    try:
        labels = {"source": "test-consumer", "topic": "t.topic", "partition": "2"}
        assert registry.get_sample_value("attrib_consumer_lag", labels) == 42.0
        lag.register_lag_source("test-consumer", lambda: {("t.topic", 2): 7})  # replaces
        assert registry.get_sample_value("attrib_consumer_lag", labels) == 7.0
    finally:
        lag.unregister_lag_source("test-consumer")
    assert registry.get_sample_value("attrib_consumer_lag", labels) is None


TP = namedtuple("TP", "topic partition")


class _Consumer:
    def __init__(self, highwaters: dict[TP, int]) -> None:
        self.highwaters = highwaters

    def assignment(self) -> set[TP]:
        return set(self.highwaters)

    def highwater(self, tp: TP) -> int:
        return self.highwaters[tp]


class _Monitor:
    def __init__(self, committed: dict[TP, int]) -> None:
        self.tp_committed_offsets = committed


class _App:
    def __init__(self, consumer: _Consumer, monitor: _Monitor) -> None:
        self.consumer, self.monitor = consumer, monitor


def test_faust_source_reads_assignment_highwaters_and_commits() -> None:
    """The attribute names Faust's consumer and monitor have (faust-streaming 0.11)."""
    import faust.sensors.monitor
    import faust.transport.consumer

    assert hasattr(faust.transport.consumer.Consumer, "highwater")
    assert hasattr(faust.transport.consumer.Consumer, "assignment")
    assert "tp_committed_offsets" in faust.sensors.monitor.Monitor.__annotations__
    app = _App(
        _Consumer({TP("in", 0): 50, TP("in", 1): 8, TP("attrib-touches-changelog", 0): 900}),
        _Monitor({TP("in", 0): 45, TP("in", 1): 8}),
    )
    assert faust_lag_source(app)() == {("in", 0): 5, ("in", 1): 0}
