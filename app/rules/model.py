"""The data the attribution rules read and write: plain, immutable, slotted.

These types are the whole vocabulary of :mod:`attrib.rules`; nothing in the
package knows about Avro, Kafka or the app-config model. The stream agents
build :class:`Touch`, :class:`Install` and :class:`Session` from records,
convert the app configuration into :class:`RuleSettings` once per version, and
turn a :class:`Decision` into an ``attributions`` record.

Every time is epoch milliseconds (event time, R1) and every duration is
milliseconds. Identifier mappings hold normalised values
(:func:`attrib.identifiers.normalise_identifiers`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

from attrib.config.limits import (
    ATTRIBUTION_DEFAULTS,
    MAX_TOUCHES_PER_DEVICE_PER_HOUR_DEFAULT,
    MIN_CTIT_DEFAULT,
)
from attrib.durations import parse_duration

TouchType = Literal["click", "impression"]
MatchType = Literal["referrer", "id", "probabilistic"]
ConversionType = Literal["install", "reinstall", "reattribution", "blocked"]
Status = Literal["non_organic", "organic", "blocked"]
RejectReason = Literal["click_injection", "ctit_too_short", "too_many_engagements"]
BlockedReason = Literal["ip_blocklist", "device_blocklist"]
AttributionKind = Literal["user_acquisition", "retargeting"]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

CLICK: Final = "click"
IMPRESSION: Final = "impression"
REFERRER: Final = "referrer"
ID: Final = "id"
PROBABILISTIC: Final = "probabilistic"
ORGANIC: Final = "organic"

_NO_IDS: Mapping[str, str] = MappingProxyType({})
_NO_SOURCES: Mapping[str, MediaSourceWindows] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Touch:
    """A click or an impression on an ad (topics ``clicks`` / ``impressions``)."""

    touch_id: str
    touch_type: TouchType
    app_id: str
    media_source: str
    touch_time: int
    identifiers: Mapping[str, str] = field(default_factory=lambda: _NO_IDS)
    campaign: str | None = None
    campaign_id: str | None = None
    adset: str | None = None
    adset_id: str | None = None
    ad: str | None = None
    ad_id: str | None = None
    site_id: str | None = None
    sub_site_id: str | None = None
    network_click_id: str | None = None
    is_retargeting: bool = False
    ip: str | None = None
    user_agent: str | None = None
    #: The link's ``af_click_lookback`` / ``af_viewthrough_lookback`` as given
    #: (unclamped; :mod:`attrib.rules.windows` clamps, R12), ``None`` when absent.
    click_lookback_ms: int | None = None
    view_lookback_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Install:
    """The first launch after an app was (re)installed; ``install_time`` is T0 (R1)."""

    event_id: str
    app_id: str
    device_key: str
    install_time: int
    identifiers: Mapping[str, str] = field(default_factory=lambda: _NO_IDS)
    received_time: int | None = None
    ip: str | None = None
    user_agent: str | None = None
    platform: str | None = None
    os_version: str | None = None
    #: The ``touch_id`` named by the Play install referrer
    #: (:func:`attrib.rules.matching.referrer_touch_id` parses it), else ``None``.
    referrer_touch_id: str | None = None
    #: Play API install begin time (R28), else ``None``.
    install_begin_ts: int | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """A later app launch, the occasion for a re-engagement (R23)."""

    event_id: str
    app_id: str
    device_key: str
    session_time: int
    identifiers: Mapping[str, str] = field(default_factory=lambda: _NO_IDS)
    #: A click's ``touch_id`` named by the launch (a deep link), else ``None``.
    referrer_touch_id: str | None = None


@dataclass(frozen=True, slots=True)
class MediaSourceWindows:
    """One media source's overrides of the app's windows (R11); ``None`` keeps the app's."""

    click_lookback_ms: int | None = None
    view_lookback_ms: int | None = None


