"""How a touch is tied to an install: referrer, id or probabilistic match (R5–R7).

A touch gets at most one match type, the strongest that holds: ``referrer``
(the install names the click), then ``id`` (a shared valid identifier), then
``probabilistic`` (same IP and device profile). Touches of another app never
match. The strongest is taken because the match type decides the window
(R8–R11) and the tier (R13) and a deterministic identification beats a
statistical one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from attrib.identifiers import conflicting_id, ids_match
from attrib.rules.model import CLICK, ID, PROBABILISTIC, REFERRER, Install, MatchType, Touch
from attrib.rules.useragent import DeviceProfile, install_profile, profile_from_user_agent

#: The install-referrer parameter in which the collector names the click (http-api.md).
REFERRER_TOUCH_ID_PARAM: Final = "attrib_touch_id"


class MatchedTouch(NamedTuple):
    """A touch, how it matched, and the window that applies to it."""

    touch: Touch
    match_type: MatchType
    window_ms: int


def referrer_touch_id(install_referrer: str | None) -> str | None:
    """The ``attrib_touch_id`` named by a Play install referrer, else ``None``.

    Accepts the referrer as Play hands it over (``attrib_touch_id=...&pid=...``)
    and once more URL-encoded, as some SDKs forward it.
    """
    if not install_referrer:
        return None
    text = install_referrer.strip()
    if REFERRER_TOUCH_ID_PARAM + "=" not in text and "%3d" in text.lower():
        text = unquote(text)
    values = parse_qs(text).get(REFERRER_TOUCH_ID_PARAM)
    return values[0] if values and values[0] else None


def deep_link_touch_id(deep_link: str | None) -> str | None:
    """The ``attrib_touch_id`` named by the deep link that opened the app, else ``None``.

    The retargeting click's redirect carries it as a query parameter of the
    link (``myapp://promo?attrib_touch_id=...``, or an https universal link);
    some routers move the query into the fragment, which is read when the
    query names no click.
    """
    if not deep_link:
        return None
    try:
        parts = urlsplit(deep_link.strip())
    except ValueError:  # e.g. an unbalanced IPv6 bracket: not a link we can read
        return None
    fragment = parts.fragment.split("?", 1)[-1]  # "#/promo?attrib_touch_id=..." too
    return referrer_touch_id(parts.query) or referrer_touch_id(fragment)


def match_by_referrer_or_id(
    touch: Touch, referrer_touch_id: str | None, identifiers: Mapping[str, str]
) -> MatchType | None:
    """``referrer`` when the click is the one named, ``id`` when an identifier is shared (R5, R6).

    Only clicks are named by referrers: the collector writes the referrer on a
    click's store redirect, and impressions redirect nowhere. Identifiers are
    normalised, so invalid values (R6) are already absent and never match.
    """
    if (
        referrer_touch_id is not None
        and touch.touch_type == CLICK
        and touch.touch_id == referrer_touch_id
    ):
        return REFERRER
    if touch.identifiers and ids_match(touch.identifiers, identifiers) is not None:
        return ID
    return None


def matches_probabilistically(
    touch: Touch, install: Install, profile: DeviceProfile | None
) -> bool:
    """Same IP and device profile, and no identifier naming another device (R5, R7).

    ``profile`` is the install's (:func:`install_profile_of`), computed once
    per install by the caller. Either side without an IP or a profile never
    matches.
    """
    if profile is None or not touch.ip or touch.ip != install.ip:
        return False
    if touch.identifiers and conflicting_id(touch.identifiers, install.identifiers) is not None:
        return False
    touch_profile = profile_from_user_agent(touch.user_agent)
    return touch_profile is not None and touch_profile.matches(profile)


def install_profile_of(install: Install) -> DeviceProfile | None:
    """The install's device profile: from its user agent, else platform and OS version (R5)."""
    return install_profile(install.user_agent, install.platform, install.os_version)


def match_type_of(
    touch: Touch, install: Install, profile: DeviceProfile | None
) -> MatchType | None:
    """The strongest way ``touch`` matches ``install``, or ``None`` (R5–R7)."""
    if touch.app_id != install.app_id:
        return None
    kind = match_by_referrer_or_id(touch, install.referrer_touch_id, install.identifiers)
    if kind is not None:
        return kind
    return PROBABILISTIC if matches_probabilistically(touch, install, profile) else None
