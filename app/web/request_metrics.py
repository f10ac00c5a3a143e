"""The collector's request metrics: a counter and a latency histogram by route template.

Requests are counted by route *template* (``/v1/apps/{app_id}``), never by
raw path, so the label set stays bounded whatever callers send. Every
route's handler is wrapped by :func:`attrib.web.handlers.api_route`, which
counts the request with the status finally answered.

The numbers are plain Python numbers kept per (route, method, status) and
turned into Prometheus samples only when ``/metrics`` is read
(:class:`RequestMetrics`): prometheus_client's labelled children take a lock
and several calls per update, a visible share of a click's CPU time.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from aiohttp import web
from prometheus_client import REGISTRY
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import CollectorRegistry
from prometheus_client.utils import floatToGoString

REQUESTS_NAME = "attrib_collector_requests"
REQUEST_SECONDS_NAME = "attrib_collector_request_seconds"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Latency:
    """One route's latency histogram: per-bucket (not cumulative) counts, sum, creation."""

    __slots__ = ("buckets", "created", "total")

    def __init__(self, size: int) -> None:
        self.buckets = [0] * size
        self.total = 0.0
        self.created = time.time()


#: What one (route, method, status) updates: its counter cell and the route's histogram.
Series = tuple[list[float], _Latency]


class RequestMetrics:
    """The request counter and latency histogram, exposed as prometheus_client would.

    Exposes ``attrib_collector_requests_total`` (counter by route template,
    method and status) and ``attrib_collector_request_seconds`` (histogram by
    route template) with the same samples as a ``Counter`` and a ``Histogram``
    of prometheus_client, ``_created`` included, but an update is a few
    additions on plain Python numbers (the event loop is the only writer).
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = REGISTRY,
        buckets: Sequence[float] = LATENCY_BUCKETS,
    ) -> None:
        self.bounds = tuple(float(b) for b in buckets)
        #: (route, method, status) -> [count, created]
        self.requests: dict[tuple[str, str, str], list[float]] = {}
        #: route -> latency histogram
        self.latency: dict[str, _Latency] = {}
        if registry is not None:
            registry.register(self)

    def series(self, route: str, method: str, status: int) -> Series:
        """The counter cell and latency histogram a request of these labels updates."""
        cell = self.requests.setdefault((route, method, str(status)), [0, time.time()])
        latency = self.latency.get(route)
        if latency is None:
            latency = self.latency[route] = _Latency(len(self.bounds) + 1)
        return cell, latency

    def observe(self, cell: list[float], latency: _Latency, seconds: float) -> None:
        """Count one request in ``cell`` and its latency in ``latency`` (from :meth:`series`)."""
        cell[0] += 1
        latency.buckets[bisect_left(self.bounds, seconds)] += 1
        latency.total += seconds

    # ---- the prometheus_client Collector interface --------------------------------
    def describe(self) -> Iterable[Metric]:
        return [
            Metric(REQUESTS_NAME, _REQUESTS_HELP, "counter"),
            Metric(REQUEST_SECONDS_NAME, _REQUEST_SECONDS_HELP, "histogram"),
        ]

    def collect(self) -> Iterable[Metric]:
        created = _created_samples()
        requests = Metric(REQUESTS_NAME, _REQUESTS_HELP, "counter")
        for (route, method, status), (count, since) in list(self.requests.items()):
            labels = {"route": route, "method": method, "status": status}
            requests.add_sample(REQUESTS_NAME + "_total", labels, float(count))
            if created:
                requests.add_sample(REQUESTS_NAME + "_created", labels, since)
        latency = Metric(REQUEST_SECONDS_NAME, _REQUEST_SECONDS_HELP, "histogram")
        name = REQUEST_SECONDS_NAME
        for route, histogram in list(self.latency.items()):
            cumulative = 0.0
            for bound, count in zip((*self.bounds, float("inf")), histogram.buckets, strict=True):
                cumulative += count
                le = floatToGoString(bound)
                latency.add_sample(name + "_bucket", {"route": route, "le": le}, cumulative)
            latency.add_sample(name + "_count", {"route": route}, cumulative)
            latency.add_sample(name + "_sum", {"route": route}, histogram.total)
            if created:
                latency.add_sample(name + "_created", {"route": route}, histogram.created)
        return [requests, latency]


_REQUESTS_HELP = "HTTP requests answered by the collector, by route template, method and status"
_REQUEST_SECONDS_HELP = "HTTP request latency at the collector, by route template"


def _created_samples() -> bool:
    """Whether prometheus_client exports ``_created`` samples (it can be turned off)."""
    from prometheus_client import metrics

    return bool(getattr(metrics, "_use_created", True))


REQUEST_METRICS = RequestMetrics()


def route_label(request: web.Request) -> str:
    """The route template that matched ``request`` (``unmatched`` for none)."""
    route = request.match_info.route
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else "unmatched"


__all__ = [
    "LATENCY_BUCKETS",
    "REQUEST_METRICS",
    "RequestMetrics",
    "Series",
    "route_label",
]
