"""Operations routes and the request metrics middleware (http-api.md, Operations).

``/healthz`` says the process is alive; ``/readyz`` is 200 only when the
app configuration cache finished its initial load and the broker answers
(a collector that answered before would 404 registered apps), and every
check a route module registered under ``READINESS_CHECKS`` holds (the
collector's producer is connected); ``/metrics``
is the Prometheus text of this process's default registry.

Requests are counted by route *template* (``/v1/apps/{app_id}``), never by
raw path, so the label set stays bounded whatever callers send.
"""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from attrib.web.keys import CONFIG_CACHE, READINESS_CHECKS

REQUESTS = Counter(
    "attrib_collector_requests_total",
    "HTTP requests answered by the collector, by route template, method and status",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "attrib_collector_request_seconds",
    "HTTP request latency at the collector, by route template",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BROKER_CHECK_TIMEOUT_S = 2.0


def route_label(request: web.Request) -> str:
    """The route template that matched ``request`` (``unmatched`` for none)."""
    route = request.match_info.route
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        route = route_label(request)
        REQUESTS.labels(route, request.method, str(status)).inc()
        REQUEST_SECONDS.labels(route).observe(time.perf_counter() - started)


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


__all__ = ["REQUESTS", "REQUEST_SECONDS", "add_routes", "metrics_middleware", "route_label"]
