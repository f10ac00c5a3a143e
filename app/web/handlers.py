"""Every route's handler wrapped once: JSON errors and request metrics, without a middleware.

:func:`api_route` wraps a handler so that whatever it raises is answered as
JSON (:func:`attrib.web.errors.answer_exception`) and the request is counted
under its route template, method and final status
(:data:`attrib.web.request_metrics.REQUEST_METRICS`). :func:`add_fallback_route` adds the
last route, matching every path and method, which answers the router's own
errors (404 for an unknown path, 405 with ``Allow`` for a known path and
another method) as JSON too.

Why not an aiohttp middleware: an application with any middleware runs every
request through aiohttp's middleware chain plus its ``current_app``
bookkeeping layer, two coroutine frames entered and resumed per request
(about 3% of a click's CPU time, measured with ``bench/collector.py``). A
wrapper applied at registration costs one frame. :func:`check_all_wrapped`
(called by :func:`attrib.web.app.create_app`) refuses an application with a
route that was not wrapped, so no handler can escape the JSON guarantee.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractResource

from attrib.web.errors import answer_exception
from attrib.web.request_metrics import REQUEST_METRICS, Series, route_label

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: The route label of requests no route matched.
UNMATCHED: Final = "unmatched"
_WRAPPED: Final = "__attrib_api_route__"
_perf_counter = time.perf_counter


def api_route(handler: Handler, *, label: str | None = None) -> Handler:
    """``handler`` answering errors as JSON and counting each request (see the module doc).

    ``label`` overrides the route template in the metrics (the fallback route
    counts as ``unmatched``).
    """
    #: (method, status) -> the counter cell and histogram of this route
    cached: dict[tuple[str, int], Series] = {}

    def count(request: web.Request, status: int, started: float) -> None:
        series = cached.get((request.method, status))
        if series is None:
            route = label or route_label(request)
            series = cached[request.method, status] = REQUEST_METRICS.series(
                route, request.method, status
            )
        REQUEST_METRICS.observe(series[0], series[1], _perf_counter() - started)

    async def answer(request: web.Request) -> web.StreamResponse:
        started = _perf_counter()
        try:
            response = await handler(request)
        except Exception as exc:
            try:
                response = answer_exception(request, exc)
            except web.HTTPException as redirect:  # a redirect raised by the handler
                count(request, redirect.status, started)
                raise
        except BaseException:  # cancelled: the client went away
            count(request, 500, started)
            raise
        count(request, response.status, started)
        return response

    answer.__name__ = getattr(handler, "__name__", "handler")
    answer.__doc__ = handler.__doc__
    setattr(answer, _WRAPPED, True)
    return answer


async def _not_routed(request: web.Request) -> web.StreamResponse:
    """The answer when no other route matches: 405 if the path is known, else 404."""
    allowed: set[str] = set()
    for resource in request.app.router.resources():
        if _is_fallback(resource):
            continue
        match, methods = await resource.resolve(request)
        if match is None:
            allowed |= methods
    if allowed:
        raise web.HTTPMethodNotAllowed(request.method, allowed)
    raise web.HTTPNotFound()


FALLBACK_PATH: Final = "/{_path:.*}"
#: The resource name of the fallback route (it is no API operation of its own).
FALLBACK_NAME: Final = "attrib-fallback"


def _is_fallback(resource: AbstractResource) -> bool:
    return resource.name == FALLBACK_NAME


def add_fallback_route(app: web.Application) -> None:
    """Add the route that answers unknown paths and methods as JSON; add it last."""
    app.router.add_route(
        "*", FALLBACK_PATH, api_route(_not_routed, label=UNMATCHED), name=FALLBACK_NAME
    )


def check_all_wrapped(app: web.Application) -> None:
    """Raise ``RuntimeError`` naming any route whose handler is not :func:`api_route`'s."""
    bare = [
        f"{route.method} {route.resource.canonical if route.resource else '?'}"
        for route in app.router.routes()
        if not getattr(route.handler, _WRAPPED, False)
    ]
    if bare:
        raise RuntimeError(f"routes not wrapped by api_route: {', '.join(bare)}")


__all__ = [
    "FALLBACK_NAME",
    "FALLBACK_PATH",
    "UNMATCHED",
    "add_fallback_route",
    "api_route",
    "check_all_wrapped",
]
