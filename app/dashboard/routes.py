"""The dashboard's routes on the collector: login, the page, its CSV and JSON tables, static files.

- ``GET /dashboard``: the sign-in form until the session cookie is set, then
  the app picker and, with ``?app=&from=&to=``, the dashboard.
- ``POST /dashboard/login`` (form field ``token``: the admin token) sets the
  session cookie (:mod:`attrib.dashboard.session`); ``POST /dashboard/logout``
  clears it.
- ``GET /dashboard/csv/{name}.csv`` and ``GET /dashboard/data/{name}.json``:
  one table of the page, same parameters (cookie or ``Authorization: Bearer``).
- ``GET /dashboard/static/{file}``: Chart.js (vendored), the page's script and style.

Bad input (no such app, an empty or too long range, a wrong token) gets a
page or JSON saying what is wrong with a 4xx status; ClickHouse down gets 503.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import json
import logging
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web
from clickhouse_connect.driver.exceptions import ClickHouseError

from attrib.dashboard import pages
from attrib.dashboard.csvfile import to_csv
from attrib.dashboard.data import PAGE_QUERIES, DashboardData, query_sql
from attrib.dashboard.query import BadQuery, DashboardQuery, parse_query
from attrib.dashboard.session import (
    COOKIE,
    LIFETIME_S,
    new_session,
    session_valid,
    token_matches,
)
from attrib.web.errors import ApiError
from attrib.web.handlers import api_route
from attrib.web.keys import CONFIG_CACHE, SETTINGS

log = logging.getLogger(__name__)

DASHBOARD_DATA = web.AppKey("dashboard_data", DashboardData)
STATIC_FILES = {
    pages.CHART_JS: "application/javascript",
    "dashboard.js": "application/javascript",
    "dashboard.css": "text/css",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
#: What a query raises when ClickHouse is down or refuses it: answered 503, never 500.
CLICKHOUSE_ERRORS = (ClickHouseError, OSError)
UNREACHABLE = "ClickHouse did not answer; the dashboard shows figures again once it does"


def _token(request: web.Request) -> str:
    return request.app[SETTINGS].admin_token.reveal()


def _signed_in(request: web.Request) -> bool:
    token = _token(request)
    cookie = request.cookies.get(COOKIE, "")
    if cookie and session_valid(cookie, token):
        return True
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token_matches(presented.strip(), token)


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=body, status=status, content_type="text/html", headers=SECURITY_HEADERS
    )


def _today() -> date:
    return datetime.now(UTC).date()


async def _known_apps(request: web.Request) -> list[str]:
    """Registered apps and apps with decisions in ClickHouse."""
    registered = {config.app_id for config in request.app[CONFIG_CACHE].all()}
    in_clickhouse = await asyncio.to_thread(request.app[DASHBOARD_DATA].apps)
    return sorted(registered | set(in_clickhouse))


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    presented = str(form.get("token", ""))
    token = _token(request)
    if not token:
        return _html(
            pages.login_page("The dashboard is disabled: no admin token is configured."), 401
        )
    if not token_matches(presented, token):
        return _html(pages.login_page("The admin token is wrong."), 401)
    response = web.Response(status=303, headers={"Location": "/dashboard"})
    response.set_cookie(
        COOKIE,
        new_session(token),
        max_age=LIFETIME_S,
        path="/dashboard",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    return response


async def logout(request: web.Request) -> web.Response:
    response = web.Response(status=303, headers={"Location": "/dashboard"})
    response.del_cookie(COOKIE, path="/dashboard")
    return response


async def page(request: web.Request) -> web.Response:
    if not _signed_in(request):
        return _html(pages.login_page())
    try:
        apps = await _known_apps(request)
    except CLICKHOUSE_ERRORS as exc:
        log.warning("dashboard: %s", exc)
        return _html(pages.message_page(UNREACHABLE, []), 503)
    if not request.query.get("app"):
        prompt = "Pick an app and a range." if apps else "No app has data yet."
        return _html(pages.message_page(prompt, apps))
    try:
        query = parse_query(request.query, _today())
    except BadQuery as exc:
        return _html(pages.message_page(str(exc), apps), 400)
    if query.app not in apps:
        return _html(pages.message_page(f"There is no app named {query.app!r}.", apps, query), 404)
    try:
        tables = await asyncio.to_thread(request.app[DASHBOARD_DATA].page, query)
    except CLICKHOUSE_ERRORS as exc:
        log.warning("dashboard: %s", exc)
        return _html(pages.message_page(UNREACHABLE, apps, query), 503)
    sql = {name: query_sql(name) for name in PAGE_QUERIES}
    return _html(pages.dashboard_page(query, apps, tables, sql))


async def _table_query(request: web.Request) -> tuple[str, DashboardQuery]:
    if not _signed_in(request):
        raise ApiError(401, "unauthorized", "sign in at /dashboard or send the admin bearer token")
    name = request.match_info["name"]
    if name not in PAGE_QUERIES:
        raise ApiError(
            404, "not_found", f"no table named {name!r}; tables: {', '.join(PAGE_QUERIES)}"
        )
    try:
        query = parse_query(request.query, _today())
    except BadQuery as exc:
        raise ApiError(400, "bad_request", str(exc)) from exc
    try:
        apps = await _known_apps(request)
    except CLICKHOUSE_ERRORS as exc:
        raise ApiError(503, "unavailable", UNREACHABLE) from exc
    if query.app not in apps:
        raise ApiError(404, "not_found", f"there is no app named {query.app!r}")
    return name, query


async def _run(request: web.Request, name: str, query: DashboardQuery) -> Any:
    try:
        return await asyncio.to_thread(request.app[DASHBOARD_DATA].run, name, query.parameters())
    except CLICKHOUSE_ERRORS as exc:
        raise ApiError(503, "unavailable", UNREACHABLE) from exc


async def table_csv(request: web.Request) -> web.Response:
    name, query = await _table_query(request)
    table = await _run(request, name, query)
    filename = f"{name}_{query.app}_{query.date_from}_{query.date_to}.csv"
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)
    return web.Response(
        text=to_csv(table.columns, table.rows),
        content_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "Cache-Control": "no-store",
        },
    )


async def table_json(request: web.Request) -> web.Response:
    name, query = await _table_query(request)
    table = await _run(request, name, query)
    body = {"name": name, "columns": table.columns, "rows": table.rows, "sql": query_sql(name)}
    return web.json_response(
        body, dumps=lambda v: json.dumps(v, default=str), headers={"Cache-Control": "no-store"}
    )


async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["file"]
    content_type = STATIC_FILES.get(name)
    if content_type is None:
        raise ApiError(404, "not_found", f"no static file {name!r}")
    text = (importlib.resources.files("attrib.dashboard") / "static" / name).read_text()
    return web.Response(
        text=text,
        content_type=content_type,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


async def _start_data(app: web.Application) -> Any:
    app[DASHBOARD_DATA] = DashboardData(app[SETTINGS])
    yield
    app[DASHBOARD_DATA].close()


def add_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(_start_data)
    app.router.add_get("/dashboard", api_route(page))
    app.router.add_post("/dashboard/login", api_route(login))
    app.router.add_post("/dashboard/logout", api_route(logout))
    app.router.add_get("/dashboard/csv/{name}.csv", api_route(table_csv))
    app.router.add_get("/dashboard/data/{name}.json", api_route(table_json))
    app.router.add_get("/dashboard/static/{file}", api_route(static_file))


__all__ = ["DASHBOARD_DATA", "add_routes"]
