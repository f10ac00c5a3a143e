"""Micro-benchmark of :func:`attrib.rules.decide.decide`: decisions per second.

Each install has 10 candidate touches of the kinds a stream agent hands over
(id and referrer clicks, id impressions, probabilistic candidates from the
same IP, touches of another device, one outside its window), so every step
of the decision runs. Run with ``.venv/bin/python bench/rules_decide.py``;
it prints numbers and asserts nothing.
"""

from __future__ import annotations

import random
import time

from attrib.rules.decide import decide
from attrib.rules.fraud import parse_ip_blocklist
from attrib.rules.model import DeviceHistory, Install, RuleSettings, Touch

HOUR = 3_600_000
DAY = 24 * HOUR
T0 = 1_764_000_000_000
APP = "com.example.game"
UAS = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 Chrome/119.0 Mobile",
)


def _gaid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def make_case(rng: random.Random, n: int) -> tuple[Install, list[Touch]]:
    gaid, other = _gaid(rng), _gaid(rng)
    ip = f"198.51.{rng.randrange(256)}.{rng.randrange(256)}"
    install = Install(
        event_id=f"i{n}",
        app_id=APP,
        device_key=f"advertising_id:{gaid}",
        install_time=T0,
        identifiers={"advertising_id": gaid},
        ip=ip,
        platform="android",
        os_version="14",
        referrer_touch_id=f"{n}-t0" if rng.random() < 0.5 else None,
        install_begin_ts=T0 - 60_000,
    )
    touches = []
    for k in range(10):
        kind = k % 5
        identifiers = {"advertising_id": gaid} if kind in (0, 1) else {}
        if kind == 4:
            identifiers = {"advertising_id": other}
        touches.append(
            Touch(
                touch_id=f"{n}-t{k}",
                touch_type="click" if kind != 1 else "impression",
                app_id=APP,
                media_source=rng.choice(("netA", "netB", "netC")),
                touch_time=T0 - rng.randrange(8 * DAY) if k != 9 else T0 - 40 * DAY,
                identifiers=identifiers,
                ip=ip,
                user_agent=rng.choice(UAS),
                is_retargeting=rng.random() < 0.2,
                campaign=f"camp{k}",
            )
        )
    return install, touches


def main() -> None:
    rng = random.Random(7)
    cases = [make_case(rng, n) for n in range(2_000)]
    settings = RuleSettings(ip_blocklist=parse_ip_blocklist(["203.0.113.0/24"]))
    history = DeviceHistory(T0 - 200 * DAY, T0 - 30 * DAY, T0 - 30 * DAY, T0 - 10 * DAY)
    for label, past in (("first installs", None), ("known devices", history)):
        for install, touches in cases[:200]:  # warm the caches
            decide(install, touches, settings, past)
        best = 0.0
        for _ in range(3):
            start = time.perf_counter()
            for install, touches in cases:
                decide(install, touches, settings, past)
            best = max(best, len(cases) / (time.perf_counter() - start))
        print(f"{label:15s}: {best:10,.0f} decisions/s (10 candidate touches each)")


if __name__ == "__main__":
    main()
