"""Fraud rules: touches rejected for an install (R27–R29) and blocked installs (R31).

Rejection is per touch and per install: a rejected touch stays in the
decision's ``rejected_touches`` and can never win (R30), but the same touch
may be fine for another install. Each rejected touch carries one reason, the
first that applies of ``click_injection`` (R28: the click came after the
download began, the strongest evidence), ``ctit_too_short`` (R27) and
``too_many_engagements`` (R29).

R29 as resolved here: the count is per media source, of the touches matched
to this install by referrer or id, clicks and impressions alike (the rule
names both; AppsFlyer's "too many engagements" reason is likewise about
engagements of any kind tied to the device), in ``[T0 - 1h, T0]`` with both
ends inclusive like every window. A probabilistic match is not evidence that
this device was flooded, so it does not count; but once a source is over
the limit every one of its eligible touches for the install is rejected,
probabilistic and older ones included ("all of its touches").
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence

from attrib.identifiers import CUSTOMER_USER_ID
from attrib.rules.matching import MatchedTouch
from attrib.rules.model import (
    CLICK,
    PROBABILISTIC,
    BlockedReason,
    Install,
    IPNetwork,
    RejectReason,
    RuleSettings,
)
from attrib.rules.windows import ENGAGEMENT_COUNT_WINDOW_MS


def parse_ip_blocklist(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The networks of ``ip_blocklist`` entries (``203.0.113.0/24``, a bare address = one host).

    Raises ``ValueError`` on a malformed entry (the admin API refuses those).
    """
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs)


def normalise_blocked_devices(values: Iterable[str]) -> frozenset[str]:
    """``blocked_devices`` in the form :func:`blocked_reason` compares: stripped, lowercase."""
    return frozenset(v.strip().lower() for v in values if v.strip())


def _ip_blocked(ip: str | None, networks: tuple[IPNetwork, ...]) -> bool:
    if not ip or not networks:
        return False
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def _device_blocked(identifiers: Mapping[str, str], blocked: frozenset[str]) -> bool:
    if not blocked:
        return False
    for kind, value in identifiers.items():
        if (value.lower() if kind == CUSTOMER_USER_ID else value) in blocked:
            return True
    return False


def blocked_reason(install: Install, settings: RuleSettings) -> BlockedReason | None:
    """``ip_blocklist`` or ``device_blocklist`` when the install is blocked (R31), else ``None``.

    ``blocked_devices`` lists identifier values of any type (http-api.md), so
    every identifier of the install is looked up, customer_user_id included
    (case-insensitively, like the others). An IPv4-mapped IPv6 address is
    checked as its IPv4 address. When both lists apply, ``ip_blocklist`` is
    reported, the first the rule names.
    """
    if _ip_blocked(install.ip, settings.ip_blocklist):
        return "ip_blocklist"
    if _device_blocked(install.identifiers, settings.blocked_devices):
        return "device_blocklist"
    return None


def flooding_sources(
    candidates: Sequence[MatchedTouch], install_time: int, limit: int
) -> frozenset[str]:
    """Media sources with more than ``limit`` referrer/id touches in the hour up to T0 (R29)."""
    counts: dict[str, int] = {}
    start = install_time - ENGAGEMENT_COUNT_WINDOW_MS
    for touch, match_type, _ in candidates:
        if match_type != PROBABILISTIC and start <= touch.touch_time <= install_time:
            source = touch.media_source
            counts[source] = counts.get(source, 0) + 1
    return frozenset(source for source, count in counts.items() if count > limit)


def rejections(
    candidates: Sequence[MatchedTouch], install: Install, settings: RuleSettings
) -> dict[str, RejectReason]:
    """``touch_id`` → reason for each candidate a fraud rule rejects (R27–R29).

    ``candidates`` are the touches eligible for the install (matched, inside
    their window); the R29 hour lies inside every referrer/id window (the
    shortest is 1h), so counting among them counts every matched touch.
    """
    t0 = install.install_time
    begin = install.install_begin_ts
    min_ctit = settings.min_ctit_ms
    flooding = (
        flooding_sources(candidates, t0, settings.max_touches_per_device_per_hour)
        if len(candidates) > settings.max_touches_per_device_per_hour
        else frozenset()
    )
    out: dict[str, RejectReason] = {}
    for touch, _, _ in candidates:
        if touch.touch_type == CLICK:
            if begin is not None and touch.touch_time > begin:
                out[touch.touch_id] = "click_injection"
                continue
            if t0 - touch.touch_time < min_ctit:
                out[touch.touch_id] = "ctit_too_short"
                continue
        if touch.media_source in flooding:
            out[touch.touch_id] = "too_many_engagements"
    return out
