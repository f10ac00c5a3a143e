"""Output records and app configurations for the delivery tests (plain dicts, as decoded)."""

from __future__ import annotations

from typing import Any

from attrib.config import AppConfig, validate_app_config

APP = "com.example.deliver"
T0 = 1_767_225_600_000  # 2026-01-01 00:00:00 UTC
SECRET = "s3cr3t-push-key"


def app_config(
    postbacks: list[dict[str, Any]] | None = None,
    push: list[str] | None = None,
    app_id: str = APP,
) -> AppConfig:
    return validate_app_config(
        app_id,
        {
            "platform": "android",
            "store_url": "https://play.google.com/store/apps/details?id=com.example",
            "postbacks": postbacks or [],
            "push_endpoints": [{"url": url, "secret": SECRET} for url in push or []],
        },
    )


def attribution(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "attribution_id": "att-1",
        "app_id": APP,
        "device_key": "advertising_id:3f1b7c2e-8a9d-4b6e-9c1f-2d3e4f5a6b7c",
        "install_event_id": "ev-install-1",
        "conversion_type": "install",
        "status": "non_organic",
        "install_time": T0,
        "received_time": T0 + 150,
        "decided_time": T0 + 1_200,
        "touch_id": "touch-1",
        "touch_type": "click",
        "touch_time": T0 - 60_000,
        "match_type": "id",
        "media_source": "network_a",
        "campaign": "spring sale",
        "campaign_id": None,
        "adset": "a&b",
        "adset_id": None,
        "ad": "ad/1",
        "ad_id": None,
        "site_id": "site 9",
        "sub_site_id": None,
        "network_click_id": "clk=42",
        "is_retargeting": False,
        "ctit_seconds": 60,
        "lookback": "7d",
        "contributors": [
            {
                "touch_id": "touch-0",
                "touch_type": "impression",
                "touch_time": T0 - 120_000,
                "media_source": "network_b",
                "campaign": None,
                "match_type": "id",
            }
        ],
        "blocked_reason": None,
        "rejected_touches": [],
        "platform": "android",
        "app_version": "1.0",
        "os_version": "14",
        "ip": "203.0.113.7",
        "user_agent": None,
        "advertising_id": "3f1b7c2e-8a9d-4b6e-9c1f-2d3e4f5a6b7c",
        "idfa": None,
        "idfv": None,
        "android_id": None,
        "oaid": None,
        "customer_user_id": None,
    }
    record.update(fields)
    return record


def organic(**fields: Any) -> dict[str, Any]:
    touchless = {
        name: None
        for name in (
            "touch_id",
            "touch_type",
            "touch_time",
            "match_type",
            "campaign",
            "adset",
            "ad",
            "site_id",
            "network_click_id",
            "ctit_seconds",
            "lookback",
        )
    }
    base: dict[str, Any] = {"status": "organic", "media_source": "organic", "contributors": []}
    return attribution(**{**base, **touchless, **fields})


def reengagement(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "reengagement_id": "re-1",
        "app_id": APP,
        "device_key": "advertising_id:3f1b7c2e-8a9d-4b6e-9c1f-2d3e4f5a6b7c",
        "session_event_id": "ev-session-1",
        "touch_id": "touch-rt",
        "match_type": "id",
        "media_source": "network_a",
        "campaign": "winback",
        "adset": None,
        "ad": None,
        "touch_time": T0 + 86_400_000,
        "reengagement_time": T0 + 86_500_000,
        "window_end": T0 + 86_500_000 + 30 * 86_400_000,
        "decided_time": T0 + 86_501_000,
    }
    record.update(fields)
    return record


def attributed_event(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "event_id": "ev-purchase-1",
        "app_id": APP,
        "device_key": "advertising_id:3f1b7c2e-8a9d-4b6e-9c1f-2d3e4f5a6b7c",
        "advertising_id": "3f1b7c2e-8a9d-4b6e-9c1f-2d3e4f5a6b7c",
        "idfa": None,
        "idfv": None,
        "android_id": None,
        "oaid": None,
        "customer_user_id": None,
        "platform": "android",
        "app_version": "1.0",
        "os_version": "14",
        "ip": "203.0.113.7",
        "user_agent": None,
        "event_name": "purchase",
        "revenue": "9.99",
        "currency": "USD",
        "values": {},
        "event_time": T0 + 3_600_000,
        "received_time": T0 + 3_600_100,
        "attribution_kind": "user_acquisition",
        "is_primary_attribution": True,
        "attribution_id": "att-1",
        "reengagement_id": None,
        "conversion_type": "install",
        "blocked_reason": None,
        "media_source": "network_a",
        "campaign": "spring sale",
        "adset": None,
        "ad": None,
        "touch_type": "click",
        "touch_id": "touch-1",
        "touch_time": T0 - 60_000,
        "match_type": "id",
        "site_id": None,
        "network_click_id": "clk=42",
        "install_time": T0,
        "days_since_install": 0,
    }
    record.update(fields)
    return record
