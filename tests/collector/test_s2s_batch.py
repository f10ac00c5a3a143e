"""The S2S batch endpoint on the real broker: per-item results, records, limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from .conftest import ANDROID_APP, SDK_KEY, TopicReader

pytestmark = pytest.mark.integration

KEY = {"X-Attrib-Key": SDK_KEY}
GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"
PATH = f"/v1/s2s/{ANDROID_APP}/events"


def item(kind: str, event_id: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": event_id, "device": {"advertising_id": GAID}, **fields}


async def test_each_item_is_accepted_or_refused_on_its_own(
    client: TestClient, reader: TopicReader
) -> None:
    batch = [
        item("install", "i-1", ip="192.0.2.1", user_agent="srv"),
        item("session", "s-1"),
        item("event", "e-1", event_name="purchase", revenue="4.20", currency="EUR"),
        item("event", "e-2"),  # no event_name
        {"event_id": "x-1", "device": {"advertising_id": GAID}},  # no type
        item("refund", "x-2"),
        "not an object",
        item("session", "s-2", device={"idfa": "0000"}),
    ]
    response = await client.post(PATH, json=batch, headers=KEY)
    assert response.status == 200
    results = (await response.json())["results"]
    assert [(r["index"], r["status"], r["event_id"], r["error"], r["field"]) for r in results] == [
        (0, 202, "i-1", None, None),
        (1, 202, "s-1", None, None),
        (2, 202, "e-1", None, None),
        (3, 400, "e-2", "missing_field", "event_name"),
        (4, 400, "x-1", "missing_field", "type"),
        (5, 400, "x-2", "invalid_field", "type"),
        (6, 400, None, "invalid_body", "item"),
        (7, 400, "s-2", "no_device_id", "device"),
    ]
    assert all(r["detail"] is None for r in results[:3])
    assert all(r["detail"] for r in results[3:])

    install = await reader.one("installs")
    assert install.value["event_id"] == "i-1"
    assert install.value["ip"] == "192.0.2.1"  # loopback is a trusted S2S peer
    assert install.value["user_agent"] == "srv"
    assert install.key == f"{ANDROID_APP}|advertising_id:{GAID}".encode()
    assert (await reader.one("sessions")).value["event_id"] == "s-1"
    event = (await reader.one("events")).value
    assert (event["event_id"], event["revenue"], event["currency"]) == ("e-1", "4.20", "EUR")


async def test_a_thousand_items_are_accepted_and_all_land(
    client: TestClient, reader: TopicReader
) -> None:
    batch = [item("session", f"s-{i}") for i in range(1000)]
    response = await client.post(PATH, json=batch, headers=KEY)
    assert response.status == 200
    results = (await response.json())["results"]
    assert [r["status"] for r in results] == [202] * 1000
    landed = await reader.read("sessions", 1000)
    assert {r.value["event_id"] for r in landed} == {f"s-{i}" for i in range(1000)}


async def test_more_than_1000_items_is_413_batch_too_large(
    client: TestClient, reader: TopicReader
) -> None:
    batch = [{"type": "session"}] * 1001
    response = await client.post(PATH, json=batch, headers=KEY)
    assert response.status == 413
    answer = await response.json()
    assert answer["error"] == "batch_too_large"
    assert "1,001" in answer["detail"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("{]", "invalid_json"),
        (json.dumps({"type": "session"}), "invalid_body"),
    ],
)
async def test_a_body_that_is_not_a_json_array_is_400(
    client: TestClient, payload: str, code: str
) -> None:
    response = await client.post(
        PATH, data=payload, headers={**KEY, "Content-Type": "application/json"}
    )
    assert response.status == 400
    answer = await response.json()
    assert (answer["error"], answer["field"]) == (code, "body")


async def test_batches_need_the_sdk_key(client: TestClient) -> None:
    response = await client.post(PATH, json=[item("session", "s")], headers={"X-Attrib-Key": "no"})
    assert response.status == 401
    response = await client.post("/v1/s2s/com.nobody/events", json=[], headers=KEY)
    assert response.status == 404


async def test_an_empty_batch_is_an_empty_result(client: TestClient) -> None:
    response = await client.post(PATH, json=[], headers=KEY)
    assert response.status == 200
    assert await response.json() == {"results": []}


async def test_a_type_that_is_an_object_or_a_list_is_refused_per_item(client: TestClient) -> None:
    """Found by schemathesis: an unhashable ``type`` was a 500 for the whole batch."""
    batch = [item("session", "ok-1"), {**item("x", "t-1"), "type": {"a": 1}}]
    batch.append({**item("x", "t-2"), "type": ["install"]})
    response = await client.post(PATH, json=batch, headers=KEY)
    assert response.status == 200
    results = (await response.json())["results"]
    assert [(r["status"], r["error"], r["field"]) for r in results] == [
        (202, None, None),
        (400, "invalid_field", "type"),
        (400, "invalid_field", "type"),
    ]
