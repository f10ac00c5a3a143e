"""The collector: tracking links, SDK and S2S endpoints writing Avro records to Kafka.

Stateless aiohttp handlers (http-api.md) that validate input, build the
records of streams.md and write them with one shared producer, answering
2xx only after Kafka acknowledged. :func:`add_routes` is listed in
:data:`attrib.web.app.ROUTE_MODULES`; it also ties the producer's life to the
application's (connect at startup in the background, flush at cleanup) and
adds the producer to ``/readyz``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from attrib.collector import conversion, openapi, s2s, sdk, tracking
from attrib.collector.context import ORIGIN, PRODUCER
from attrib.collector.origin import OriginResolver
from attrib.collector.producer import RecordProducer
from attrib.web.keys import READINESS_CHECKS, SETTINGS


async def _producer_lifetime(app: web.Application) -> AsyncIterator[None]:
    producer = app[PRODUCER]
    producer.start()
    yield
    await producer.stop()


def add_routes(app: web.Application) -> None:
    """Add the collector's routes and its producer to ``app`` (built by ``create_app``)."""
    settings = app[SETTINGS]
    producer = RecordProducer(settings)
    app[PRODUCER] = producer
    app[ORIGIN] = OriginResolver(settings)
    app.setdefault(READINESS_CHECKS, []).append(producer.readiness)
    app.cleanup_ctx.append(_producer_lifetime)
    tracking.add_routes(app)
    sdk.add_routes(app)
    s2s.add_routes(app)
    conversion.add_routes(app)
    openapi.add_routes(app)


__all__ = ["add_routes"]
