"""Route wrapping of :mod:`attrib.web.handlers`, without a broker.

A small application whose routes are wrapped by ``api_route``, plus the
fallback route: handler errors, unknown paths and wrong methods are answered
as JSON; every request is counted in ``REQUEST_METRICS`` under its route
template (``unmatched`` for the fallback) with its final status; and
``check_all_wrapped`` refuses a route that is not wrapped (the real
application passes).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import load_settings
from attrib.web.app import create_app
from attrib.web.errors import ApiError
from attrib.web.handlers import (
    FALLBACK_NAME,
    UNMATCHED,
    add_fallback_route,
    api_route,
    check_all_wrapped,
)
from attrib.web.request_metrics import REQUEST_METRICS

# Route templates of this module only, so that counts of other tests never mix in.
THING = "/handlers-test/things/{thing_id}"
ITEMS = "/handlers-test/items"
BOOM = "/handlers-test/boom"
MOVED = "/handlers-test/moved"
SECRET = "db password is hunter2"


async def get_thing(request: web.Request) -> web.StreamResponse:
    thing_id = request.match_info["thing_id"]
    if thing_id == "busy":
        raise ApiError(
            409, "thing_busy", "the thing is busy", headers={"Retry-After": "3"}, thing=thing_id
        )
    if thing_id == "bad":
        raise web.HTTPBadRequest(reason="the thing id is bad")
    return web.json_response({"thing": thing_id})


async def add_item(request: web.Request) -> web.StreamResponse:
    return web.json_response({"added": True}, status=201)


async def boom(request: web.Request) -> web.StreamResponse:
    raise RuntimeError(SECRET)


async def moved(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/elsewhere")


def build_app() -> web.Application:
    app = web.Application()
    app.router.add_get(THING, api_route(get_thing), allow_head=False)
    app.router.add_post(ITEMS, api_route(add_item))
    app.router.add_get(BOOM, api_route(boom), allow_head=False)
    app.router.add_get(MOVED, api_route(moved), allow_head=False)
    add_fallback_route(app)
    return app


@pytest.fixture
async def api() -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(build_app())) as client:
        yield client


def count(route: str, method: str, status: int) -> float:
    """Requests counted so far under these labels."""
    cell = REQUEST_METRICS.requests.get((route, method, str(status)))
    return cell[0] if cell else 0


async def test_an_api_error_becomes_its_json_answer(api: TestClient) -> None:
    response = await api.get("/handlers-test/things/busy")
    assert response.status == 409
    assert response.content_type == "application/json"
    assert response.headers["Retry-After"] == "3"
    assert await response.json() == {
        "error": "thing_busy",
        "detail": "the thing is busy",
        "thing": "busy",
    }


async def test_an_aiohttp_http_error_becomes_json(api: TestClient) -> None:
    response = await api.get("/handlers-test/things/bad")
    assert response.status == 400
    assert response.content_type == "application/json"
    assert await response.json() == {"error": "bad_request", "detail": "the thing id is bad"}


async def test_an_unexpected_exception_is_a_json_500_without_its_text(
    api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await api.get(BOOM)
    assert response.status == 500
    assert response.content_type == "application/json"
    text = await response.text()
    assert "hunter2" not in text
    assert "RuntimeError" not in text
    assert await response.json() == {
        "error": "internal_error",
        "detail": "the server failed to handle the request",
    }
    # The operator still gets the traceback in the log.
    assert any(record.exc_info and SECRET in str(record.exc_info[1]) for record in caplog.records)


async def test_an_unknown_path_is_a_json_404(api: TestClient) -> None:
    response = await api.get("/handlers-test/nowhere")
    assert response.status == 404
    assert response.content_type == "application/json"
    assert await response.json() == {"error": "not_found", "detail": "no such resource"}


async def test_a_known_path_with_another_method_is_a_json_405_naming_the_method(
    api: TestClient,
) -> None:
    response = await api.delete(ITEMS)
    assert response.status == 405
    assert response.content_type == "application/json"
    assert (await response.json())["error"] == "method_not_allowed"
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"POST"}

    response = await api.post("/handlers-test/things/7")
    assert response.status == 405
    assert (await response.json())["error"] == "method_not_allowed"
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"GET"}


async def test_a_redirect_raised_by_a_handler_is_sent_as_a_redirect(api: TestClient) -> None:
    before = count(MOVED, "GET", 302)
    response = await api.get(MOVED, allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/elsewhere"
    assert count(MOVED, "GET", 302) == before + 1


async def test_requests_are_counted_by_route_template_and_final_status(api: TestClient) -> None:
    expected = {
        (THING, "GET", 200): 2,
        (THING, "GET", 409): 1,
        (ITEMS, "POST", 201): 1,
        (BOOM, "GET", 500): 1,
        (UNMATCHED, "GET", 404): 1,
        (UNMATCHED, "DELETE", 405): 1,
    }
    before = {labels: count(*labels) for labels in expected}
    latency_before = (
        sum(REQUEST_METRICS.latency[THING].buckets) if THING in REQUEST_METRICS.latency else 0
    )

    assert (await api.get("/handlers-test/things/1")).status == 200
    assert (await api.get("/handlers-test/things/2")).status == 200
    assert (await api.get("/handlers-test/things/busy")).status == 409
    assert (await api.post(ITEMS)).status == 201
    assert (await api.get(BOOM)).status == 500
    assert (await api.get("/handlers-test/nowhere")).status == 404
    assert (await api.delete(ITEMS)).status == 405

    for labels, added in expected.items():
        assert count(*labels) == before[labels] + added, labels
    # Never by raw path.
    assert not any(
        route.startswith("/handlers-test/things/") and "{" not in route
        for route, _, _ in REQUEST_METRICS.requests
    )
    assert sum(REQUEST_METRICS.latency[THING].buckets) == latency_before + 3


async def test_a_cancelled_request_is_counted_as_500() -> None:
    async def hangs(request: web.Request) -> web.StreamResponse:
        raise asyncio.CancelledError

    handler = api_route(hangs, label="/handlers-test/cancelled")
    before = count("/handlers-test/cancelled", "GET", 500)
    with pytest.raises(asyncio.CancelledError):
        await handler(make_mocked_request("GET", "/handlers-test/cancelled"))
    assert count("/handlers-test/cancelled", "GET", 500) == before + 1


def test_check_all_wrapped_names_a_route_that_is_not_wrapped() -> None:
    async def bare(request: web.Request) -> web.StreamResponse:
        return web.Response(text="bare")

    app = build_app()
    app.router.add_get("/handlers-test/bare", bare, allow_head=False)
    with pytest.raises(RuntimeError, match="api_route") as refused:
        check_all_wrapped(app)
    message = str(refused.value)
    assert "GET /handlers-test/bare" in message
    assert THING not in message
    assert ITEMS not in message


def test_check_all_wrapped_accepts_an_app_whose_routes_are_all_wrapped() -> None:
    app = build_app()
    check_all_wrapped(app)
    resources = list(app.router.resources())
    assert resources[-1].name == FALLBACK_NAME


def test_the_real_application_has_every_route_wrapped() -> None:
    settings = load_settings(env={})
    cache = AppConfigCache(settings)
    app = create_app(settings, cache=cache, writer=AppRegistryWriter(settings, cache))
    check_all_wrapped(app)
    resources = list(app.router.resources())
    assert len(resources) > 5
    assert resources[-1].name == FALLBACK_NAME
