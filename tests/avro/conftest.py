"""One realistic record of every schema, shared by the Avro tests."""

from __future__ import annotations

from typing import Any

import pytest

T0 = 1_764_000_000_000
IDS = {
    "advertising_id": "38400000-8cf0-11bd-b23e-10b96e40000d",
    "idfa": None,
    "android_id": "9774d56d682e549c",
    "oaid": None,
}
SDK = {
    "event_id": "7d3c6a1e-0a52-4a8e-9a43-7b8c5b8f2f10",
    "app_id": "com.example.game",
    "device_key": "advertising_id:38400000-8cf0-11bd-b23e-10b96e40000d",
    **IDS,
    "idfv": None,
    "customer_user_id": "user-42",
    "platform": "android",
    "app_version": "1.2.0",
    "os_version": "14",
    "ip": "198.51.100.7",
    "user_agent": "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UD1A.230803.041)",
}


def _samples() -> dict[str, dict[str, Any]]:
    touch = {
        "touch_id": "t-0001",
        "touch_type": "click",
        "app_id": "com.example.game",
        "device_key": SDK["device_key"],
        "media_source": "netA",
        "campaign": "spring",
        "campaign_id": "c-1",
        "adset": "as",
        "adset_id": "as-1",
        "ad": "banner",
        "ad_id": "ad-1",
        "site_id": "site-9",
        "sub_site_id": None,
        "network_click_id": "nclk-77",
        **IDS,
        "ip": "198.51.100.7",
        "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8)",
        "is_retargeting": False,
        "click_lookback_ms": 12 * 3_600_000,
        "view_lookback_ms": None,
        "touch_time": T0 - 60_000,
        "received_time": T0 - 59_990,
    }
    event_fields = {
        **SDK,
        "event_name": "purchase",
        "revenue": "9.99",
        "currency": "USD",
        "values": {"sku": "gold", "qty": "1"},
        "event_time": T0 + 3_600_000,
        "received_time": T0 + 3_600_050,
    }
    attribution = {
        "attribution_id": "a-1",
        "app_id": "com.example.game",
        "device_key": SDK["device_key"],
        "install_event_id": SDK["event_id"],
        "conversion_type": "install",
        "status": "non_organic",
        "install_time": T0,
        "received_time": T0 + 20,
        "decided_time": T0 + 1_030,
        "touch_id": "t-0001",
        "touch_type": "click",
        "touch_time": T0 - 60_000,
        "match_type": "id",
        "media_source": "netA",
        "campaign": "spring",
        "campaign_id": "c-1",
        "adset": "as",
        "adset_id": "as-1",
        "ad": "banner",
        "ad_id": "ad-1",
        "site_id": "site-9",
        "sub_site_id": None,
        "network_click_id": "nclk-77",
        "is_retargeting": False,
        "ctit_seconds": 60,
        "lookback": "7d",
        "contributors": [
            {
                "touch_id": "t-0000",
                "touch_type": "impression",
                "touch_time": T0 - 120_000,
                "media_source": "netB",
                "campaign": None,
                "match_type": "id",
            }
        ],
        "blocked_reason": None,
        "rejected_touches": [
            {"touch_id": "t-0002", "media_source": "netC", "reason": "ctit_too_short"}
        ],
        "platform": "android",
        "app_version": "1.2.0",
        "os_version": "14",
        "ip": "198.51.100.7",
        "user_agent": SDK["user_agent"],
        **IDS,
        "idfv": None,
        "customer_user_id": "user-42",
    }
    return {
        "Touch": touch,
        "Install": {
            **SDK,
            "install_referrer": "attrib_touch_id=t-0001&pid=netA",
            "install_begin_ts": T0 - 30_000,
            "event_time": T0,
            "received_time": T0 + 20,
        },
        "Session": {
            **SDK,
            "event_time": T0 + 86_400_000,
            "received_time": T0 + 86_400_010,
            "deep_link": "mygame://promo?attrib_touch_id=06H1KXYKG3PXZ5MCDQRC1A85N0",
            "referrer_touch_id": "06H1KXYKG3PXZ5MCDQRC1A85N0",
        },
        "InAppEvent": event_fields,
        "AppConfig": {
            "app_id": "com.example.game",
            "version": 3,
            "updated_time": T0 - 86_400_000,
            "config_json": '{"platform":"android"}',
        },
        "Attribution": attribution,
        "Reengagement": {
            "reengagement_id": "r-1",
            "app_id": "com.example.game",
            "device_key": SDK["device_key"],
            "session_event_id": "s-1",
            "touch_id": "t-0009",
            "match_type": "id",
            "media_source": "netA",
            "campaign": "winback",
            "adset": None,
            "ad": None,
            "touch_time": T0 + 40 * 86_400_000,
            "reengagement_time": T0 + 40 * 86_400_000 + 5_000,
            "window_end": T0 + 70 * 86_400_000 + 5_000,
            "decided_time": T0 + 40 * 86_400_000 + 6_100,
        },
        "AttributedEvent": {
            **event_fields,
            "attribution_kind": "user_acquisition",
            "is_primary_attribution": True,
            "attribution_id": "a-1",
            "reengagement_id": None,
            "conversion_type": "install",
            "blocked_reason": None,
            "media_source": "netA",
            "campaign": "spring",
            "adset": "as",
            "ad": "banner",
            "touch_type": "click",
            "touch_id": "t-0001",
            "touch_time": T0 - 60_000,
            "match_type": "id",
            "site_id": "site-9",
            "network_click_id": "nclk-77",
            "install_time": T0,
            "days_since_install": 0,
        },
        "PostbackDelivery": {
            "delivery_id": "d-1",
            "attempt": 2,
            "app_id": "com.example.game",
            "kind": "install",
            "media_source": "netA",
            "endpoint": "",
            "host": "neta.example",
            "status": "retry",
            "http_status": 503,
            "latency_ms": 120,
            "attempted_at": T0 + 2_000,
            "next_attempt_at": T0 + 302_000,
            "error": "HTTP 503",
            "subject_id": "a-1",
        },
        "DeadLetter": {
            "topic": "attrib.clicks",
            "partition": 1,
            "offset": 42,
            "reason": "bad_marker",
            "detail": "starts with 7b22, expected c301",
            "received_time": T0,
            "raw": b'{"not": "avro"}',
            "raw_size": 15,
            "key": b"com.example.game|advertising_id:38400000",
        },
    }


@pytest.fixture
def sample_records() -> dict[str, dict[str, Any]]:
    """Record name -> one complete, realistic record of its latest version."""
    return _samples()
