"""``--set``: applied like an admin PUT, refused with the path named when it cannot apply."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attrib.config import validate_app_config
from attrib.replay.overrides import OverrideError, apply_overrides, parse_override
from attrib.replay.run import lookback_ms

HOUR = 3_600_000
DAY = 24 * HOUR
CONFIG = validate_app_config(
    "app.o",
    {
        "platform": "android",
        "store_url": "https://play.google.com/store/apps/details?id=x",
        "attribution": {"per_media_source": {"netA": {"view_lookback": "12h"}}},
        "postbacks": [{"media_source": "netA", "install_url": "https://n.example/i"}],
    },
)


def test_no_set_is_the_same_configuration() -> None:
    assert apply_overrides(CONFIG, []) is CONFIG


@given(st.integers(min_value=1, max_value=30 * 24))
def test_any_click_window_in_range_applies(hours: int) -> None:
    changed = apply_overrides(CONFIG, [f"attribution.click_lookback={hours}h"])
    assert changed.attribution.click_lookback_ms == hours * HOUR
    # everything else is kept: the other windows, the overrides, postbacks, the key
    assert changed.attribution.view_lookback_ms == CONFIG.attribution.view_lookback_ms
    assert changed.attribution.view_lookback_ms_for("netA") == 12 * HOUR
    assert (changed.postbacks, changed.sdk_key) == (CONFIG.postbacks, CONFIG.sdk_key)


@given(st.integers(min_value=31, max_value=10_000))
def test_a_click_window_over_thirty_days_is_refused(days: int) -> None:
    with pytest.raises(OverrideError, match=r"attribution\.click_lookback"):
        apply_overrides(CONFIG, [f"attribution.click_lookback={days}d"])


def test_media_sources_is_shorthand_for_per_media_source() -> None:
    changed = apply_overrides(CONFIG, ["media_sources.netB.click_lookback=2d"])
    assert changed.attribution.click_lookback_ms_for("netB") == 2 * DAY
    assert changed.attribution.click_lookback_ms_for("netA") == 7 * DAY
    assert changed.attribution.view_lookback_ms_for("netA") == 12 * HOUR


def test_json_values_and_several_sets() -> None:
    changed = apply_overrides(
        CONFIG,
        [
            "fraud.max_touches_per_device_per_hour=5",
            'fraud.ip_blocklist=["10.0.0.0/8"]',
            "fraud.min_ctit=0s",
        ],
    )
    assert changed.fraud.max_touches_per_device_per_hour == 5
    assert changed.fraud.ip_blocked("10.1.2.3")
    assert changed.fraud.min_ctit_ms == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("attribution.click_lookbak=1d", "attribution.click_lookbak: unknown field"),
        ("fraud.max_touches_per_device_per_hour=0", "must be a positive integer"),
        ('fraud.ip_blocklist=["not-a-network"]', "fraud.ip_blocklist[0]"),
        ("media_sources.netA.click_lookbak=1d", "per_media_source.netA.click_lookbak"),
        ("media_sources.netA=1d", "expected media_sources.SOURCE."),
        ("platform=ios", "unknown section 'platform'"),
        ("attribution=1d", "name a setting inside the section"),
        ("attribution..click_lookback=1d", "empty name"),
        ("attribution.click_lookback.x=1d", "attribution.click_lookback is a setting"),
        ("=1d", "expected PATH=VALUE"),
    ],
)
def test_refusals_name_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(OverrideError) as caught:
        apply_overrides(CONFIG, [text])
    assert message in str(caught.value)
    assert str(caught.value).startswith("--set ")


def test_parse_override() -> None:
    assert parse_override("attribution.click_lookback=1d") == (
        ["attribution", "click_lookback"],
        "1d",
    )
    assert parse_override("media_sources.x.view_lookback=2h")[0] == [
        "attribution",
        "per_media_source",
        "x",
        "view_lookback",
    ]


def test_the_lookback_covers_the_widest_window_of_either_configuration() -> None:
    assert lookback_ms(CONFIG) == 90 * DAY  # the default reattribution window
    short = apply_overrides(
        CONFIG, ["attribution.reattribution_window=2d", "attribution.reengagement_window=1d"]
    )
    assert lookback_ms(short) == 30 * DAY  # a tracking link may ask for a 30-day click window
    assert lookback_ms(short, CONFIG) == 90 * DAY
