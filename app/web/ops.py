"""Operations routes (http-api.md, Operations).

``/healthz`` says the process is alive; ``/readyz`` is 200 only when the
app configuration cache finished its initial load (a collector that answered
before would 404 registered apps), the broker has not been unreachable for
``ATTRIB_BROKER_UNREACHABLE_GRACE`` (a :class:`~attrib.ops.broker_monitor.BrokerMonitor`
probes it in the background; 200 again as soon as it answers), and every
check a route module registered under ``READINESS_CHECKS`` holds (the
collector's producer is connected); ``/metrics`` is the Prometheus text of
this process's default registry (requests are counted by
:mod:`attrib.web.request_metrics`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from attrib.ops.broker_monitor import BrokerMonitor
from attrib.web.handlers import api_route
from attrib.web.keys import CONFIG_CACHE, READINESS_CHECKS, SETTINGS

BROKER_CHECK_TIMEOUT_S = 2.0
BROKER_MONITOR = web.AppKey("broker_monitor", BrokerMonitor)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    cache = request.app[CONFIG_CACHE]
    if not cache.loaded:
        return web.json_response(
            {"error": "not_ready", "detail": "the app configuration cache is still loading"},
            status=503,
        )
    monitor = request.app[BROKER_MONITOR]
    ok, detail = monitor.check()
    if not ok:  # probe now rather than wait for the timer: ready again at once
        await monitor.probe_once()
        ok, detail = monitor.check()
    if not ok:
        return web.json_response({"error": "not_ready", "detail": detail}, status=503)
    for check in request.app.get(READINESS_CHECKS, ()):
        ok, detail = check()
        if not ok:
            return web.json_response({"error": "not_ready", "detail": detail}, status=503)
    return web.json_response({"status": "ready", "apps": len(cache)})


async def metrics(request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest())
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


async def _monitor_lifetime(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[BROKER_MONITOR].run(), name="broker monitor")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def add_routes(app: web.Application) -> None:
    cache = app[CONFIG_CACHE]
    app[BROKER_MONITOR] = BrokerMonitor(
        lambda: cache.broker_reachable(BROKER_CHECK_TIMEOUT_S),
        app[SETTINGS].broker_unreachable_grace_s,
    )
    app.cleanup_ctx.append(_monitor_lifetime)
    app.router.add_get("/healthz", api_route(healthz), allow_head=False)
    app.router.add_get("/readyz", api_route(readyz), allow_head=False)
    app.router.add_get("/metrics", api_route(metrics), allow_head=False)


__all__ = ["BROKER_MONITOR", "add_routes", "healthz", "metrics", "readyz"]
