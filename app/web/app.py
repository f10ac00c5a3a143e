"""The collector's aiohttp application: one front door for SDKs, networks and admins.

:func:`create_app` wires the shared objects (settings, configuration cache
and writer), then lets each route module in
:data:`ROUTE_MODULES` add its routes. A later route module (tracking links,
SDK endpoints) is added to that tuple and finds the same objects under the
keys of :mod:`attrib.web.keys`.

No middleware: every route's handler is wrapped by
:func:`attrib.web.handlers.api_route` (JSON errors and request metrics), a
last fallback route answers unknown paths and methods as JSON, and
:func:`create_app` refuses a route that was not wrapped.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from attrib import collector, dashboard
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.web import admin, ops
from attrib.web.bodies import MAX_BODY_BYTES
from attrib.web.handlers import add_fallback_route, check_all_wrapped
from attrib.web.keys import CONFIG_CACHE, CONFIG_WRITER, SETTINGS

ROUTE_MODULES: tuple[Callable[[web.Application], None], ...] = (
    ops.add_routes,
    admin.add_routes,
    collector.add_routes,
    dashboard.add_routes,
)


def create_app(
    settings: Settings, *, cache: AppConfigCache, writer: AppRegistryWriter
) -> web.Application:
    """The web application; starting ``cache`` and ``writer`` is the caller's job."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[CONFIG_CACHE] = cache
    app[CONFIG_WRITER] = writer
    for add_routes in ROUTE_MODULES:
        add_routes(app)
    add_fallback_route(app)
    check_all_wrapped(app)
    return app


__all__ = ["ROUTE_MODULES", "create_app"]