def _default_ms(name: str) -> int:
    return parse_duration(ATTRIBUTION_DEFAULTS[name])


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """The per-app settings the rules read, in milliseconds; defaults of attribution-rules.md.

    Built from the app configuration in force when a decision is made (R22).
    Windows are trusted to be in range (the admin API refuses others, R12);
    only a link's overrides are clamped here.
    """

    click_lookback_ms: int = _default_ms("click_lookback")
    view_lookback_ms: int = _default_ms("view_lookback")
    probabilistic_lookback_ms: int = _default_ms("probabilistic_lookback")
    #: ``0`` switches probabilistic impressions off (R10).
    probabilistic_view_lookback_ms: int = _default_ms("probabilistic_view_lookback")
    per_media_source: Mapping[str, MediaSourceWindows] = field(default_factory=lambda: _NO_SOURCES)
    reattribution_window_ms: int = _default_ms("reattribution_window")
    reengagement_window_ms: int = _default_ms("reengagement_window")
    #: ``0`` switches the inactivity condition off (R21).
    inactivity_period_ms: int = _default_ms("inactivity_period")
    min_ctit_ms: int = parse_duration(MIN_CTIT_DEFAULT)
    max_touches_per_device_per_hour: int = MAX_TOUCHES_PER_DEVICE_PER_HOUR_DEFAULT
    ip_blocklist: tuple[IPNetwork, ...] = ()
    #: Normalised identifier values of any type (R31).
    blocked_devices: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class DeviceHistory:
    """What the app knows of a device before the install or session being decided."""

    #: Time of the device's first install.
    first_install_time: int
    #: Time of the install that created the current attribution (an ``install``
    #: or ``reattribution``; a ``reinstall`` creates none). R19 counts from here.
    attribution_install_time: int
    #: Time of the device's latest install of any kind (R23: re-engaging
    #: clicks come after it).
    last_install_time: int
    #: Time of the latest install or session (R21).
    last_activity_time: int
    known: bool = True
    #: Whether the device's latest install decision is ``blocked`` (R23).
    blocked: bool = False


@dataclass(frozen=True, slots=True)
class Contributor:
    """An eligible, non-rejected touch other than the winner (R16)."""

    touch_id: str
    touch_type: TouchType
    touch_time: int
    media_source: str
    campaign: str | None
    match_type: MatchType


@dataclass(frozen=True, slots=True)
class RejectedTouch:
    """A touch refused by a fraud rule (R27–R30)."""

    touch_id: str
    media_source: str
    reason: RejectReason


@dataclass(frozen=True, slots=True)
class Decision:
    """The attribution of one install.

    For a ``blocked`` install, ``winner`` and the fields describing it are the
    touch that would have won (R31). ``is_retargeting`` says whether this is
    a retargeting conversion (a re-attribution); a first install won by a
    retargeting touch is user acquisition, as in AppsFlyer, and the touch's
    own flag stays readable as ``winner.is_retargeting``.
    """

    conversion_type: ConversionType
    status: Status
    winner: Touch | None = None
    match_type: MatchType | None = None
    #: The window applied to the winner, e.g. ``"7d"`` (R12).
    lookback: str | None = None
    #: Whole seconds from the winner's time to T0, rounded down (R17).
    ctit_seconds: int | None = None
    contributors: tuple[Contributor, ...] = ()
    rejected_touches: tuple[RejectedTouch, ...] = ()
    blocked_reason: BlockedReason | None = None
    is_retargeting: bool = False

    @property
    def media_source(self) -> str:
        """The winner's media source, ``organic`` without one (R15, R19, R31)."""
        return self.winner.media_source if self.winner is not None else ORGANIC


@dataclass(frozen=True, slots=True)
class Reengagement:
    """An open or past re-engagement of a device (R23): the click and its window."""

    touch: Touch
    match_type: MatchType
    reengagement_time: int
    window_end: int


@dataclass(frozen=True, slots=True)
class EventAttribution:
    """One ``attributed-events`` record's attribution part (R24)."""

    attribution_kind: AttributionKind
    is_primary: bool
    #: The install decision's conversion type, or ``reengagement`` for the
    #: retargeting record of a re-engagement window.
    conversion_type: str
    media_source: str
    touch: Touch | None = None
    match_type: MatchType | None = None
    blocked_reason: BlockedReason | None = None
