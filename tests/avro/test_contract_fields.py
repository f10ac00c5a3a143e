"""Every field the product contract names is carried by the schema of its record."""

from __future__ import annotations

from typing import Any

import pytest

from attrib import topics
from attrib.avro import codec, records

IDENTIFIERS = ["advertising_id", "idfa", "idfv", "android_id", "oaid", "customer_user_id"]
SDK_COMMON = [
    "event_id", "app_id", "device_key", *IDENTIFIERS, "platform", "app_version",
    "os_version", "ip", "user_agent", "event_time", "received_time",
]  # fmt: skip
ATTRIBUTION = [  # streams.md, Output record: attribution
    "attribution_id", "app_id", "device_key", "install_event_id", "conversion_type", "status",
    "install_time", "received_time", "decided_time", "touch_id", "touch_type", "touch_time",
    "match_type", "media_source", "campaign", "campaign_id", "adset", "adset_id", "ad", "ad_id",
    "site_id", "sub_site_id", "network_click_id", "is_retargeting", "ctit_seconds", "lookback",
    "contributors", "blocked_reason", "rejected_touches", "platform", "app_version", "os_version",
    "ip", "user_agent", *IDENTIFIERS,
]  # fmt: skip
REQUIRED_FIELDS: dict[str, list[str]] = {
    # http-api.md tracking-link parameters under analytics.md touches names
    "Touch": [
        "touch_id", "touch_type", "app_id", "device_key", "media_source", "campaign",
        "campaign_id", "adset", "adset_id", "ad", "ad_id", "site_id", "sub_site_id",
        "network_click_id", "advertising_id", "idfa", "android_id", "oaid", "ip", "user_agent",
        "is_retargeting", "click_lookback_ms", "view_lookback_ms", "touch_time", "received_time",
    ],
    "Install": [*SDK_COMMON, "install_referrer", "install_begin_ts"],
    "Session": SDK_COMMON,
    "InAppEvent": [*SDK_COMMON, "event_name", "revenue", "currency", "values"],
    "Attribution": ATTRIBUTION,
    "Reengagement": [  # analytics.md reengagements
        "reengagement_id", "app_id", "device_key", "session_event_id", "touch_id",
        "media_source", "campaign", "adset", "ad", "touch_time", "reengagement_time",
        "window_end",
    ],
    "AttributedEvent": [
        *SDK_COMMON, "event_name", "revenue", "currency", "values", "attribution_kind",
        "is_primary_attribution", "blocked_reason", "media_source", "campaign", "adset", "ad",
        "touch_type", "install_time", "conversion_type", "days_since_install",
    ],
    "PostbackDelivery": [  # analytics.md postback_deliveries
        "delivery_id", "attempt", "app_id", "kind", "media_source", "endpoint", "host",
        "status", "http_status", "latency_ms", "attempted_at", "next_attempt_at", "error",
    ],
    "DeadLetter": [
        "topic", "partition", "offset", "reason", "received_time", "raw", "key",
    ],
    "AppConfig": ["app_id", "version", "updated_time", "config_json"],
}  # fmt: skip


def _fields(name: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in codec.schema(name)["fields"]}


def test_every_topic_has_a_record_and_every_record_a_contract() -> None:
    assert set(records.TOPIC_RECORDS) == set(topics.ALL)
    assert set(records.TOPIC_RECORDS.values()) == set(codec.names()) == set(REQUIRED_FIELDS)


@pytest.mark.parametrize("name", sorted(REQUIRED_FIELDS))
def test_schema_carries_every_field_the_contract_names(name: str) -> None:
    missing = [f for f in REQUIRED_FIELDS[name] if f not in _fields(name)]
    assert missing == []


def test_attribution_nested_records() -> None:
    fields = _fields("Attribution")
    contributor = fields["contributors"]["type"]["items"]
    rejected = fields["rejected_touches"]["type"]["items"]
    assert [f["name"] for f in contributor["fields"]] == [
        "touch_id", "touch_type", "touch_time", "media_source", "campaign", "match_type",
    ]  # fmt: skip
    assert [f["name"] for f in rejected["fields"]] == ["touch_id", "media_source", "reason"]
    assert fields["lookback"]["type"] == ["null", "string"]


def test_revenue_is_decimal_text_and_values_a_string_map() -> None:
    for name in ("InAppEvent", "AttributedEvent"):
        fields = _fields(name)
        assert fields["revenue"]["type"] == ["null", "string"]
        assert fields["values"]["type"] == {"type": "map", "values": "string"}


def test_touch_device_key_is_optional_sdk_device_key_is_not() -> None:
    assert _fields("Touch")["device_key"]["type"] == ["null", "string"]
    for name in ("Install", "Session", "InAppEvent"):
        assert _fields(name)["device_key"]["type"] == "string"


def _walk(schema: Any):
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _walk(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _walk(value)


@pytest.mark.parametrize("name", codec.names())
def test_conventions(name: str) -> None:
    declared = codec.schema(name)
    assert declared["namespace"] == "attrib"
    assert not any("logicalType" in node for node in _walk(declared)), "times are plain longs"
    for node in _walk(declared):
        if "fields" not in node:
            continue
        for field in node["fields"]:
            kind = field["type"]
            if isinstance(kind, list):  # optional: null first, default null
                assert kind[0] == "null", field
                assert field.get("default", "absent") is None, field
            if field["name"].endswith(("_time", "_at", "_ts", "window_end")):
                assert kind in ("long", ["null", "long"]), field


def test_postback_delivery_has_no_secret() -> None:
    suspicious = ("secret", "signature", "token", "password", "url")
    assert [f for f in _fields("PostbackDelivery") if any(s in f for s in suspicious)] == []
