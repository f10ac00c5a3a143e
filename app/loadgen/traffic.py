"""Request specs: what to send to the collector, built without sending it."""

from __future__ import annotations

import json
import random
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from attrib.loadgen.identities import Device, new_device, pick_source

SOURCES = [
    "googleadwords_int",
    "facebook_ads",
    "tiktok_int",
    "unityads_int",
    "applovin_int",
    "ironsource_int",
    "mintegral_int",
]


@dataclass(frozen=True)
class Request:
    """One HTTP call to the collector."""

    kind: str  # click | impression | install | session | event
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


def touch(
    app_id: str,
    kind: str,
    device: Device | None,
    *,
    source: str,
    ts: int,
    campaign: str = "launch",
    retargeting: bool = False,
    ip: str | None = None,
    user_agent: str | None = None,
    site_id: str | None = None,
) -> Request:
    params: dict[str, Any] = {
        "pid": source,
        "c": campaign,
        # crc32, not hash(): the same site in every process (PYTHONHASHSEED)
        "af_siteid": site_id or f"site{zlib.crc32(source.encode()) % 7}",
        "ts": ts,
        "redirect": "false",
    }
    if device is not None:
        params.update(
            device.ids
            if device.platform == "android"
            else {k: v for k, v in device.ids.items() if k == "idfa"}
        )
        params["ip"] = ip or device.ip
        params["ua"] = user_agent or device.user_agent
    if retargeting:
        params["is_retargeting"] = "true"
    return Request(kind, "GET", f"/v1/{kind}/{app_id}?{urlencode(params)}")


def sdk(
    app_id: str,
    kind: str,
    device: Device,
    sdk_key: str,
    *,
    ts: int,
    event_id: str | None = None,
    **extra: Any,
) -> Request:
    body = {
        "event_id": event_id or str(uuid.uuid4()),
        "timestamp": ts,
        "device": device.ids,
        "platform": device.platform,
        "os_version": device.os_version,
        "app_version": "2.3.1",
        "ip": device.ip,
        "user_agent": device.user_agent,
        **extra,
    }
    return Request(
        kind,
        "POST",
        f"/v1/sdk/{app_id}/{kind}",
        json.dumps(body).encode(),
        {"X-Attrib-Key": sdk_key, "Content-Type": "application/json"},
    )


@dataclass(frozen=True)
class Mix:
    """Relative weights of each kind of request."""

    clicks: float = 6
    impressions: float = 3
    installs: float = 1
    sessions: float = 2
    events: float = 1

    @classmethod
    def parse(cls, text: str) -> Mix:
        """``clicks=6,installs=1``: kinds not named get weight 0."""
        values = dict.fromkeys(cls.__dataclass_fields__, 0.0)
        for part in text.split(","):
            name, _, weight = part.partition("=")
            if name.strip() not in cls.__dataclass_fields__:
                raise ValueError(
                    f"unknown kind {name!r}: use clicks, impressions, installs, sessions, events"
                )
            values[name.strip()] = float(weight)
        return cls(**values)


class RandomTraffic:
    """An endless stream of plausible requests for one app, at event time 'now'."""

    def __init__(self, app_id: str, sdk_key: str, platform: str, mix: Mix, seed: int = 1) -> None:
        self.app_id, self.sdk_key, self.platform, self.mix = app_id, sdk_key, platform, mix
        self.rng = random.Random(seed)
        self.devices: list[Device] = []
        self.installed: list[Device] = []

    def _device(self) -> Device:
        if self.devices and self.rng.random() < 0.7:
            return self.rng.choice(self.devices)
        device = new_device(self.rng, self.platform)
        self.devices.append(device)
        if len(self.devices) > 50_000:
            self.devices.pop(0)
        return device

    def next(self, now_ms: int) -> Request:
        kinds = ["clicks", "impressions", "installs", "sessions", "events"]
        weights = [getattr(self.mix, k) for k in kinds]
        kind = self.rng.choices(kinds, weights=weights)[0]
        source = pick_source(self.rng, SOURCES)
        if kind in ("clicks", "impressions"):
            return touch(self.app_id, kind[:-1], self._device(), source=source, ts=now_ms)
        if kind == "installs" or not self.installed:
            device = self._device()
            self.installed.append(device)
            return sdk(self.app_id, "install", device, self.sdk_key, ts=now_ms)
        device = self.rng.choice(self.installed)
        if kind == "sessions":
            return sdk(self.app_id, "session", device, self.sdk_key, ts=now_ms)
        return sdk(
            self.app_id,
            "event",
            device,
            self.sdk_key,
            ts=now_ms,
            event_name="purchase",
            revenue=round(self.rng.uniform(0.99, 49.99), 2),
            currency="USD",
        )
