"""The touch index: which keys a touch is filed under, which keys an install asks.

Three kinds of key, one per way of matching (R5):

=========  ================================  ==========================
kind       key                               horizon (largest window)
=========  ================================  ==========================
referrer   ``r|app|touch_id`` (clicks only)  30 d (click_lookback max)
id         ``i|app|type:value``              30 d (click_lookback max)
fingerprint ``p|app|ip|os family|os major``  24 h (probabilistic max)
=========  ================================  ==========================

A touch is kept under a key only while some window could still use it: the
horizon is the largest window any app may configure for that kind of match
(R8–R11; link overrides are clamped into the same ranges, R12), so pruning
never changes a decision. The device model is not part of the fingerprint:
R5 compares it only when both sides name one, which the rules check after
the lookup.
"""

from __future__ import annotations

from attrib.config.limits import WINDOW_RANGES_MS
from attrib.rules.matching import install_profile_of
from attrib.rules.model import CLICK, Install, Session, Touch
from attrib.rules.useragent import profile_from_user_agent

REFERRER = "r"
ID = "i"
FINGERPRINT = "p"

HORIZON_MS: dict[str, int] = {
    REFERRER: WINDOW_RANGES_MS["click_lookback"][1],
    ID: WINDOW_RANGES_MS["click_lookback"][1],
    FINGERPRINT: max(
        WINDOW_RANGES_MS["probabilistic_lookback"][1],
        WINDOW_RANGES_MS["probabilistic_view_lookback"][1],
    ),
}

#: At most this many touches per key, newest kept: far above R29's limit of
#: engagements per hour, so a click flood is still seen as one.
MAX_TOUCHES_PER_KEY = 1_000


def kind_of(key: str) -> str:
    return key[0]


def fingerprint_key(app_id: str, ip: str | None, os_family: str, os_major: int) -> str | None:
    if not ip:
        return None
    return f"{FINGERPRINT}|{app_id}|{ip}|{os_family}|{os_major}"


def touch_index_keys(touch: Touch) -> list[str]:
    """Every key the touch is filed under."""
    return index_keys(
        touch.app_id,
        touch.touch_type,
        touch.touch_id,
        touch.identifiers,
        touch.ip,
        touch.user_agent,
    )


def index_keys(
    app: str,
    touch_type: str,
    touch_id: str,
    identifiers: dict[str, str],
    ip: str | None,
    user_agent: str | None,
) -> list[str]:
    """Every key a touch of these fields is filed under (the intake calls this on the
    record's fields: building a whole :class:`Touch` per record cost it 4.5 µs)."""
    keys = []
    if touch_type == CLICK:
        keys.append(f"{REFERRER}|{app}|{touch_id}")
    for kind, value in sorted(identifiers.items()):
        keys.append(f"{ID}|{app}|{kind}:{value}")
    profile = profile_from_user_agent(user_agent)
    if profile is not None:
        key = fingerprint_key(app, ip, profile.os_family, profile.os_major)
        if key is not None:
            keys.append(key)
    return keys


def install_lookup_keys(install: Install) -> list[str]:
    """Every key under which a touch matching ``install`` may be filed."""
    app = install.app_id
    keys = []
    if install.referrer_touch_id:
        keys.append(f"{REFERRER}|{app}|{install.referrer_touch_id}")
    for kind, value in sorted(install.identifiers.items()):
        if kind in ("idfv", "customer_user_id"):
            continue  # never on touches (streams.md)
        keys.append(f"{ID}|{app}|{kind}:{value}")
    profile = install_profile_of(install)
    if profile is not None:
        key = fingerprint_key(app, install.ip, profile.os_family, profile.os_major)
        if key is not None:
            keys.append(key)
    return keys


def session_lookup_keys(session: Session) -> list[str]:
    """The keys under which a click re-engaging ``session`` may be filed (R23).

    Referrer and id only: probabilistic matches never re-engage.
    """
    app = session.app_id
    keys = []
    if session.referrer_touch_id:
        keys.append(f"{REFERRER}|{app}|{session.referrer_touch_id}")
    for kind, value in sorted(session.identifiers.items()):
        if kind in ("idfv", "customer_user_id"):
            continue  # never on touches (streams.md)
        keys.append(f"{ID}|{app}|{kind}:{value}")
    return keys
