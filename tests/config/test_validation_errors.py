"""Every class of invalid app configuration raises ConfigError naming the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from attrib.config import ConfigError, validate_app_config, validate_app_id
from attrib.config.limits import MAX_POSTBACKS, MAX_PUSH_ENDPOINTS, POSTBACK_MACROS

MINIMAL: dict[str, Any] = {"platform": "android", "store_url": "https://play.example/app"}


def body(**sections: Any) -> dict[str, Any]:
    doc = copy.deepcopy(MINIMAL)
    doc.update(sections)
    return doc


def error_for(doc: object, app_id: str = "com.example") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        validate_app_config(app_id, doc)
    return info.value


def postback(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"media_source": "netA", "install_url": "https://n.example/i"}
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not ...}


@pytest.mark.parametrize("doc", [[], "x", 3, None, True, [MINIMAL]])
def test_a_body_that_is_not_an_object_is_refused(doc: object) -> None:
    err = error_for(doc)
    assert err.field == "body"
    assert "JSON object" in err.reason


@pytest.mark.parametrize("missing", ["platform", "store_url"])
def test_platform_and_store_url_are_required(missing: str) -> None:
    doc = body()
    del doc[missing]
    assert error_for(doc).field == missing
    doc[missing] = None
    assert error_for(doc).field == missing


@pytest.mark.parametrize("platform", ["windows", "Android", "", 1, ["ios"]])
def test_platform_must_be_android_or_ios(platform: object) -> None:
    assert error_for(body(platform=platform)).field == "platform"


@pytest.mark.parametrize(
    "url",
    ["ftp://x.example/a", "play.example/app", "https://", "https:///path", "", 7, "https://a b/c"],
)
def test_store_url_must_be_an_http_url(url: object) -> None:
    assert error_for(body(store_url=url)).field == "store_url"


@pytest.mark.parametrize("app_id", ["", "a b", "a/b", "x" * 101, "é", "com.example?x"])
def test_app_id_syntax(app_id: str) -> None:
    assert error_for(body(), app_id=app_id).field == "app_id"


def test_app_id_of_101_characters_is_refused_100_accepted() -> None:
    assert validate_app_id("a" * 100) == "a" * 100
    with pytest.raises(ConfigError):
        validate_app_id("a" * 101)


def test_an_app_id_in_the_body_must_match_the_addressed_app() -> None:
    err = error_for(body(app_id="com.other"))
    assert err.field == "app_id"
    assert "com.other" in err.reason


@pytest.mark.parametrize("key", ["sdk_key", "platform"])
def test_sdk_key_and_platform_reject_non_strings(key: str) -> None:
    assert error_for(body(**{key: 123})).field == key


def test_an_empty_sdk_key_is_refused() -> None:
    assert error_for(body(sdk_key="")).field == "sdk_key"


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (body(colour="red"), "colour"),
        (body(attribution={"click_lookbak": "7d"}), "attribution.click_lookbak"),
        (body(fraud={"min_ctit": "1s", "extra": 1}), "fraud.extra"),
        (
            body(attribution={"per_media_source": {"netA": {"probabilistic_lookback": "1h"}}}),
            "attribution.per_media_source.netA.probabilistic_lookback",
        ),
        (body(postbacks=[postback(), postback(retries=3)]), "postbacks[1].retries"),
        (
            body(push_endpoints=[{"url": "https://h.example", "secret": "s", "x": 1}]),
            "push_endpoints[0].x",
        ),
    ],
)
def test_unknown_fields_are_refused_at_every_level(doc: dict[str, Any], field: str) -> None:
    err = error_for(doc)
    assert err.field == field
    assert "unknown field" in err.reason


@pytest.mark.parametrize(
    ("section", "value", "field"),
    [
        ("attribution", [], "attribution"),
        ("attribution", "7d", "attribution"),
        ("fraud", 5, "fraud"),
        ("postbacks", {}, "postbacks"),
        ("push_endpoints", "https://h.example", "push_endpoints"),
    ],
)
def test_sections_of_the_wrong_type_are_refused(section: str, value: object, field: str) -> None:
    assert error_for(body(**{section: value})).field == field


@pytest.mark.parametrize("value", ["7", "7w", "-1d", "1.5h", "seven days", "", 7, True, "d"])
@pytest.mark.parametrize(
    "setting",
    [
        "click_lookback",
        "view_lookback",
        "probabilistic_lookback",
        "probabilistic_view_lookback",
        "reattribution_window",
        "reengagement_window",
        "inactivity_period",
    ],
)
def test_invalid_attribution_durations(setting: str, value: object) -> None:
    assert error_for(body(attribution={setting: value})).field == f"attribution.{setting}"


@pytest.mark.parametrize("value", ["10", "ten seconds", 10, "1x"])
def test_invalid_min_ctit(value: object) -> None:
    assert error_for(body(fraud={"min_ctit": value})).field == "fraud.min_ctit"


# Each range's values just outside both ends (R8–R10, R19, R21, R23, R27).
OUT_OF_RANGE = [
    ("attribution", "click_lookback", "59m"),
    ("attribution", "click_lookback", "31d"),
    ("attribution", "click_lookback", "721h"),
    ("attribution", "click_lookback", "0h"),
    ("attribution", "view_lookback", "3599s"),
    ("attribution", "view_lookback", "25h"),
    ("attribution", "view_lookback", "86400001ms"),
    ("attribution", "probabilistic_lookback", "59m"),
    ("attribution", "probabilistic_lookback", "2d"),
    ("attribution", "probabilistic_view_lookback", "1441m"),
    ("attribution", "reattribution_window", "23h"),
    ("attribution", "reattribution_window", "731d"),
    ("attribution", "reengagement_window", "59m"),
    ("attribution", "reengagement_window", "91d"),
    ("attribution", "inactivity_period", "31d"),
    ("fraud", "min_ctit", "61m"),
    ("fraud", "min_ctit", "3600001ms"),
]


@pytest.mark.parametrize(("section", "setting", "value"), OUT_OF_RANGE)
def test_out_of_range_windows_are_refused(section: str, setting: str, value: str) -> None:
    err = error_for(body(**{section: {setting: value}}))
    assert err.field == f"{section}.{setting}"
    assert "out of range" in err.reason


@pytest.mark.parametrize(
    ("setting", "value"),
    [("click_lookback", "31d"), ("click_lookback", "30m"), ("view_lookback", "25h")],
)
def test_per_media_source_windows_share_the_app_ranges(setting: str, value: str) -> None:
    doc = body(attribution={"per_media_source": {"netA": {setting: value}}})
    err = error_for(doc)
    assert err.field == f"attribution.per_media_source.netA.{setting}"
    assert "out of range" in err.reason


def test_per_media_source_entries_must_be_objects() -> None:
    doc = body(attribution={"per_media_source": {"netA": "1d"}})
    assert error_for(doc).field == "attribution.per_media_source.netA"
    doc = body(attribution={"per_media_source": ["netA"]})
    assert error_for(doc).field == "attribution.per_media_source"


def test_per_media_source_invalid_duration() -> None:
    doc = body(attribution={"per_media_source": {"netA": {"view_lookback": "soon"}}})
    assert error_for(doc).field == "attribution.per_media_source.netA.view_lookback"


@pytest.mark.parametrize("value", [0, -1, 1.5, "50", True, [50]])
def test_max_touches_must_be_a_positive_integer(value: object) -> None:
    err = error_for(body(fraud={"max_touches_per_device_per_hour": value}))
    assert err.field == "fraud.max_touches_per_device_per_hour"


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        (["10.0.0.0/8", "not-an-ip"], "fraud.ip_blocklist[1]"),
        (["300.1.1.1"], "fraud.ip_blocklist[0]"),
        (["10.0.0.0/33"], "fraud.ip_blocklist[0]"),
        ([12], "fraud.ip_blocklist[0]"),
        ("10.0.0.0/8", "fraud.ip_blocklist"),
    ],
)
def test_ip_blocklist_entries_must_be_ips_or_cidrs(entries: object, field: str) -> None:
    assert error_for(body(fraud={"ip_blocklist": entries})).field == field


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        (["abc", 5], "fraud.blocked_devices[1]"),
        ([None], "fraud.blocked_devices[0]"),
        ([""], "fraud.blocked_devices[0]"),
        ("abc", "fraud.blocked_devices"),
    ],
)
def test_blocked_devices_must_be_strings(entries: object, field: str) -> None:
    assert error_for(body(fraud={"blocked_devices": entries})).field == field


def test_a_postback_needs_a_media_source() -> None:
    assert error_for(body(postbacks=[postback(media_source=...)])).field == (
        "postbacks[0].media_source"
    )
    assert error_for(body(postbacks=[postback(media_source="")])).field == (
        "postbacks[0].media_source"
    )
    assert error_for(body(postbacks=[postback(media_source=3)])).field == (
        "postbacks[0].media_source"
    )


def test_a_postback_needs_an_install_or_event_url() -> None:
    err = error_for(body(postbacks=[postback(install_url=...)]))
    assert err.field == "postbacks[0].install_url"
    assert "install_url or event_url" in err.reason


@pytest.mark.parametrize("key", ["install_url", "event_url"])
@pytest.mark.parametrize("url", ["ftp://n.example/x", "n.example/x", 5, "https://"])
def test_postback_urls_must_be_http(key: str, url: object) -> None:
    assert error_for(body(postbacks=[postback(**{key: url})])).field == f"postbacks[0].{key}"


@pytest.mark.parametrize(
    "url",
    [
        "https://n.example/i?c={click_id}",
        "https://n.example/i?c={CLICKID}",
        "https://n.example/i?c={}",
        "https://n.example/i?c={gaid}",
        "https://n.example/i?c={clickid}&x={customer_user_id}",
    ],
)
def test_unknown_macros_are_refused(url: str) -> None:
    err = error_for(body(postbacks=[postback(), postback(event_url=url)]))
    assert err.field == "postbacks[1].event_url"
    assert "unknown macro" in err.reason


@pytest.mark.parametrize(
    "url", ["https://n.example/i?c={clickid", "https://n.example/i?c=clickid}"]
)
def test_unbalanced_braces_are_refused(url: str) -> None:
    err = error_for(body(postbacks=[postback(install_url=url)]))
    assert err.field == "postbacks[0].install_url"


def test_every_macro_of_r34_is_accepted() -> None:
    url = "https://n.example/i?" + "&".join(f"{m}={{{m}}}" for m in sorted(POSTBACK_MACROS))
    config = validate_app_config("com.example", body(postbacks=[postback(install_url=url)]))
    assert config.postbacks[0].install_url == url
    assert len(POSTBACK_MACROS) == 19


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ("purchase", "postbacks[0].events"),
        (["purchase", 3], "postbacks[0].events[1]"),
        ([""], "postbacks[0].events[0]"),
        ({"purchase": True}, "postbacks[0].events"),
    ],
)
def test_postback_events_must_be_a_list_of_strings(events: object, field: str) -> None:
    assert error_for(body(postbacks=[postback(events=events)])).field == field


@pytest.mark.parametrize("window", ["forever", "Lifetime", 30, "30", "-1d"])
def test_event_window_is_lifetime_or_a_duration(window: object) -> None:
    err = error_for(body(postbacks=[postback(event_window=window)]))
    assert err.field == "postbacks[0].event_window"


@pytest.mark.parametrize("value", ["true", 1, 0, "yes"])
def test_send_all_installs_must_be_a_boolean(value: object) -> None:
    err = error_for(body(postbacks=[postback(send_all_installs=value)]))
    assert err.field == "postbacks[0].send_all_installs"


@pytest.mark.parametrize("entry", ["https://n.example", 3, ["netA"]])
def test_postback_entries_must_be_objects(entry: object) -> None:
    assert error_for(body(postbacks=[entry])).field == "postbacks[0]"


def test_at_most_100_postbacks() -> None:
    many = [postback(media_source=f"net{i}") for i in range(MAX_POSTBACKS + 1)]
    err = error_for(body(postbacks=many))
    assert err.field == "postbacks"
    assert "at most 100" in err.reason
    config = validate_app_config("com.example", body(postbacks=many[:MAX_POSTBACKS]))
    assert len(config.postbacks) == MAX_POSTBACKS


def push(url: object = "https://h.example/hook", secret: object = "key") -> dict[str, object]:
    return {"url": url, "secret": secret}


def test_at_most_6_push_endpoints() -> None:
    err = error_for(body(push_endpoints=[push()] * (MAX_PUSH_ENDPOINTS + 1)))
    assert err.field == "push_endpoints"
    assert "at most 6" in err.reason
    config = validate_app_config("com.example", body(push_endpoints=[push()] * 6))
    assert len(config.push_endpoints) == 6


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (push(url="ftp://h.example"), "push_endpoints[0].url"),
        (push(url=None), "push_endpoints[0].url"),
        (push(url=5), "push_endpoints[0].url"),
        (push(secret=""), "push_endpoints[0].secret"),
        (push(secret=None), "push_endpoints[0].secret"),
        (push(secret=42), "push_endpoints[0].secret"),
        ({"url": "https://h.example"}, "push_endpoints[0].secret"),
        ("https://h.example", "push_endpoints[0]"),
    ],
)
def test_push_endpoint_entries(entry: object, field: str) -> None:
    assert error_for(body(push_endpoints=[entry])).field == field


def test_error_message_names_field_and_reason() -> None:
    err = error_for(body(attribution={"click_lookback": "31d"}))
    assert str(err).startswith("attribution.click_lookback: ")
    assert "1h" in err.reason
    assert "30d" in err.reason
