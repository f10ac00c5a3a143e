"""Defaults, boundaries, round trips and the engine's helpers of the app config model."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from attrib.config import (
    ConfigError,
    clamp_window,
    config_from_json_dict,
    validate_app_config,
)
from attrib.config.limits import DAY_MS, HOUR_MS

MINIMAL: dict[str, Any] = {"platform": "ios", "store_url": "https://apps.example/id1"}

FULL: dict[str, Any] = {
    "platform": "android",
    "store_url": "https://play.google.com/store/apps/details?id=com.example",
    "sdk_key": "secret",
    "attribution": {
        "click_lookback": "7d",
        "view_lookback": "24h",
        "probabilistic_lookback": "24h",
        "probabilistic_view_lookback": "0h",
        "reattribution_window": "90d",
        "reengagement_window": "30d",
        "inactivity_period": "0d",
        "per_media_source": {"netA": {"click_lookback": "1d"}},
    },
    "fraud": {
        "min_ctit": "10s",
        "max_touches_per_device_per_hour": 50,
        "ip_blocklist": ["203.0.113.0/24"],
        "blocked_devices": [],
    },
    "postbacks": [
        {
            "media_source": "netA",
            "install_url": "https://neta.example/pb?click={clickid}&ts={install_unix_ts}",
            "event_url": "https://neta.example/ev?click={clickid}&e={event_name}&v={revenue}",
            "events": ["purchase"],
            "event_window": "lifetime",
            "send_all_installs": False,
        }
    ],
    "push_endpoints": [{"url": "https://advertiser.example/hook", "secret": "hmac-key"}],
}


def test_the_spec_example_is_valid_and_returned_as_stored() -> None:
    config = validate_app_config("com.example", FULL)
    assert config.to_json_dict() == {"app_id": "com.example", **FULL}


def test_defaults_are_filled_for_a_minimal_config() -> None:
    doc = validate_app_config("com.example", MINIMAL).to_json_dict()
    assert doc["attribution"] == {
        "click_lookback": "7d",
        "view_lookback": "24h",
        "probabilistic_lookback": "24h",
        "probabilistic_view_lookback": "0h",
        "reattribution_window": "90d",
        "reengagement_window": "30d",
        "inactivity_period": "0d",
        "per_media_source": {},
    }
    assert doc["fraud"] == {
        "min_ctit": "10s",
        "max_touches_per_device_per_hour": 50,
        "ip_blocklist": [],
        "blocked_devices": [],
    }
    assert doc["postbacks"] == []
    assert doc["push_endpoints"] == []
    assert doc["app_id"] == "com.example"


def test_defaults_are_filled_key_by_key_inside_sections() -> None:
    config = validate_app_config(
        "a",
        {**MINIMAL, "attribution": {"view_lookback": "2h"}, "fraud": {"blocked_devices": ["x"]}},
    )
    assert config.attribution.view_lookback == "2h"
    assert config.attribution.click_lookback == "7d"
    assert config.attribution.reattribution_window_ms == 90 * DAY_MS
    assert config.fraud.min_ctit_ms == 10_000
    assert config.fraud.max_touches_per_device_per_hour == 50
    assert config.fraud.blocked_devices == ("x",)


def test_null_counts_as_absent_for_optional_keys() -> None:
    config = validate_app_config(
        "a",
        {
            **MINIMAL,
            "attribution": {"click_lookback": None},
            "fraud": None,
            "postbacks": [{"media_source": "n", "install_url": None, "event_url": "http://e.x"}],
        },
    )
    assert config.attribution.click_lookback == "7d"
    assert config.fraud.min_ctit == "10s"
    assert config.postbacks[0].install_url is None
    assert "install_url" not in config.to_json_dict()["postbacks"][0]


def test_postback_defaults() -> None:
    config = validate_app_config(
        "a", {**MINIMAL, "postbacks": [{"media_source": "n", "event_url": "https://e.x/{ad}"}]}
    )
    postback = config.postbacks[0]
    assert postback.events == ()
    assert postback.event_window == "lifetime"
    assert postback.event_window_ms is None
    assert postback.send_all_installs is False
    assert postback.install_url is None


def test_event_window_duration_is_kept_in_milliseconds() -> None:
    config = validate_app_config(
        "a",
        {
            **MINIMAL,
            "postbacks": [{"media_source": "n", "event_url": "https://e.x", "event_window": "7d"}],
        },
    )
    assert config.postbacks[0].event_window_ms == 7 * DAY_MS


def test_sdk_key_is_generated_when_absent_and_kept_when_given() -> None:
    first = validate_app_config("a", MINIMAL)
    second = validate_app_config("a", MINIMAL)
    assert len(first.sdk_key) >= 20
    assert first.sdk_key != second.sdk_key
    assert validate_app_config("a", {**MINIMAL, "sdk_key": "mine"}).sdk_key == "mine"


def test_an_existing_sdk_key_is_kept_when_the_body_has_none() -> None:
    assert validate_app_config("a", MINIMAL, existing_sdk_key="old").sdk_key == "old"
    given = validate_app_config("a", {**MINIMAL, "sdk_key": "new"}, existing_sdk_key="old")
    assert given.sdk_key == "new"


def test_secrets_stay_out_of_repr() -> None:
    config = validate_app_config("com.example", FULL)
    assert "secret" not in repr(config).replace("push_endpoints", "")
    assert "hmac-key" not in repr(config)


# Both ends of every range are inside (R8–R10, R19, R21, R23, R27).
BOUNDARIES = [
    ("attribution", "click_lookback", "1h", HOUR_MS),
    ("attribution", "click_lookback", "30d", 30 * DAY_MS),
    ("attribution", "click_lookback", "720h", 30 * DAY_MS),
    ("attribution", "view_lookback", "1h", HOUR_MS),
    ("attribution", "view_lookback", "24h", DAY_MS),
    ("attribution", "view_lookback", "3600000ms", HOUR_MS),
    ("attribution", "probabilistic_lookback", "60m", HOUR_MS),
    ("attribution", "probabilistic_lookback", "1d", DAY_MS),
    ("attribution", "probabilistic_view_lookback", "0h", 0),
    ("attribution", "probabilistic_view_lookback", "24h", DAY_MS),
    ("attribution", "reattribution_window", "1d", DAY_MS),
    ("attribution", "reattribution_window", "730d", 730 * DAY_MS),
    ("attribution", "reengagement_window", "1h", HOUR_MS),
    ("attribution", "reengagement_window", "90d", 90 * DAY_MS),
    ("attribution", "inactivity_period", "0d", 0),
    ("attribution", "inactivity_period", "30d", 30 * DAY_MS),
    ("fraud", "min_ctit", "0s", 0),
    ("fraud", "min_ctit", "1h", HOUR_MS),
]


@pytest.mark.parametrize(("section", "setting", "text", "ms"), BOUNDARIES)
def test_range_boundaries_are_inclusive(section: str, setting: str, text: str, ms: int) -> None:
    config = validate_app_config("a", {**MINIMAL, section: {setting: text}})
    part = getattr(config, section)
    assert getattr(part, setting) == text
    assert getattr(part, f"{setting}_ms") == ms


def test_per_media_source_boundaries_are_inclusive() -> None:
    config = validate_app_config(
        "a",
        {
            **MINIMAL,
            "attribution": {
                "per_media_source": {
                    "low": {"click_lookback": "1h", "view_lookback": "1h"},
                    "high": {"click_lookback": "30d", "view_lookback": "24h"},
                }
            },
        },
    )
    assert config.attribution.click_lookback_ms_for("low") == HOUR_MS
    assert config.attribution.click_lookback_ms_for("high") == 30 * DAY_MS
    assert config.attribution.view_lookback_ms_for("high") == DAY_MS


def test_max_touches_accepts_one() -> None:
    config = validate_app_config("a", {**MINIMAL, "fraud": {"max_touches_per_device_per_hour": 1}})
    assert config.fraud.max_touches_per_device_per_hour == 1


def test_durations_are_stored_without_spaces() -> None:
    config = validate_app_config("a", {**MINIMAL, "attribution": {"click_lookback": " 12 h "}})
    assert config.attribution.click_lookback == "12h"
    assert config.attribution.click_lookback_ms == 12 * HOUR_MS


def test_lookback_for_a_media_source_honours_its_override() -> None:
    config = validate_app_config(
        "a",
        {
            **MINIMAL,
            "attribution": {
                "click_lookback": "10d",
                "view_lookback": "12h",
                "per_media_source": {"netA": {"click_lookback": "1d"}, "netB": {}},
            },
        },
    )
    attribution = config.attribution
    assert attribution.click_lookback_ms_for("netA") == DAY_MS
    assert attribution.view_lookback_ms_for("netA") == 12 * HOUR_MS
    assert attribution.click_lookback_ms_for("netB") == 10 * DAY_MS
    assert attribution.click_lookback_ms_for("other") == 10 * DAY_MS
    assert attribution.click_lookback_ms_for(None) == 10 * DAY_MS
    assert attribution.per_media_source["netA"].view_lookback is None


def test_round_trip_through_the_json_document() -> None:
    config = validate_app_config("com.example", FULL)
    again = config_from_json_dict(json.loads(json.dumps(config.to_json_dict())))
    assert again == config
    assert again.to_json_dict() == config.to_json_dict()
    minimal = validate_app_config("m", MINIMAL)
    assert config_from_json_dict(minimal.to_json_dict()) == minimal


def test_canonical_json_is_sorted_and_compact() -> None:
    text = validate_app_config("com.example", FULL).to_canonical_json()
    assert json.loads(text)["app_id"] == "com.example"
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def test_from_json_dict_requires_app_id_and_sdk_key() -> None:
    doc = validate_app_config("a", MINIMAL).to_json_dict()
    with pytest.raises(ConfigError) as info:
        config_from_json_dict({k: v for k, v in doc.items() if k != "sdk_key"})
    assert info.value.field == "sdk_key"
    with pytest.raises(ConfigError) as info:
        config_from_json_dict({k: v for k, v in doc.items() if k != "app_id"})
    assert info.value.field == "app_id"


def test_the_model_is_immutable() -> None:
    config = validate_app_config("com.example", FULL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.platform = "ios"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.attribution.per_media_source["x"] = None  # type: ignore[index]
    assert isinstance(config.postbacks, tuple)
    assert isinstance(config.fraud.ip_blocklist, tuple)


def test_fraud_helpers() -> None:
    config = validate_app_config(
        "a",
        {
            **MINIMAL,
            "fraud": {
                "ip_blocklist": ["203.0.113.0/24", "2001:db8::1"],
                "blocked_devices": ["AbC-1"],
            },
        },
    )
    fraud = config.fraud
    assert fraud.ip_blocked("203.0.113.77")
    assert fraud.ip_blocked("2001:db8::1")
    assert not fraud.ip_blocked("203.0.114.1")
    assert not fraud.ip_blocked("garbage")
    assert not fraud.ip_blocked(None)
    assert fraud.device_blocked([None, "abc-1"])
    assert not fraud.device_blocked(["abc-2"])


def test_postbacks_for_a_media_source() -> None:
    config = validate_app_config(
        "a",
        {
            **MINIMAL,
            "postbacks": [
                {"media_source": "netA", "install_url": "https://a.x/1"},
                {"media_source": "netB", "install_url": "https://b.x/1"},
            ],
        },
    )
    assert [p.install_url for p in config.postbacks_for("netB")] == ["https://b.x/1"]
    assert config.postbacks_for("netC") == ()


@pytest.mark.parametrize(
    ("name", "ms", "expected"),
    [
        ("click_lookback", 0, HOUR_MS),
        ("click_lookback", 40 * DAY_MS, 30 * DAY_MS),
        ("click_lookback", 2 * DAY_MS, 2 * DAY_MS),
        ("view_lookback", 48 * HOUR_MS, DAY_MS),
    ],
)
def test_clamp_window(name: str, ms: int, expected: int) -> None:
    assert clamp_window(name, ms) == expected
