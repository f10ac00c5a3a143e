"""The admin API over HTTP, on the real broker (http-api.md, Admin)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.web.app import create_app

pytestmark = pytest.mark.integration

AUTH = {"Authorization": "Bearer test-admin-token"}
APP: dict[str, Any] = {
    "platform": "android",
    "store_url": "https://play.google.com/store/apps/details?id=com.example",
    "attribution": {"click_lookback": "3d"},
    "postbacks": [{"media_source": "netA", "install_url": "https://neta.example/pb?c={clickid}"}],
}


async def put(client: TestClient, app_id: str, body: Any, **kw: Any) -> tuple[int, Any]:
    response = await client.put(f"/v1/apps/{app_id}", json=body, headers=AUTH, **kw)
    return response.status, await response.json()


async def test_put_then_get_returns_the_config_with_defaults_and_sdk_key(
    client: TestClient,
) -> None:
    status, stored = await put(client, "com.example", APP)
    assert status == 200
    assert stored["app_id"] == "com.example"
    assert len(stored["sdk_key"]) >= 20
    assert stored["attribution"]["click_lookback"] == "3d"
    assert stored["attribution"]["view_lookback"] == "24h"
    assert stored["fraud"]["min_ctit"] == "10s"
    assert stored["postbacks"][0]["event_window"] == "lifetime"
    assert stored["push_endpoints"] == []

    response = await client.get("/v1/apps/com.example", headers=AUTH)
    assert response.status == 200
    assert await response.json() == stored
    assert response.headers["X-Attrib-Config-Version"] == "1"

    response = await client.get("/v1/apps", headers=AUTH)
    assert response.status == 200
    assert await response.json() == {"apps": [stored]}


async def test_replacing_a_config_keeps_its_sdk_key_and_bumps_the_version(
    client: TestClient,
) -> None:
    _, first = await put(client, "com.example", APP)
    status, second = await put(client, "com.example", {**APP, "platform": "ios"})
    assert status == 200
    assert second["platform"] == "ios"
    assert second["sdk_key"] == first["sdk_key"]
    response = await client.get("/v1/apps/com.example", headers=AUTH)
    assert response.headers["X-Attrib-Config-Version"] == "2"
    _, third = await put(client, "com.example", {**APP, "sdk_key": "rotated"})
    assert third["sdk_key"] == "rotated"


async def test_a_document_read_back_can_be_put_again(client: TestClient) -> None:
    _, stored = await put(client, "com.example", APP)
    status, again = await put(client, "com.example", stored)
    assert status == 200
    assert again == stored


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"store_url": "https://x.example"}, "platform"),
        ({**APP, "attribution": {"click_lookback": "31d"}}, "attribution.click_lookback"),
        ({**APP, "attribution": {"view_lookback": "tomorrow"}}, "attribution.view_lookback"),
        ({**APP, "colour": "red"}, "colour"),
        (
            {**APP, "postbacks": [{"media_source": "n", "install_url": "https://n.x/{gaid}"}]},
            "postbacks[0].install_url",
        ),
        (
            {**APP, "push_endpoints": [{"url": "https://h.example", "secret": "s"}] * 7},
            "push_endpoints",
        ),
        ([APP], "body"),
    ],
)
async def test_invalid_configs_are_refused_naming_the_field(
    client: TestClient, body: Any, field: str
) -> None:
    status, answer = await put(client, "com.example", body)
    assert status == 400
    assert answer["error"] == "invalid_config"
    assert answer["field"] == field
    assert field in answer["detail"]
    response = await client.get("/v1/apps/com.example", headers=AUTH)
    assert response.status == 404


async def test_an_invalid_app_id_is_refused(client: TestClient) -> None:
    status, answer = await put(client, "bad%20id", APP)
    assert status == 400
    assert answer["field"] == "app_id"


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"platform": NaN}', b"\xff\xfe\x00"])
async def test_invalid_json_is_refused(client: TestClient, raw: bytes) -> None:
    response = await client.put(
        "/v1/apps/com.example",
        data=raw,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status == 400
    answer = await response.json()
    assert answer["error"] == "invalid_json"
    assert answer["detail"]


async def test_body_size_limit_is_64_kib(client: TestClient) -> None:
    text = json.dumps(APP)
    exact = text + " " * (65_536 - len(text))
    response = await client.put(
        "/v1/apps/com.example",
        data=exact.encode(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status == 200
    response = await client.put(
        "/v1/apps/com.example",
        data=(exact + " ").encode(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status == 413
    assert (await response.json())["error"] == "payload_too_large"

    async def chunks() -> Any:  # no Content-Length: cut off while reading
        yield text.encode()
        for _ in range(70):
            yield b" " * 1024

    response = await client.put("/v1/apps/com.example", data=chunks(), headers=AUTH)
    assert response.status == 413
    assert (await response.json())["error"] == "payload_too_large"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dGVzdC1hZG1pbi10b2tlbg=="},
        {"Authorization": "test-admin-token"},
    ],
)
async def test_missing_or_wrong_token_is_401(client: TestClient, headers: dict[str, str]) -> None:
    for method, path in [
        ("PUT", "/v1/apps/com.example"),
        ("GET", "/v1/apps/com.example"),
        ("GET", "/v1/apps"),
    ]:
        response = await client.request(method, path, json=APP, headers=headers)
        assert response.status == 401, (method, path)
        answer = await response.json()
        assert answer["error"] == "unauthorized"
        assert answer["detail"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await client.get("/v1/apps", headers=AUTH)).status == 200


async def test_unknown_app_is_404(client: TestClient) -> None:
    response = await client.get("/v1/apps/com.nothing", headers=AUTH)
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"


async def test_errors_of_the_router_are_json(client: TestClient) -> None:
    response = await client.get("/no/such/route")
    assert response.status == 404
    assert response.content_type == "application/json"
    assert (await response.json())["error"] == "not_found"
    response = await client.delete("/v1/apps/com.example", headers=AUTH)
    assert response.status == 405
    assert (await response.json())["error"] == "method_not_allowed"
    assert "PUT" in response.headers["Allow"]


async def test_a_second_cache_sees_a_change_within_one_second_of_the_answer(
    client: TestClient, isolated_settings: Settings
) -> None:
    async with AppConfigCache(isolated_settings) as worker_cache:
        await put(client, "com.example", APP)
        status, _ = await put(client, "com.example", {**APP, "fraud": {"min_ctit": "42s"}})
        answered = time.monotonic()
        assert status == 200
        while worker_cache.version("com.example") != 2:
            assert time.monotonic() - answered < 1.0, "the worker's cache is not up to date"
            await asyncio.sleep(0.01)
        assert worker_cache.get("com.example").fraud.min_ctit_ms == 42_000


async def test_kafka_unavailable_on_put_is_503_with_retry_after(
    isolated_settings: Settings, registry: tuple[AppConfigCache, AppRegistryWriter]
) -> None:
    cache, _ = registry
    unreachable = dataclasses.replace(isolated_settings, kafka_bootstrap="127.0.0.1:1")
    writer = AppRegistryWriter(unreachable, cache)
    app = create_app(isolated_settings, cache=cache, writer=writer)
    async with TestClient(TestServer(app)) as client:
        response = await client.put("/v1/apps/com.example", json=APP, headers=AUTH)
        assert response.status == 503
        assert int(response.headers["Retry-After"]) > 0
        assert (await response.json())["error"] == "unavailable"
        assert cache.get("com.example") is None
