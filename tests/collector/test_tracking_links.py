"""Tracking links on the real broker: the touch that lands in Kafka, redirects, bad input."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from attrib.collector.touch_ids import touch_id_time_ms
from attrib.config.limits import DAY_MS, HOUR_MS

from .conftest import ANDROID_APP, ANDROID_STORE, IOS_APP, IOS_STORE, ClientFactory, TopicReader

pytestmark = pytest.mark.integration

GAID = "38400000-8CF0-11BD-B23E-10B96E40000D"
UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


async def test_click_lands_on_clicks_with_every_field_and_redirects_to_play(
    client: TestClient, reader: TopicReader
) -> None:
    ts = now_ms() - 60_000
    before = now_ms()
    response = await client.get(
        f"/v1/click/{ANDROID_APP}",
        params={
            "pid": "netA",
            "c": "spring",
            "af_c_id": "c-1",
            "af_adset": "lookalike",
            "af_adset_id": "as-7",
            "af_ad": "video15",
            "af_ad_id": "ad-4",
            "af_siteid": "pub-9",
            "af_sub_siteid": "sub-3",
            "clickid": "nclk-42",
            "advertising_id": GAID,
            "idfa": "00000000-0000-0000-0000-000000000000",  # tracking not allowed: dropped
            "android_id": "9774D56D682E549C",
            "oaid": "",
            "is_retargeting": "true",
            "af_click_lookback": "12h",
            "af_viewthrough_lookback": "2h",
            "ts": str(ts),
            "ip": "198.51.100.7",
            "ua": UA,
        },
        allow_redirects=False,
    )
    after = now_ms()
    assert response.status == 302, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    location = response.headers["Location"]
    landed = await reader.one("clicks")
    touch = landed.value
    touch_id = touch.pop("touch_id")
    received = touch.pop("received_time")
    assert before <= received <= after
    assert before <= touch_id_time_ms(touch_id) <= after
    assert touch == {
        "touch_type": "click",
        "app_id": ANDROID_APP,
        "device_key": f"advertising_id:{GAID.lower()}",
        "media_source": "netA",
        "campaign": "spring",
        "campaign_id": "c-1",
        "adset": "lookalike",
        "adset_id": "as-7",
        "ad": "video15",
        "ad_id": "ad-4",
        "site_id": "pub-9",
        "sub_site_id": "sub-3",
        "network_click_id": "nclk-42",
        "advertising_id": GAID.lower(),
        "idfa": None,
        "android_id": "9774d56d682e549c",
        "oaid": None,
        "ip": "198.51.100.7",
        "user_agent": UA,
        "is_retargeting": True,
        "click_lookback_ms": 12 * HOUR_MS,
        "view_lookback_ms": 2 * HOUR_MS,
        "touch_time": ts,
    }
    assert landed.topic.endswith(".clicks")
    assert landed.key == f"{ANDROID_APP}|advertising_id:{GAID.lower()}".encode()

    # Android: the Play store URL plus the install referrer naming this click.
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == ANDROID_STORE.split("?")[0]
    query = parse_qs(parts.query)
    assert query["id"] == ["com.example.game"]
    assert query["referrer"] == [f"attrib_touch_id={touch_id}&pid=netA"]


async def test_ios_click_redirects_to_the_store_url_as_is(
    client: TestClient, reader: TopicReader
) -> None:
    response = await client.get(
        f"/v1/click/{IOS_APP}", params={"pid": "netB"}, allow_redirects=False
    )
    assert response.status == 302
    assert response.headers["Location"] == IOS_STORE
    landed = await reader.one("clicks")
    assert landed.value["app_id"] == IOS_APP
    assert landed.value["media_source"] == "netB"


async def test_a_touch_without_device_id_is_keyed_by_touch_id_and_records_the_peer(
    client: TestClient, reader: TopicReader
) -> None:
    response = await client.get(
        f"/v1/click/{ANDROID_APP}",
        params={"pid": "netA", "redirect": "false", "advertising_id": "not-a-uuid"},
        headers={"User-Agent": UA},
    )
    assert response.status == 200
    touch_id = (await response.json())["touch_id"]
    landed = await reader.one("clicks")
    assert landed.value["touch_id"] == touch_id
    assert landed.value["device_key"] is None
    assert landed.value["advertising_id"] is None
    assert landed.key == f"{ANDROID_APP}|{touch_id}".encode()
    assert landed.value["ip"] == "127.0.0.1"
    assert landed.value["user_agent"] == UA
    assert landed.value["touch_time"] == landed.value["received_time"]
    assert landed.value["click_lookback_ms"] is None
    assert landed.value["is_retargeting"] is False


async def test_impression_lands_on_impressions_with_every_field_and_answers_204(
    client: TestClient, reader: TopicReader
) -> None:
    response = await client.get(
        f"/v1/impression/{ANDROID_APP}",
        params={
            "pid": "netB",
            "c": "banner",
            "af_siteid": "pub-1",
            "idfa": "6D92078A-8246-4BA4-AE5B-76104861E7DC",
            "oaid": "OAID-77",
            "af_viewthrough_lookback": "6h",
        },
        headers={"User-Agent": UA},
    )
    assert response.status == 204
    landed = await reader.one("impressions")
    touch = landed.value
    touch_id = touch.pop("touch_id")
    received = touch.pop("received_time")
    assert touch == {
        "touch_type": "impression",
        "app_id": ANDROID_APP,
        "device_key": "idfa:6d92078a-8246-4ba4-ae5b-76104861e7dc",
        "media_source": "netB",
        "campaign": "banner",
        "campaign_id": None,
        "adset": None,
        "adset_id": None,
        "ad": None,
        "ad_id": None,
        "site_id": "pub-1",
        "sub_site_id": None,
        "network_click_id": None,
        "advertising_id": None,
        "idfa": "6d92078a-8246-4ba4-ae5b-76104861e7dc",
        "android_id": None,
        "oaid": "oaid-77",
        "ip": "127.0.0.1",
        "user_agent": UA,
        "is_retargeting": False,
        "click_lookback_ms": None,
        "view_lookback_ms": 6 * HOUR_MS,
        "touch_time": received,
    }
    assert touch_id_time_ms(touch_id) == received
    assert landed.topic.endswith(".impressions")
    assert landed.key == f"{ANDROID_APP}|idfa:6d92078a-8246-4ba4-ae5b-76104861e7dc".encode()

    response = await client.get(
        f"/v1/impression/{ANDROID_APP}", params={"pid": "netA", "redirect": "false"}
    )
    assert response.status == 200
    touch_id = (await response.json())["touch_id"]
    landed = await reader.read("impressions", 2)
    assert touch_id in {item.value["touch_id"] for item in landed}


async def test_out_of_range_lookbacks_are_clamped_and_the_touch_still_counts(
    client: TestClient, reader: TopicReader
) -> None:
    response = await client.get(
        f"/v1/click/{ANDROID_APP}",
        params={
            "pid": "netA",
            "redirect": "false",
            "af_click_lookback": "90d",
            "af_viewthrough_lookback": "10m",
        },
    )
    assert response.status == 200
    touch = (await reader.one("clicks")).value
    assert touch["click_lookback_ms"] == 30 * DAY_MS  # R12: 1h-30d
    assert touch["view_lookback_ms"] == HOUR_MS  # R12: 1h-24h


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({}, 400, "missing_parameter", "pid"),
        ({"pid": ""}, 400, "missing_parameter", "pid"),
        (
            {"pid": "n", "af_click_lookback": "a week"},
            400,
            "invalid_parameter",
            "af_click_lookback",
        ),
        (
            {"pid": "n", "af_viewthrough_lookback": "5"},
            400,
            "invalid_parameter",
            "af_viewthrough_lookback",
        ),
        ({"pid": "n", "ts": "yesterday"}, 400, "invalid_parameter", "ts"),
        (
            {"pid": "n", "ts": lambda: str(now_ms() + 11 * 60_000)},
            400,
            "timestamp_out_of_range",
            "ts",
        ),
        (
            {"pid": "n", "ts": lambda: str(now_ms() - 401 * DAY_MS)},
            400,
            "timestamp_out_of_range",
            "ts",
        ),
        ({"pid": "n", "is_retargeting": "maybe"}, 400, "invalid_parameter", "is_retargeting"),
        ({"pid": "n", "redirect": "nope"}, 400, "invalid_parameter", "redirect"),
        ({"pid": "n", "ip": "300.1.1.1"}, 400, "invalid_field", "ip"),
    ],
)
async def test_bad_link_parameters_are_400_naming_the_parameter(
    client: TestClient, params: dict[str, Any], status: int, code: str, field: str
) -> None:
    # Times are taken when the test runs, not when it was collected.
    params = {name: value() if callable(value) else value for name, value in params.items()}
    for path in (f"/v1/click/{ANDROID_APP}", f"/v1/impression/{ANDROID_APP}"):
        response = await client.get(path, params=params, allow_redirects=False)
        assert response.status == status
        body = await response.json()
        assert body["error"] == code
        assert body["field"] == field
        assert field in body["detail"]


async def test_unknown_app_is_404(client: TestClient) -> None:
    response = await client.get("/v1/click/com.nobody", params={"pid": "netA"})
    assert response.status == 404
    body = await response.json()
    assert body["error"] == "unknown_app"
    assert "com.nobody" in body["detail"]


async def test_ip_and_ua_overrides_are_ignored_from_untrusted_peers(
    make_client: ClientFactory, reader: TopicReader
) -> None:
    # Loopback is a trusted proxy but not a trusted S2S sender.
    client = await make_client(
        trusted_s2s_cidrs="10.255.0.0/16", trusted_proxy_cidrs="127.0.0.1/32"
    )
    response = await client.get(
        f"/v1/click/{ANDROID_APP}",
        params={"pid": "netA", "redirect": "false", "ip": "203.0.113.9", "ua": "forged"},
        headers={"X-Forwarded-For": "192.0.2.44, 10.0.0.1", "User-Agent": UA},
    )
    assert response.status == 200
    touch = (await reader.one("clicks")).value
    assert touch["ip"] == "192.0.2.44"  # first X-Forwarded-For hop
    assert touch["user_agent"] == UA

    # Neither trusted: the peer address, whatever the headers say.
    other = await make_client(trusted_s2s_cidrs="", trusted_proxy_cidrs="")
    response = await other.get(
        f"/v1/click/{ANDROID_APP}",
        params={"pid": "netA", "redirect": "false", "ip": "203.0.113.9"},
        headers={"X-Forwarded-For": "192.0.2.44"},
    )
    assert response.status == 200
    touches = await reader.read("clicks", 2)
    assert sorted(t.value["ip"] for t in touches) == ["127.0.0.1", "192.0.2.44"]
