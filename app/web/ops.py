"""Operations routes and the request metrics middleware (http-api.md, Operations).

``/healthz`` says the process is alive; ``/readyz`` is 200 only when the
app configuration cache finished its initial load and the broker answers
(a collector that answered before would 404 registered apps), and every
check a route module registered under ``READINESS_CHECKS`` holds (the
collector's producer is connected); ``/metrics``
is the Prometheus text of this process's default registry.

Requests are counted by route *template* (``/v1/apps/{app_id}``), never by
raw path, so the label set stays bounded whatever callers send.

:func:`api_middleware` is the application's one middleware: it answers every
error as JSON (:func:`attrib.web.errors.answer_exception`) and counts the
request with the status finally answered: one coroutine layer instead of two.
The request metrics are plain numbers kept per (route, method, status) and
turned into Prometheus samples only when ``/metrics`` is read
(:class:`RequestMetrics`): prometheus_client's labelled children take a lock
and several calls per update, a visible share of a click's CPU time.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_urldispatcher import AbstractResource
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import CollectorRegistry
from prometheus_client.utils import floatToGoString

from attrib.web.errors import answer_exception
from attrib.web.keys import CONFIG_CACHE, READINESS_CHECKS

REQUESTS_NAME = "attrib_collector_requests"
REQUEST_SECONDS_NAME = "attrib_collector_request_seconds"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BROKER_CHECK_TIMEOUT_S = 2.0
#: Most (route, method, status) entries found without building their labels again.
MAX_CACHED_SERIES = 1024

_perf_counter = time.perf_counter


class _Latency:
    """One route's latency histogram: per-bucket (not cumulative) counts, sum, creation."""

    __slots__ = ("buckets", "created", "total")

    def __init__(self, size: int) -> None:
        self.buckets = [0] * size
        self.total = 0.0
        self.created = time.time()


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

    def series(self, route: str, method: str, status: int) -> tuple[list[float], _Latency]:
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
#: (resource or None when unmatched, method, status) -> what a request of them updates
_series: dict[tuple[AbstractResource | None, str, int], tuple[list[float], _Latency]] = {}


def _resource(request: web.Request) -> AbstractResource | None:
    route = request.match_info.route
    return route.resource if route is not None else None


def route_label(request: web.Request) -> str:
    """The route template that matched ``request`` (``unmatched`` for none)."""
    resource = _resource(request)
    return resource.canonical if resource is not None else "unmatched"


def _count(request: web.Request, status: int, started: float) -> None:
    """Count one answered request under its route template, method and status."""
    key = (_resource(request), request.method, status)
    series = _series.get(key)
    if series is None:
        series = REQUEST_METRICS.series(route_label(request), request.method, status)
        if len(_series) < MAX_CACHED_SERIES:
            _series[key] = series
    REQUEST_METRICS.observe(series[0], series[1], _perf_counter() - started)


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """JSON errors (:func:`~attrib.web.errors.answer_exception`) and request metrics."""
    started = _perf_counter()
    try:
        response = await handler(request)
    except Exception as exc:
        try:
            response = answer_exception(request, exc)
        except web.HTTPException as redirect:  # a redirect raised by the handler
            _count(request, redirect.status, started)
            raise
    except BaseException:  # cancelled: the client went away
        _count(request, 500, started)
        raise
    _count(request, response.status, started)
    return response


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    cache = request.app[CONFIG_CACHE]
    if not cache.loaded:
        return web.json_response(
            {"error": "not_ready", "detail": "the app configuration cache is still loading"},
            status=503,
        )
    if not await cache.broker_reachable(BROKER_CHECK_TIMEOUT_S):
        return web.json_response(
            {"error": "not_ready", "detail": "the Kafka broker is not reachable"}, status=503
        )
    for check in request.app.get(READINESS_CHECKS, ()):
        ok, detail = check()
        if not ok:
            return web.json_response({"error": "not_ready", "detail": detail}, status=503)
    return web.json_response({"status": "ready", "apps": len(cache)})


async def metrics(request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest())
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz, allow_head=False)
    app.router.add_get("/readyz", readyz, allow_head=False)
    app.router.add_get("/metrics", metrics, allow_head=False)


__all__ = [
    "LATENCY_BUCKETS",
    "REQUEST_METRICS",
    "RequestMetrics",
    "add_routes",
    "api_middleware",
    "route_label",
]
