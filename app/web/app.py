"""The collector's aiohttp application: one front door for SDKs, networks and admins.

:func:`create_app` wires the shared objects (settings, configuration cache
and writer) and the middlewares, then lets each route module in
:data:`ROUTE_MODULES` add its routes. A later route module (tracking links,
SDK endpoints) is added to that tuple and finds the same objects under the
keys of :mod:`attrib.web.keys`.

One middleware (:func:`attrib.web.ops.api_middleware`) answers errors as
JSON and counts every request with the status finally answered.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from attrib import collector
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.web import admin, ops
from attrib.web.bodies import MAX_BODY_BYTES
from attrib.web.keys import CONFIG_CACHE, CONFIG_WRITER, SETTINGS
from attrib.web.ops import api_middleware

ROUTE_MODULES: tuple[Callable[[web.Application], None], ...] = (
    ops.add_routes,
    admin.add_routes,
    collector.add_routes,
)


def create_app(
    settings: Settings, *, cache: AppConfigCache, writer: AppRegistryWriter
) -> web.Application:
    """The web application; starting ``cache`` and ``writer`` is the caller's job."""
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        middlewares=[api_middleware],
    )
    app[SETTINGS] = settings
    app[CONFIG_CACHE] = cache
    app[CONFIG_WRITER] = writer
    for add_routes in ROUTE_MODULES:
        add_routes(app)
    return app


__all__ = ["ROUTE_MODULES", "create_app"]
