"""The worker's web pages: ``/healthz``, ``/readyz`` and ``/metrics``.

``/readyz`` is 200 only when table recovery is complete (not merely when the
web port is open) and every other registered check passes
(:mod:`attrib.readiness`).
"""

from __future__ import annotations

from faust.web import Request, Response, View
from prometheus_client import generate_latest

from attrib import readiness
from attrib.faust_app import app, settings
from attrib.ops import worker as _ops  # noqa: F401  (broker readiness check, consumer lag)


def _recovery_check() -> tuple[bool, str]:
    recovery = app.tables.recovery
    if app.rebalancing:
        return False, "rebalancing"
    if recovery.in_recovery:
        return False, "recovering tables from changelogs"
    if not recovery.completed.is_set():
        return False, "waiting for partition assignment"
    return True, "tables recovered"


readiness.register("tables", _recovery_check)


@app.page("/healthz")
class Healthz(View):
    async def get(self, request: Request) -> Response:
        return self.json({"status": "ok"})


@app.page("/readyz")
class Readyz(View):
    async def get(self, request: Request) -> Response:
        ready, checks = readiness.evaluate()
        return self.json(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status=200 if ready else 503,
        )


@app.page("/metrics")
class Metrics(View):
    async def get(self, request: Request) -> Response:
        # aiohttp refuses a charset inside content_type; Prometheus reads UTF-8 by default.
        return self.bytes(generate_latest(), content_type="text/plain; version=0.0.4")


@app.page("/v1/sdk/{app_id}/conversion-data")
class ConversionData(View):
    """The latest decision for a device (R37), answered by the worker owning the key.

    The collector checks the SDK key and forwards here; a worker that does
    not own the key's partition forwards again to the one that does.
    """

    async def get(self, request: Request, app_id: str) -> Response:
        from faust.exceptions import SameNode

        from attrib.engine.conversion import conversion_key
        from attrib.tables.conversion_data import conversion_table
        from attrib.tables.values import answer_of
        from attrib.web.internal import HEADER, is_internal

        if not is_internal(settings, request.headers.get(HEADER)):
            return self.json(
                {
                    "error": "unauthorized",
                    "detail": "conversion data is answered through the collector "
                    "(GET /v1/sdk/{app_id}/conversion-data with the SDK key)",
                },
                status=401,
            )
        device_id = request.query.get("device_id", "").strip()
        if not device_id:
            return self.json(
                {"error": "missing_parameter", "detail": "device_id is required"}, status=400
            )
        key = conversion_key(app_id, device_id).encode()
        try:
            return await app.router.route_req(conversion_table.name, key, self.web, request)
        except SameNode:
            pass
        except Exception:  # no owner known yet (rebalancing)
            return self.json(
                {"error": "not_ready", "detail": "the table's owner is not known yet"},
                status=503,
            )
        value = conversion_table.get(key)
        if value is None:
            return self.json(
                {"error": "not_found", "detail": "nothing is decided for this device yet"},
                status=404,
            )
        return self.bytes(answer_of(value), content_type="application/json")
