"""Typed keys of the collector's shared objects on the aiohttp application."""

from __future__ import annotations

from aiohttp import web

from attrib.collector.origin import OriginResolver
from attrib.collector.producer import RecordProducer

PRODUCER = web.AppKey("record_producer", RecordProducer)
ORIGIN = web.AppKey("origin_resolver", OriginResolver)

__all__ = ["ORIGIN", "PRODUCER"]
