"""SDK endpoints on the real broker: the records that land, and every class of bad input."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from attrib.config.limits import DAY_MS

from .conftest import ANDROID_APP, IOS_SDK_KEY, SDK_KEY, TopicReader

pytestmark = pytest.mark.integration

KEY = {"X-Attrib-Key": SDK_KEY}
GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"
IDFV = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
UA = "okhttp/4.12"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def body(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"event_id": "ev-1", "device": {"advertising_id": GAID}}
    base.update(fields)
    return base


async def post(client: TestClient, kind: str, payload: Any, **kw: Any) -> tuple[int, Any]:
    kw.setdefault("headers", KEY)
    if isinstance(payload, bytes | str):
        response = await client.post(f"/v1/sdk/{ANDROID_APP}/{kind}", data=payload, **kw)
    else:
        response = await client.post(f"/v1/sdk/{ANDROID_APP}/{kind}", json=payload, **kw)
    return response.status, await response.json()


def common_fields(received: int) -> dict[str, Any]:
    return {
        "app_id": ANDROID_APP,
        "device_key": f"advertising_id:{GAID}",
        "advertising_id": GAID,
        "idfa": None,
        "idfv": IDFV.lower(),
        "android_id": None,
        "oaid": None,
        "customer_user_id": "User-42",
        "platform": "android",
        "app_version": "1.2.0",
        "os_version": "14",
        "ip": "198.51.100.7",
        "user_agent": UA,
        "received_time": received,
    }


SDK_BODY = {
    "device": {
        "advertising_id": GAID.upper(),
        "idfa": "00000000-0000-0000-0000-000000000000",
        "idfv": IDFV,
        "android_id": "unknown",
        "customer_user_id": " User-42 ",
    },
    "platform": "android",
    "app_version": "1.2.0",
    "os_version": "14",
    "ip": "198.51.100.7",
    "user_agent": UA,
}


async def test_install_lands_on_installs_with_every_field(
    client: TestClient, reader: TopicReader
) -> None:
    t0 = now_ms() - 5_000
    payload = {
        **SDK_BODY,
        "event_id": "inst-1",
        "timestamp": t0,
        "install_referrer": "attrib_touch_id=T1&pid=netA",
        "install_begin_ts": t0 - 30_000,
        "event_name": "ignored on installs",
    }
    before = now_ms()
    status, answer = await post(client, "install", payload)
    after = now_ms()
    assert (status, answer) == (202, {"status": "accepted", "event_id": "inst-1"})
    landed = await reader.one("installs")
    record = landed.value
    received = record["received_time"]
    assert before <= received <= after
    assert record == {
        **common_fields(received),
        "event_id": "inst-1",
        "install_referrer": "attrib_touch_id=T1&pid=netA",
        "install_begin_ts": t0 - 30_000,
        "event_time": t0,
    }
    assert landed.key == f"{ANDROID_APP}|advertising_id:{GAID}".encode()


async def test_session_lands_on_sessions_with_every_field(
    client: TestClient, reader: TopicReader
) -> None:
    status, answer = await post(client, "session", {**SDK_BODY, "event_id": "sess-1"})
    assert (status, answer) == (202, {"status": "accepted", "event_id": "sess-1"})
    landed = await reader.one("sessions")
    record = landed.value
    received = record["received_time"]
    assert record == {
        **common_fields(received),
        "event_id": "sess-1",
        "event_time": received,  # no timestamp: the receive time
        "deep_link": None,
        "referrer_touch_id": None,
    }
    assert landed.key == f"{ANDROID_APP}|advertising_id:{GAID}".encode()


@pytest.mark.parametrize(
    ("fields", "touch_id"),
    [
        ({"deep_link": "mygame://promo?attrib_touch_id=T9&pid=retarget"}, "T9"),
        ({"deep_link": "https://go.example.com/p?x=1&attrib_touch_id=T8"}, "T8"),
        ({"deep_link": "mygame://promo#/offer?attrib_touch_id=T7"}, "T7"),
        ({"deep_link": "mygame://promo?utm_source=mail"}, None),  # a plain link names no click
        ({"deep_link": "mygame://x?attrib_touch_id=T1", "referrer_touch_id": "T2"}, "T2"),
        ({"referrer_touch_id": "T3"}, "T3"),
    ],
)
async def test_a_session_names_the_click_of_its_deep_link(
    client: TestClient, reader: TopicReader, fields: dict[str, str], touch_id: str | None
) -> None:
    """R23 by referrer: the collector reads the click id out of the link that opened the app."""
    status, _ = await post(client, "session", {**SDK_BODY, "event_id": "sess-dl", **fields})
    assert status == 202
    record = (await reader.one("sessions")).value
    assert record["deep_link"] == fields.get("deep_link")
    assert record["referrer_touch_id"] == touch_id


async def test_event_lands_on_events_with_revenue_text_as_sent(
    client: TestClient, reader: TopicReader
) -> None:
    ts = now_ms() - 1_000
    raw = json.dumps({**SDK_BODY, "event_id": "ev-9", "timestamp": ts})[:-1] + (
        ', "event_name": "purchase", "revenue": 9.99, "currency": "usd",'
        ' "values": {"sku": "gold", "qty": 2, "price": 1.50, "gift": false, "meta": {"a": [1]},'
        ' "none": null}}'
    )
    status, answer = await post(
        client, "event", raw, headers={**KEY, "Content-Type": "application/json"}
    )
    assert (status, answer) == (202, {"status": "accepted", "event_id": "ev-9"})
    landed = await reader.one("events")
    record = landed.value
    assert record == {
        **common_fields(record["received_time"]),
        "event_id": "ev-9",
        "event_name": "purchase",
        "revenue": "9.99",
        "currency": "USD",
        "values": {
            "sku": "gold",
            "qty": "2",
            "price": "1.50",
            "gift": "false",
            "meta": '{"a":[1]}',
        },
        "event_time": ts,
    }
    assert landed.key == f"{ANDROID_APP}|advertising_id:{GAID}".encode()


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ('"19.90"', "19.90"),
        ("-4.99", "-4.99"),
        ("1E+2", "100"),
        ("12", "12"),
        ('"2.5e-3"', "0.0025"),
        ("null", None),
    ],
)
async def test_revenue_is_kept_as_decimal_text_without_exponent(
    client: TestClient, reader: TopicReader, raw: str, stored: str | None
) -> None:
    text = json.dumps(body(event_name="purchase"))[:-1] + f', "revenue": {raw}}}'
    status, _ = await post(
        client, "event", text, headers={**KEY, "Content-Type": "application/json"}
    )
    assert status == 202
    assert (await reader.one("events")).value["revenue"] == stored


async def test_device_key_prefers_advertising_id_then_idfa(
    client: TestClient, reader: TopicReader
) -> None:
    idfa = "6d92078a-8246-4ba4-ae5b-76104861e7dc"
    status, _ = await post(
        client, "session", body(device={"idfv": IDFV, "idfa": idfa.upper(), "oaid": "OA-1"})
    )
    assert status == 202
    landed = await reader.one("sessions")
    assert landed.value["device_key"] == f"idfa:{idfa}"
    assert landed.value["oaid"] == "oa-1"
    assert landed.key == f"{ANDROID_APP}|idfa:{idfa}".encode()


def _bad_cases() -> list[tuple[str, Any, int, str, str]]:
    now = now_ms()
    return [
        ("install", "{not json", 400, "invalid_json", "body"),
        ("install", "", 400, "invalid_json", "body"),
        ("install", "[1, 2]", 400, "invalid_body", "body"),
        ("install", "NaN", 400, "invalid_json", "body"),
        (
            "install",
            body(device={"idfa": "00000000-0000-0000-0000-000000000000"}),
            400,
            "no_device_id",
            "device",
        ),
        ("install", body(device={}), 400, "no_device_id", "device"),
        (
            "install",
            body(device={"advertising_id": "not-a-uuid", "android_id": "null"}),
            400,
            "no_device_id",
            "device",
        ),
        ("install", {"device": {"advertising_id": GAID}}, 400, "missing_field", "event_id"),
        ("install", body(event_id=7), 400, "invalid_field", "event_id"),
        ("install", body(device="abc"), 400, "invalid_field", "device"),
        ("install", body(timestamp=now + 11 * 60_000), 400, "timestamp_out_of_range", "timestamp"),
        ("install", body(timestamp=now - 401 * DAY_MS), 400, "timestamp_out_of_range", "timestamp"),
        ("install", body(timestamp="soon"), 400, "invalid_field", "timestamp"),
        (
            "install",
            body(install_begin_ts=now - 500 * DAY_MS),
            400,
            "timestamp_out_of_range",
            "install_begin_ts",
        ),
        ("install", body(platform=["android"]), 400, "invalid_field", "platform"),
        ("install", body(ip="999.1.1.1"), 400, "invalid_field", "ip"),
        ("event", body(), 400, "missing_field", "event_name"),
        ("event", body(event_name="buy", revenue="ten"), 400, "invalid_revenue", "revenue"),
        ("event", body(event_name="buy", revenue=True), 400, "invalid_revenue", "revenue"),
        ("event", body(event_name="buy", revenue={"v": 1}), 400, "invalid_revenue", "revenue"),
        (
            "event",
            body(event_name="buy", revenue=1, currency="EURO"),
            400,
            "invalid_currency",
            "currency",
        ),
        (
            "event",
            body(event_name="buy", revenue=1, currency="XXX"),
            400,
            "invalid_currency",
            "currency",
        ),
        ("event", body(event_name="buy", values=[1]), 400, "invalid_field", "values"),
        ("session", body(deep_link=["x"]), 400, "invalid_field", "deep_link"),
        ("session", body(deep_link="a://" + "x" * 2100), 400, "invalid_field", "deep_link"),
        ("session", body(referrer_touch_id=5), 400, "invalid_field", "referrer_touch_id"),
        (
            "session",
            '{"event_id": "\\ud800", "device": {"advertising_id": "' + GAID + '"}}',
            400,
            "invalid_text",
            "event_id",
        ),
    ]


@pytest.mark.parametrize("case", range(len(_bad_cases())))
async def test_bad_bodies_are_400_naming_the_field(client: TestClient, case: int) -> None:
    kind, payload, status, code, field = _bad_cases()[case]
    got_status, answer = await post(client, kind, payload)
    assert got_status == status, answer
    assert answer["error"] == code
    assert answer["field"] == field
    assert field in answer["detail"] or field == "body"


async def test_unknown_app_is_404_whatever_the_key(client: TestClient) -> None:
    for headers in ({}, KEY, {"X-Attrib-Key": "wrong"}):
        response = await client.post("/v1/sdk/com.nobody/install", json=body(), headers=headers)
        assert response.status == 404
        assert (await response.json())["error"] == "unknown_app"


@pytest.mark.parametrize("headers", [{}, {"X-Attrib-Key": "wrong"}, {"X-Attrib-Key": IOS_SDK_KEY}])
async def test_missing_or_wrong_key_is_401(client: TestClient, headers: dict[str, str]) -> None:
    for kind in ("install", "session", "event"):
        status, answer = await post(client, kind, body(event_name="x"), headers=headers)
        assert status == 401
        assert answer["error"] == "unauthorized"
        assert answer["field"] == "X-Attrib-Key"


async def test_a_body_over_64_kib_is_413(client: TestClient) -> None:
    payload = json.dumps(body(app_version="x" * 70_000))
    status, answer = await post(
        client, "install", payload, headers={**KEY, "Content-Type": "application/json"}
    )
    assert status == 413
    assert answer["error"] == "payload_too_large"


async def test_the_service_keeps_answering_good_input_after_bad_input(
    client: TestClient, reader: TopicReader
) -> None:
    for case in _bad_cases() * 3:
        kind, payload, status, _, _ = case
        assert (await post(client, kind, payload))[0] == status
    for _ in range(20):
        response = await client.post(
            f"/v1/sdk/{ANDROID_APP}/install", data=b"\xff\xfe" * 40_000, headers=KEY
        )
        assert response.status == 413
    status, answer = await post(client, "install", body(event_id="good-after-bad"))
    assert (status, answer["event_id"]) == (202, "good-after-bad")
    assert (await reader.one("installs")).value["event_id"] == "good-after-bad"


@pytest.mark.parametrize("event_id", ["ev-1", 'quote " and \\ slash', "é ü 日本", "\x00\n", "😀"])
def test_the_accepted_answer_is_what_json_response_writes(event_id: str) -> None:
    from aiohttp import web

    from attrib.collector.sdk import accepted

    ours = accepted(event_id)
    reference = web.json_response({"status": "accepted", "event_id": event_id}, status=202)
    assert ours.status == 202
    assert ours.body == reference.body
    assert ours.headers["Content-Type"] == reference.headers["Content-Type"]
    assert json.loads(ours.body)["event_id"] == event_id


async def test_a_body_arriving_after_its_headers_is_read_whole(
    client: TestClient, reader: TopicReader
) -> None:
    """The body is read from the stream when it was not all there with the headers."""
    payload = json.dumps(body(event_id="slow-body")).encode()
    server = client.server
    conn_reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(
            (
                f"POST /v1/sdk/{ANDROID_APP}/install HTTP/1.1\r\nHost: x\r\n"
                f"X-Attrib-Key: {SDK_KEY}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
            ).encode()
            + payload[:10]
        )
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.write(payload[10:])
        await writer.drain()
        answer = await asyncio.wait_for(conn_reader.read(), 10)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 202"), answer[:200]
    landed = await reader.one("installs")
    assert landed.value["event_id"] == "slow-body"


async def test_a_chunked_body_is_accepted(client: TestClient, reader: TopicReader) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        text = json.dumps(body(event_id="chunked-body")).encode()
        yield text[:7]
        yield text[7:]

    response = await client.post(f"/v1/sdk/{ANDROID_APP}/install", data=chunks(), headers=KEY)
    assert response.status == 202
    assert (await reader.one("installs")).value["event_id"] == "chunked-body"
