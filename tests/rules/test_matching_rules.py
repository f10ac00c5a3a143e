"""R5–R7: referrer, id and probabilistic matches; invalid ids; other devices."""

from __future__ import annotations

import pytest
from rules_builders import (
    DEFAULTS,
    DEVICE_IDS,
    HOUR,
    IP,
    OTHER_DEVICE_IDS,
    PIXEL_UA,
    T0,
    click,
    impression,
    install,
    prob_click,
)

from attrib.identifiers import normalise_identifiers
from attrib.rules.decide import decide
from attrib.rules.matching import deep_link_touch_id, referrer_touch_id


def test_r5_referrer_match_names_the_click() -> None:
    named = click("c-named", T0 - HOUR, identifiers={})
    decision = decide(
        install(referrer_touch_id="c-named", identifiers=DEVICE_IDS), [named], DEFAULTS, None
    )
    assert decision.winner == named
    assert decision.match_type == "referrer"


def test_r5_referrer_of_another_apps_click_does_not_match() -> None:
    foreign = click("c-named", T0 - HOUR, identifiers={}, app_id="other.app")
    decision = decide(install(referrer_touch_id="c-named"), [foreign], DEFAULTS, None)
    assert decision.status == "organic"


def test_r5_an_impression_is_never_matched_by_referrer() -> None:
    named = impression("i-named", T0 - HOUR, identifiers={})
    decision = decide(install(referrer_touch_id="i-named"), [named], DEFAULTS, None)
    assert decision.status == "organic"


def test_r5_id_match_on_a_shared_identifier() -> None:
    decision = decide(install(), [click("c1", T0 - HOUR)], DEFAULTS, None)
    assert decision.match_type == "id"


def test_r5_id_match_with_an_id_of_another_device_fails() -> None:
    decision = decide(
        install(ip=None), [click("c1", T0 - HOUR, identifiers=OTHER_DEVICE_IDS)], DEFAULTS, None
    )
    assert decision.status == "organic"


def test_r5_probabilistic_match_uses_the_install_platform_without_user_agent() -> None:
    decision = decide(install(user_agent=None), [prob_click("p1", T0 - HOUR)], DEFAULTS, None)
    assert decision.match_type == "probabilistic"


@pytest.mark.parametrize(
    ("install_fields", "touch_fields"),
    [
        ({"ip": "198.51.100.8"}, {}),  # another IP
        ({"ip": None}, {}),  # install without IP
        ({"os_version": "13"}, {}),  # another OS major
        ({"platform": "ios", "os_version": "14"}, {}),  # another OS family
        ({}, {"user_agent": None}),  # touch names no OS
        ({}, {"app_id": "other.app"}),
    ],
)
def test_r5_probabilistic_needs_same_app_ip_family_and_major(
    install_fields: dict[str, object], touch_fields: dict[str, object]
) -> None:
    decision = decide(
        install(**install_fields), [prob_click("p1", T0 - HOUR, **touch_fields)], DEFAULTS, None
    )
    assert decision.status == "organic"


def test_r5_install_user_agent_beats_its_platform() -> None:
    other_model = PIXEL_UA.replace("Pixel 8", "SM-S918B")
    decision = decide(
        install(user_agent=other_model), [prob_click("p1", T0 - HOUR)], DEFAULTS, None
    )
    assert decision.status == "organic"  # models differ; platform alone would have matched
    same_model = decide(install(user_agent=PIXEL_UA), [prob_click("p1", T0 - HOUR)], DEFAULTS, None)
    assert same_model.match_type == "probabilistic"


def test_r5_chrome_reduced_user_agent_placeholder_model_matches_any_model() -> None:
    reduced = "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 Chrome/120.0.0.0 Mobile"
    decision = decide(
        install(user_agent=PIXEL_UA),
        [prob_click("p1", T0 - HOUR, user_agent=reduced)],
        DEFAULTS,
        None,
    )
    assert decision.match_type == "probabilistic"


def test_r5_referrer_is_parsed_from_the_play_install_referrer() -> None:
    assert referrer_touch_id("attrib_touch_id=t-123&pid=netA") == "t-123"
    assert referrer_touch_id("attrib_touch_id%3Dt-123%26pid%3DnetA") == "t-123"
    assert referrer_touch_id("utm_source=google-play&utm_medium=organic") is None
    assert referrer_touch_id("attrib_touch_id=&pid=netA") is None
    assert referrer_touch_id(None) is None


def test_r6_all_zero_idfa_never_matches() -> None:
    zeros = normalise_identifiers({"idfa": "00000000-0000-0000-0000-000000000000"})
    decision = decide(
        install(identifiers=zeros, ip=None),
        [click("c1", T0 - HOUR, identifiers=zeros)],
        DEFAULTS,
        None,
    )
    assert decision.status == "organic"


def test_r6_unknown_android_id_never_matches() -> None:
    ids = normalise_identifiers({"android_id": "unknown"})
    decision = decide(
        install(identifiers=ids, ip=None), [click("c1", T0 - HOUR, identifiers=ids)], DEFAULTS, None
    )
    assert decision.status == "organic"


def test_r7_touch_with_another_devices_id_is_never_matched_probabilistically() -> None:
    other_device = prob_click("p1", T0 - HOUR, identifiers=OTHER_DEVICE_IDS)
    decision = decide(install(), [other_device], DEFAULTS, None)
    assert decision.status == "organic"


def test_r7_an_id_type_the_install_lacks_does_not_exclude() -> None:
    touch = prob_click("p1", T0 - HOUR, identifiers={"oaid": "oaid-of-someone"})
    decision = decide(install(ip=IP), [touch], DEFAULTS, None)
    assert decision.match_type == "probabilistic"


def test_r23_a_deep_link_names_its_click_in_the_query_or_a_fragment() -> None:
    assert deep_link_touch_id("mygame://promo?attrib_touch_id=t-1&pid=netR") == "t-1"
    assert deep_link_touch_id("https://go.example.com/o?x=1&attrib_touch_id=t-2") == "t-2"
    assert deep_link_touch_id("mygame://promo#/offer?attrib_touch_id=t-3") == "t-3"
    assert deep_link_touch_id("mygame://promo?attrib_touch_id%3Dt-4") == "t-4"
    assert deep_link_touch_id("mygame://promo?utm_source=mail") is None
    assert deep_link_touch_id("mygame://promo?attrib_touch_id=") is None
    assert deep_link_touch_id("http://[::1/bad?attrib_touch_id=t-5") is None  # unreadable link
    assert deep_link_touch_id("") is None
    assert deep_link_touch_id(None) is None
