"""The device profile of a user agent or an SDK's platform: OS family, OS major, model.

Probabilistic matching (R5) compares these three facts, so this module only
extracts what is needed for that comparison, not a full user-agent parse.
Families are ``ios`` (iPadOS and iPod included: apps name one platform,
``ios``, for all three), ``android``, ``windows`` and ``macos``; anything else
has no profile and so never matches probabilistically. Models are lowercase
with single spaces. Placeholder models (Chrome's reduced user agent
``Linux; Android 10; K``, Firefox's ``Mobile`` / ``Tablet``, WebView's ``wv``)
count as no model.

Profiles of user agents are cached: a campaign sends many touches from few
distinct user agents, and the decision path parses the same strings again
for every install it compares them with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

IOS: Final = "ios"
ANDROID: Final = "android"
WINDOWS: Final = "windows"
MACOS: Final = "macos"


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    """What R5 compares: OS family, OS major version and device model (``None`` = unnamed)."""

    os_family: str
    os_major: int
    model: str | None = None

    def matches(self, other: DeviceProfile) -> bool:
        """Same family and major version, and the same model when both name one (R5)."""
        return (
            self.os_family == other.os_family
            and self.os_major == other.os_major
            and (self.model is None or other.model is None or self.model == other.model)
        )


_IOS_DEVICE = re.compile(r"\((iPhone|iPad|iPod(?: touch)?);[^)]*?\b(?:i?OS|iPadOS) (\d+)", re.I)
_ANDROID_PAREN = re.compile(r"\(([^()]*\bAndroid[ /](\d+)[^()]*)\)", re.I)
_ANDROID_BARE = re.compile(r"\bAndroid[ /](\d+)", re.I)
_BUILD_SUFFIX = re.compile(r"\s+Build/.*$", re.I)
_LOCALE = re.compile(r"[a-z]{2}(?:[-_][a-z]{2,4})?", re.I)
_WINDOWS = re.compile(r"\bWindows NT (\d+)", re.I)
_MACOS = re.compile(r"\bMac OS X (\d+)", re.I)
_MAJOR = re.compile(r"\s*(\d+)")
_SPACES = re.compile(r"\s+")

#: Segments of an Android user agent's parentheses that are not a device model.
_NOT_A_MODEL: Final = frozenset({"", "k", "linux", "u", "mobile", "tablet", "wv", "tv"})

_PLATFORM_FAMILIES: Final = {
    "ios": IOS,
    "ipados": IOS,
    "iphone": IOS,
    "ipad": IOS,
    "android": ANDROID,
    "windows": WINDOWS,
    "macos": MACOS,
    "mac": MACOS,
    "osx": MACOS,
}


def _clean_model(text: str) -> str | None:
    model = _SPACES.sub(" ", text.strip()).lower()
    return None if model in _NOT_A_MODEL else model


def _android_model(inside: str) -> str | None:
    """The model named inside an Android UA's parentheses, after the ``Android N`` segment."""
    segments = [s.strip() for s in inside.split(";")]
    after = False
    for segment in segments:
        if not after:
            after = bool(_ANDROID_BARE.match(segment))
            continue
        candidate = _BUILD_SUFFIX.sub("", segment)
        if _LOCALE.fullmatch(candidate) or candidate.lower().startswith("rv:"):
            continue
        model = _clean_model(candidate)
        if model is not None:
            return model
    return None


@lru_cache(maxsize=4096)
def profile_from_user_agent(user_agent: str | None) -> DeviceProfile | None:
    """The profile a user agent names, or ``None`` when it names no known OS and version."""
    if not user_agent:
        return None
    match = _IOS_DEVICE.search(user_agent)
    if match is not None:
        return DeviceProfile(IOS, int(match.group(2)), _clean_model(match.group(1)))
    match = _ANDROID_PAREN.search(user_agent)
    if match is not None:
        return DeviceProfile(ANDROID, int(match.group(2)), _android_model(match.group(1)))
    match = _ANDROID_BARE.search(user_agent)
    if match is not None:
        return DeviceProfile(ANDROID, int(match.group(1)))
    match = _WINDOWS.search(user_agent)
    if match is not None:
        return DeviceProfile(WINDOWS, int(match.group(1)))
    match = _MACOS.search(user_agent)
    if match is not None:
        return DeviceProfile(MACOS, int(match.group(1)))
    return None


@lru_cache(maxsize=1024)
def profile_from_platform(platform: str | None, os_version: str | None) -> DeviceProfile | None:
    """The profile of an SDK's ``platform`` and ``os_version`` (``android``, ``14.1``); no model."""
    if not platform or not os_version:
        return None
    family = _PLATFORM_FAMILIES.get(platform.strip().lower())
    match = _MAJOR.match(os_version)
    if family is None or match is None:
        return None
    return DeviceProfile(family, int(match.group(1)))


def install_profile(
    user_agent: str | None, platform: str | None, os_version: str | None
) -> DeviceProfile | None:
    """An install's profile: from its user agent when that names an OS, else its platform (R5).

    A user agent that names no OS (``okhttp/4.12``) falls back to the
    platform too: R5 says "from its user_agent when present", and a string
    that tells nothing is treated as absent rather than as a non-match.
    """
    return profile_from_user_agent(user_agent) or profile_from_platform(platform, os_version)
