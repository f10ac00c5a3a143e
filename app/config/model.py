"""The stored form of an app's configuration: an immutable plain-data tree.

Instances come from :func:`attrib.config.validation.validate_app_config` (or
:func:`attrib.config.validation.config_from_json_dict`, which goes through it), so holding one means
holding a valid configuration with every default filled.

Durations are kept twice: as written (``"7d"``, what the admin API returns)
and in milliseconds (``click_lookback_ms``, what the attribution engine
compares against). The millisecond fields, parsed networks and lookup maps
are derived once at construction so that the engine's per-install reads are
attribute lookups, never parsing.

Secrets (``sdk_key``, push endpoint ``secret``) are left out of ``repr`` so a
logged configuration does not leak them.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from attrib.config.limits import (
    ATTRIBUTION_DEFAULTS,
    MAX_TOUCHES_PER_DEVICE_PER_HOUR_DEFAULT,
    MIN_CTIT_DEFAULT,
)
from attrib.durations import parse_duration

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: ``event_window`` value meaning "no limit" (R33).
LIFETIME = "lifetime"


def _set(obj: object, name: str, value: object) -> None:
    """Fill a derived field of a frozen dataclass (only from ``__post_init__``)."""
    object.__setattr__(obj, name, value)


@dataclass(frozen=True, slots=True)
class MediaSourceWindows:
    """Windows one media source overrides (R11); ``None`` keeps the app's."""

    click_lookback: str | None = None
    view_lookback: str | None = None
    click_lookback_ms: int | None = field(init=False, repr=False)
    view_lookback_ms: int | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("click_lookback", "view_lookback"):
            text = getattr(self, name)
            _set(self, f"{name}_ms", None if text is None else parse_duration(text))

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.click_lookback is not None:
            out["click_lookback"] = self.click_lookback
        if self.view_lookback is not None:
            out["view_lookback"] = self.view_lookback
        return out


@dataclass(frozen=True, slots=True)
class AttributionSettings:
    """The ``attribution`` section: windows of R8–R11, R19, R21, R23."""

    click_lookback: str = ATTRIBUTION_DEFAULTS["click_lookback"]
    view_lookback: str = ATTRIBUTION_DEFAULTS["view_lookback"]
    probabilistic_lookback: str = ATTRIBUTION_DEFAULTS["probabilistic_lookback"]
    probabilistic_view_lookback: str = ATTRIBUTION_DEFAULTS["probabilistic_view_lookback"]
    reattribution_window: str = ATTRIBUTION_DEFAULTS["reattribution_window"]
    reengagement_window: str = ATTRIBUTION_DEFAULTS["reengagement_window"]
    inactivity_period: str = ATTRIBUTION_DEFAULTS["inactivity_period"]
    per_media_source: Mapping[str, MediaSourceWindows] = field(default_factory=dict)
    click_lookback_ms: int = field(init=False, repr=False)
    view_lookback_ms: int = field(init=False, repr=False)
    probabilistic_lookback_ms: int = field(init=False, repr=False)
    probabilistic_view_lookback_ms: int = field(init=False, repr=False)
    reattribution_window_ms: int = field(init=False, repr=False)
    reengagement_window_ms: int = field(init=False, repr=False)
    inactivity_period_ms: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ATTRIBUTION_DEFAULTS:
            _set(self, f"{name}_ms", parse_duration(getattr(self, name)))
        _set(self, "per_media_source", MappingProxyType(dict(self.per_media_source)))

    def click_lookback_ms_for(self, media_source: str | None) -> int:
        """The click window of ``media_source``: its override, else the app's (R11)."""
        override = self.per_media_source.get(media_source) if media_source else None
        if override is not None and override.click_lookback_ms is not None:
            return override.click_lookback_ms
        return self.click_lookback_ms

    def view_lookback_ms_for(self, media_source: str | None) -> int:
        """The impression window of ``media_source``: its override, else the app's (R11)."""
        override = self.per_media_source.get(media_source) if media_source else None
        if override is not None and override.view_lookback_ms is not None:
            return override.view_lookback_ms
        return self.view_lookback_ms

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in ATTRIBUTION_DEFAULTS}
        out["per_media_source"] = {
            source: windows.to_json_dict() for source, windows in self.per_media_source.items()
        }
        return out


