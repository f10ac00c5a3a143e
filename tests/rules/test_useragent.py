"""Device profiles from user agents and SDK platforms (R5's probabilistic comparison)."""

from __future__ import annotations

import pytest

from attrib.rules.useragent import (
    DeviceProfile,
    install_profile,
    profile_from_platform,
    profile_from_user_agent,
)


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            DeviceProfile("ios", 17, "iphone"),
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15",
            DeviceProfile("ios", 16, "ipad"),
        ),
        ("MyGame/2.1 (iPhone; iOS 18.0; Scale/3.00)", DeviceProfile("ios", 18, "iphone")),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 Chrome/119.0 Mobile",
            DeviceProfile("android", 13, "sm-s918b"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/120.0.0.0 Mobile",
            DeviceProfile("android", 10, None),
        ),
        (
            "Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A.230805.001)",
            DeviceProfile("android", 13, "pixel 7"),
        ),
        (
            "Mozilla/5.0 (Linux; U; Android 4.4.2; en-us; SM-G900F Build/KOT49H) AppleWebKit",
            DeviceProfile("android", 4, "sm-g900f"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) AppleWebKit",
            DeviceProfile("android", 12, "sm-g991b"),
        ),
        (
            "Mozilla/5.0 (Android 13; Mobile; rv:120.0) Gecko/120.0 Firefox/120.0",
            DeviceProfile("android", 13, None),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120",
            DeviceProfile("windows", 10, None),
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15",
            DeviceProfile("macos", 10, None),
        ),
    ],
)
def test_profile_from_user_agent(user_agent: str, expected: DeviceProfile) -> None:
    assert profile_from_user_agent(user_agent) == expected


@pytest.mark.parametrize("user_agent", [None, "", "okhttp/4.12.0", "curl/8.4.0"])
def test_user_agents_naming_no_os_have_no_profile(user_agent: str | None) -> None:
    assert profile_from_user_agent(user_agent) is None


@pytest.mark.parametrize(
    ("platform", "os_version", "expected"),
    [
        ("android", "14", DeviceProfile("android", 14)),
        ("Android", "13.0.1", DeviceProfile("android", 13)),
        ("ios", "17.1.2", DeviceProfile("ios", 17)),
        ("ipados", "16.0", DeviceProfile("ios", 16)),
        ("ios", None, None),
        ("tizen", "7", None),
        ("android", "beta", None),
    ],
)
def test_profile_from_platform(
    platform: str, os_version: str | None, expected: DeviceProfile | None
) -> None:
    assert profile_from_platform(platform, os_version) == expected


def test_install_falls_back_to_platform_when_its_user_agent_names_no_os() -> None:
    assert install_profile("okhttp/4.12.0", "android", "14") == DeviceProfile("android", 14)
    pixel = "Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A)"
    assert install_profile(pixel, "android", "14") == DeviceProfile("android", 13, "pixel 7")


def test_profiles_match_on_family_major_and_named_models_only() -> None:
    pixel = DeviceProfile("android", 14, "pixel 8")
    assert pixel.matches(DeviceProfile("android", 14, None))
    assert pixel.matches(DeviceProfile("android", 14, "pixel 8"))
    assert not pixel.matches(DeviceProfile("android", 14, "pixel 7"))
    assert not pixel.matches(DeviceProfile("android", 13, "pixel 8"))
    assert not pixel.matches(DeviceProfile("ios", 14, None))
