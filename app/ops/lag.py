"""Consumer lag per partition, from every consumer of the process, as one Prometheus gauge.

A *lag source* is a function returning ``{(topic, partition): lag}`` for the
partitions its consumer owns right now; it is called at every scrape, on the
thread that serves ``/metrics``, so it must only read what its consumer
already knows (no broker request). The worker registers its Faust consumer
(:mod:`attrib.ops.faust_lag`); another consumer, e.g. an aiokafka bulk
intake, adds itself with one line::

    register_lag_source("bulk-intake", lambda: {(tp.topic, tp.partition): lag, ...})

The gauge is ``attrib_consumer_lag{source, topic, partition}``: records on
the partition after the consumer's last committed offset. A source that
raises is logged and skipped; the others are still exported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client import REGISTRY
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry

log = logging.getLogger(__name__)

LagSource = Callable[[], Mapping[tuple[str, int], int]]

METRIC = "attrib_consumer_lag"
DOCUMENTATION = "Records on a partition after the consumer's last committed offset, by source"

_sources: dict[str, LagSource] = {}


def partition_lag(highwater: int | None, committed: int | None) -> int | None:
    """Records after ``committed`` (the next offset to read) up to ``highwater``
    (the next offset to be written); None while either is unknown."""
    if highwater is None or committed is None:
        return None
    return max(0, highwater - committed)


def lag_samples(sources: Mapping[str, LagSource]) -> list[tuple[str, str, int, int]]:
    """``(source, topic, partition, lag)`` of every source, sorted; a failing source is skipped."""
    samples: list[tuple[str, str, int, int]] = []
    for name, source in sorted(sources.items()):
        try:
            lags = source()
            rows = [(name, topic, int(part), int(lag)) for (topic, part), lag in lags.items()]
        except Exception as exc:
            log.warning("lag source %s failed: %s", name, exc)
            continue
        samples.extend(rows)
    samples.sort()
    return samples


def register_lag_source(name: str, source: LagSource) -> None:
    """Export ``source``'s lags under ``source=name`` (a second call replaces the first)."""
    _sources[name] = source


def unregister_lag_source(name: str) -> None:
    _sources.pop(name, None)


class LagCollector:
    """A prometheus_client collector exporting :func:`lag_samples` of ``sources``."""

    def __init__(self, sources: Mapping[str, LagSource] = _sources) -> None:
        self.sources = sources

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(METRIC, DOCUMENTATION, labels=["source", "topic", "partition"])]

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(METRIC, DOCUMENTATION, labels=["source", "topic", "partition"])
        for source, topic, partition, lag in lag_samples(self.sources):
            family.add_metric([source, topic, str(partition)], float(lag))
        yield family


_installed: set[int] = set()


def install(registry: CollectorRegistry = REGISTRY) -> None:
    """Export the registered sources in ``registry`` (once per registry)."""
    if id(registry) in _installed:
        return
    registry.register(LagCollector())
    _installed.add(id(registry))


__all__ = [
    "METRIC",
    "LagCollector",
    "LagSource",
    "install",
    "lag_samples",
    "partition_lag",
    "register_lag_source",
    "unregister_lag_source",
]
