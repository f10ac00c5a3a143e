"""The click redirect's Location for Android (Play install referrer) and iOS apps."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from attrib.collector.redirects import store_redirect_url
from attrib.rules.matching import referrer_touch_id

TID = "06H1KXYKG3PXZ5MCDQRC1A85N0"


def test_android_appends_the_referrer_to_an_existing_query() -> None:
    url = store_redirect_url(
        "android", "https://play.google.com/store/apps/details?id=com.ex", TID, "netA"
    )
    assert url == (
        "https://play.google.com/store/apps/details?id=com.ex"
        f"&referrer=attrib_touch_id%3D{TID}%26pid%3DnetA"
    )


def test_android_starts_a_query_when_there_is_none_and_keeps_the_fragment() -> None:
    url = store_redirect_url("android", "https://play.example/details#top", TID, "n")
    assert url == f"https://play.example/details?referrer=attrib_touch_id%3D{TID}%26pid%3Dn#top"


def test_a_media_source_with_separators_cannot_inject_referrer_parameters() -> None:
    url = store_redirect_url("android", "https://play.example/d?id=x", TID, "net&attrib_touch_id=X")
    (referrer,) = parse_qs(urlsplit(url).query)["referrer"]  # what Play hands the app
    assert parse_qs(referrer) == {"attrib_touch_id": [TID], "pid": ["net&attrib_touch_id=X"]}
    assert referrer_touch_id(referrer) == TID  # what the engine reads back (R5)


def test_ios_gets_the_store_url_as_is() -> None:
    store = "https://apps.apple.com/us/app/example/id1234567890?mt=8"
    assert store_redirect_url("ios", store, TID, "netA") == store


def test_non_ascii_store_urls_are_percent_encoded() -> None:
    url = store_redirect_url("ios", "https://apps.apple.com/fr/app/café/id1", TID, "n")
    assert url == "https://apps.apple.com/fr/app/caf%C3%A9/id1"