@dataclass(frozen=True, slots=True)
class FraudSettings:
    """The ``fraud`` section: R27, R29, R31."""

    min_ctit: str = MIN_CTIT_DEFAULT
    max_touches_per_device_per_hour: int = MAX_TOUCHES_PER_DEVICE_PER_HOUR_DEFAULT
    ip_blocklist: tuple[str, ...] = ()
    blocked_devices: tuple[str, ...] = ()
    min_ctit_ms: int = field(init=False, repr=False)
    ip_networks: tuple[IPNetwork, ...] = field(init=False, repr=False)
    blocked_device_values: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _set(self, "ip_blocklist", tuple(self.ip_blocklist))
        _set(self, "blocked_devices", tuple(self.blocked_devices))
        _set(self, "min_ctit_ms", parse_duration(self.min_ctit))
        networks = tuple(ipaddress.ip_network(entry, strict=False) for entry in self.ip_blocklist)
        _set(self, "ip_networks", networks)
        # Identifiers are compared case-insensitively (streams.md): keep them lowercase.
        _set(self, "blocked_device_values", frozenset(v.lower() for v in self.blocked_devices))

    def ip_blocked(self, ip: str | None) -> bool:
        """True when ``ip`` falls in one of the ``ip_blocklist`` networks (R31)."""
        if not ip or not self.ip_networks:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.ip_networks)

    def device_blocked(self, identifiers: Iterable[str | None]) -> bool:
        """True when any of a device's identifier values is in ``blocked_devices`` (R31)."""
        if not self.blocked_device_values:
            return False
        return any(v is not None and v.lower() in self.blocked_device_values for v in identifiers)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "min_ctit": self.min_ctit,
            "max_touches_per_device_per_hour": self.max_touches_per_device_per_hour,
            "ip_blocklist": list(self.ip_blocklist),
            "blocked_devices": list(self.blocked_devices),
        }


@dataclass(frozen=True, slots=True)
class Postback:
    """One postback configuration of a media source (R32–R34)."""

    media_source: str
    install_url: str | None = None
    event_url: str | None = None
    events: tuple[str, ...] = ()
    event_window: str = LIFETIME
    send_all_installs: bool = False
    #: ``None`` for ``lifetime``.
    event_window_ms: int | None = field(init=False, repr=False)
    event_names: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _set(self, "events", tuple(self.events))
        _set(self, "event_names", frozenset(self.events))
        window = None if self.event_window == LIFETIME else parse_duration(self.event_window)
        _set(self, "event_window_ms", window)

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"media_source": self.media_source}
        if self.install_url is not None:
            out["install_url"] = self.install_url
        if self.event_url is not None:
            out["event_url"] = self.event_url
        out.update(
            events=list(self.events),
            event_window=self.event_window,
            send_all_installs=self.send_all_installs,
        )
        return out


@dataclass(frozen=True, slots=True)
class PushEndpoint:
    """One push API receiver (R36); ``secret`` keys the HMAC signature."""

    url: str
    secret: str = field(repr=False)

    def to_json_dict(self) -> dict[str, Any]:
        return {"url": self.url, "secret": self.secret}


@dataclass(frozen=True, slots=True)
class AppConfig:
    """An app's whole configuration, as stored and as the admin API returns it."""

    app_id: str
    platform: str
    store_url: str
    sdk_key: str = field(repr=False)
    attribution: AttributionSettings = field(default_factory=AttributionSettings)
    fraud: FraudSettings = field(default_factory=FraudSettings)
    postbacks: tuple[Postback, ...] = ()
    push_endpoints: tuple[PushEndpoint, ...] = ()
    _postbacks_by_source: Mapping[str, tuple[Postback, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        _set(self, "postbacks", tuple(self.postbacks))
        _set(self, "push_endpoints", tuple(self.push_endpoints))
        by_source: dict[str, list[Postback]] = {}
        for postback in self.postbacks:
            by_source.setdefault(postback.media_source, []).append(postback)
        _set(
            self,
            "_postbacks_by_source",
            MappingProxyType({k: tuple(v) for k, v in by_source.items()}),
        )

    def postbacks_for(self, media_source: str) -> tuple[Postback, ...]:
        """The postback configurations of ``media_source`` (none: an empty tuple)."""
        return self._postbacks_by_source.get(media_source, ())

    def to_json_dict(self) -> dict[str, Any]:
        """The document of the admin API: defaults filled, ``sdk_key`` and ``app_id`` included."""
        return {
            "app_id": self.app_id,
            "platform": self.platform,
            "store_url": self.store_url,
            "sdk_key": self.sdk_key,
            "attribution": self.attribution.to_json_dict(),
            "fraud": self.fraud.to_json_dict(),
            "postbacks": [p.to_json_dict() for p in self.postbacks],
            "push_endpoints": [p.to_json_dict() for p in self.push_endpoints],
        }

    def to_canonical_json(self) -> str:
        """Sorted-keys, compact JSON of :meth:`to_json_dict` (the app-config record's body)."""
        return json.dumps(
            self.to_json_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )


__all__ = [
    "LIFETIME",
    "AppConfig",
    "AttributionSettings",
    "FraudSettings",
    "MediaSourceWindows",
    "Postback",
    "PushEndpoint",
]
