"""Device identities as SDKs and networks really send them.

Android devices carry a GAID (a share of them zeroed: the user limited ad
tracking) and an android_id; iOS devices an IDFV and, when tracking is
allowed, an IDFA. Media sources follow a skewed (Zipf-like) popularity.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

ZERO_UUID = "00000000-0000-0000-0000-000000000000"

ANDROID_UAS = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 Chrome/123.0 Mobile",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/125.0 Mobile Safari/537.36",
)
IOS_UAS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
)


@dataclass(frozen=True)
class Device:
    platform: str
    ids: dict[str, str]
    ip: str
    user_agent: str
    os_version: str

    @property
    def any_id(self) -> str:
        """An id the device's SDK can ask conversion data with."""
        return next(iter(self.ids.values()))


def new_device(rng: random.Random, platform: str = "android", *, lat_share: float = 0.1) -> Device:
    ip = f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if platform == "android":
        ua = rng.choice(ANDROID_UAS)
        gaid = ZERO_UUID if rng.random() < lat_share else str(uuid.UUID(int=rng.getrandbits(128)))
        ids = {"android_id": f"{rng.getrandbits(64):016x}"}
        if gaid != ZERO_UUID:
            ids = {"advertising_id": gaid, **ids}
        os_version = ua.split("Android ")[1].split(";")[0]
    else:
        ua = rng.choice(IOS_UAS)
        ids = {"idfv": str(uuid.UUID(int=rng.getrandbits(128))).upper()}
        if rng.random() >= lat_share:
            ids = {"idfa": str(uuid.UUID(int=rng.getrandbits(128))).upper(), **ids}
        os_version = ua.split("OS ")[1].split(" ")[0].replace("_", ".")
    return Device(platform, ids, ip, ua, os_version)


def zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


def pick_source(rng: random.Random, sources: list[str]) -> str:
    return rng.choices(sources, weights=zipf_weights(len(sources)))[0]
