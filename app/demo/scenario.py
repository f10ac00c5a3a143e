"""The demo's data set: a seeded, pure generator of request specs and of the reports they must give.

Nothing here sends anything or reads a clock: :func:`build` takes ``now`` and a
seed and returns the phases to send (touches, then first installs, then
reinstalls, then sessions, then purchases) and the exact figures the
``overview``, ``retention``, ``ctit`` and ``fraud`` reports must show once all
of it is decided and sunk.

The data are designed so that every install's decision is clear-cut, which is
what makes the expectations simple to state:

- Every device carries a GAID (valid) and an android_id, and every touch is
  sent with the device's ids, so touches match installs by id only: a touch
  carrying a *different* valid id never matches probabilistically (R7).
- An attributed install has touches from exactly one honest source inside
  its window; the latest click wins (R13/R14), else the impression (view-through).
- ``clickspam_int`` (the fraud source) sends either one click 3 s before the
  install (``ctit_too_short``, R27) or 60 clicks in the 50 minutes before it
  (``too_many_engagements``, R29); the decision then falls to the honest
  click, or to organic when there is none (R30).
- Organic installs have no touch, or only a click 8 days before (outside the
  7-day ``click_lookback``, R15).
- Blocked installs come from ``203.0.113.0/24`` (the app's ``ip_blocklist``)
  with one honest click: ``blocked``, recorded under that click's source (R31);
  their purchases are left out of every aggregate.
- Reinstalls (``reattribution_window`` 7d): 5 days after the first install
  with a retargeting click 2 h before → ``reattribution`` to it; without →
  ``reinstall`` (organic, counted nowhere); 10 days after, with no touch →
  a new organic ``install`` (R18–R20).
- Re-engagement: a retargeting click 4 days after the install and a session an
  hour later → one re-engagement (R23); the purchase an hour after that is
  attributed to the retargeting source (primary, R24). Devices with a
  retargeting click have no other session after it, so which session
  re-engages is never in doubt.
- Sessions fall on whole calendar days after the install day (day 1, 3, 7,
  14), and only on days already past.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from attrib.loadgen.identities import Device, new_device
from attrib.loadgen.traffic import Request, sdk, touch

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MIN_MS = 60_000
SEC_MS = 1_000

BLOCKED_CIDR = "203.0.113.0/24"
FRAUD_SOURCE = "clickspam_int"
RETARGETING = ("facebook_ads", "winback")
RETENTION_DAYS = (1, 3, 7, 14, 30)

# source -> (campaign, sites, click-to-install range in seconds)
CLICK_SOURCES: dict[str, tuple[str, tuple[str, ...], tuple[int, int]]] = {
    "googleadwords_int": ("search_brand", ("google-search", "youtube"), (90, 3_000)),
    "facebook_ads": ("lookalike_us", ("fb-feed", "instagram"), (15, 50)),
    "tiktok_int": ("creators", ("tiktok-feed",), (2 * 3_600, 20 * 3_600)),
    "applovin_int": ("playables", ("applovin-net",), (36 * 3_600, 5 * 86_400)),
}
VIEW_SOURCE = ("unityads_int", "rewarded_video", "unity-games")
# first installs per cohort day, by what brings them
PER_DAY = {
    "googleadwords_int": 6,
    "facebook_ads": 5,
    "tiktok_int": 4,
    "applovin_int": 3,
    "view": 3,
    "organic": 4,
    "organic_old_click": 2,
    "short_ctit_fallback": 1,  # clickspam 3 s before + google click 30 min before
    "short_ctit_organic": 1,  # clickspam 3 s before, nothing else
    "flood": 1,  # 60 clickspam clicks + a tiktok click 3 h before
    "blocked": 1,  # from the blocklisted range, one google click
}
COHORT_OFFSETS = (18, 16, 14, 12, 10, 8)  # install days: this many days before today
SESSION_SHARE = {1: 0.45, 3: 0.3, 7: 0.2, 14: 0.12, 30: 0.1}
PURCHASE_SHARE = 0.3
PRICES = ("0.99", "4.99", "9.99", "19.99")
#: The key the demo's push endpoint signs with (its receiver checks it).
DEMO_PUSH_SECRET = "demo-push-secret"


def demo_config(receiver_url: str | None = None) -> dict[str, Any]:
    """The demo app's configuration (http-api.md admin body).

    With ``receiver_url`` (``attrib demo``'s loopback receiver), the postbacks
    and a push endpoint point there, so that the demo shows real deliveries.
    """
    google = f"{receiver_url}/google" if receiver_url else "https://postbacks.google.example"
    facebook = f"{receiver_url}/facebook" if receiver_url else "https://postbacks.facebook.example"
    config: dict[str, Any] = {
        "platform": "android",
        "store_url": "https://play.google.com/store/apps/details?id=com.attrib.demo",
        "attribution": {
            "click_lookback": "7d",
            "view_lookback": "24h",
            "reattribution_window": "7d",
        },
        "fraud": {
            "min_ctit": "10s",
            "max_touches_per_device_per_hour": 50,
            "ip_blocklist": [BLOCKED_CIDR],
        },
        "postbacks": [
            {
                "media_source": "googleadwords_int",
                "install_url": google + "/install?gclid={clickid}&ts={install_unix_ts}",
                "event_url": google + "/event?e={event_name}&v={revenue}&c={currency}",
                "events": ["purchase"],
                "event_window": "lifetime",
            },
            {
                "media_source": "facebook_ads",
                "install_url": facebook + "/i?adid={advertising_id}&m={match_type}",
                "event_url": facebook + "/e?adid={advertising_id}&e={event_name}",
                "events": ["purchase"],
                "event_window": "7d",
            },
        ],
    }
    if receiver_url:
        config["push_endpoints"] = [{"url": f"{receiver_url}/push", "secret": DEMO_PUSH_SECRET}]
    return config


@dataclass
class Phase:
    name: str
    requests: list[Request]
    #: table -> rows it must hold for this app once the phase is through
    wait_for: dict[str, int] = field(default_factory=dict)


@dataclass
class Scenario:
    app_id: str
    config: dict[str, Any]
    phases: list[Phase]
    expected: dict[str, list[dict[str, Any]]]
    today: date
    #: what the requests amount to once decided (the dashboard's tests and
    #: bench write them straight into ClickHouse, see attrib.dashboard.demo_rows)
    facts: Facts | None = None


@dataclass
class Facts:
    touches: list[tuple[int, _Touch]]  # (device, touch)
    decisions: list[_Decision]  # first installs and reinstalls
    sessions: list[tuple[int, int]]  # (device, time)
    events: list[tuple[int, int, str, str, _Decision]]  # device, time, revenue, currency, owner
    reengaged: dict[int, int]  # device -> re-engaging session time


@dataclass
class _Touch:
    kind: str
    source: str
    campaign: str
    site: str
    time: int
    retargeting: bool = False


@dataclass
class _Decision:
    device: int
    time: int
    conversion_type: str  # install | reinstall | reattribution | blocked
    status: str  # non_organic | organic | blocked
    source: str = "organic"
    campaign: str = ""
    touch_type: str | None = None
    site: str = ""
    ctit: int | None = None
    blocked: bool = False


def _rt_touch(t: int) -> _Touch:
    return _Touch("click", RETARGETING[0], RETARGETING[1], "fb-retarget", t, retargeting=True)


def build(app_id: str, now_ms: int, *, sdk_key: str = "", seed: int = 7) -> Scenario:
    """The demo's phases and expected reports for ``app_id``, as of ``now_ms``.

    ``sdk_key`` is the key the SDK requests carry (known once the app is registered).
    """
    rng = random.Random(seed)
    today = datetime.fromtimestamp(now_ms / 1000, UTC).date()
    midnight = int(datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp() * 1000)
    devices: list[Device] = []
    touches: list[tuple[int, _Touch]] = []
    decisions: list[_Decision] = []
    reinstalls: list[_Decision] = []
    sessions: list[tuple[int, int]] = []  # (device, time)
    events: list[
        tuple[int, int, str, str, _Decision]
    ] = []  # device, time, revenue, currency, owner

    def device(blocked: bool = False) -> int:
        d = new_device(rng, "android", lat_share=0.0)
        ip = (
            f"203.0.113.{rng.randint(1, 254)}"
            if blocked
            else f"198.{rng.randint(18, 19)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        )
        devices.append(replace(d, ip=ip))
        return len(devices) - 1

    def click(dev: int, source: str, t: int, site: str | None = None) -> _Touch:
        campaign, sites, _ = CLICK_SOURCES[source]
        tt = _Touch("click", source, campaign, site or rng.choice(sites), t)
        touches.append((dev, tt))
        return tt

    def ctit_click(dev: int, source: str, t0: int) -> _Touch:
        low, high = CLICK_SOURCES[source][2]
        return click(dev, source, t0 - rng.randint(low, high) * SEC_MS)

    def won(dev: int, t0: int, tt: _Touch) -> _Decision:
        ctit = (t0 - tt.time) // SEC_MS
        return _Decision(
            dev, t0, "install", "non_organic", tt.source, tt.campaign, tt.kind, tt.site, ctit
        )

    cohort_first: list[_Decision] = []
    for offset in COHORT_OFFSETS:
        day_start = midnight - offset * DAY_MS
        for kind, n in PER_DAY.items():
            for _ in range(n):
                t0 = day_start + rng.randint(8 * 3600, 21 * 3600) * SEC_MS
                dev = device(blocked=kind == "blocked")
                if kind in CLICK_SOURCES:
                    tt = ctit_click(dev, kind, t0)
                    if rng.random() < 0.3:  # an impression too; the click's tier wins
                        touches.append((dev, _Touch("impression", *VIEW_SOURCE, tt.time - HOUR_MS)))
                    decision = won(dev, t0, tt)
                elif kind == "view":
                    tt = _Touch("impression", *VIEW_SOURCE, t0 - rng.randint(1, 20) * HOUR_MS)
                    touches.append((dev, tt))
                    decision = won(dev, t0, tt)
                elif kind == "organic":
                    decision = _Decision(dev, t0, "install", "organic")
                elif kind == "organic_old_click":
                    ctit_click(dev, "tiktok_int", t0 - 8 * DAY_MS)
                    decision = _Decision(dev, t0, "install", "organic")
                elif kind == "short_ctit_fallback":
                    touches.append(
                        (dev, _Touch("click", FRAUD_SOURCE, "incent", "offerwall", t0 - 3 * SEC_MS))
                    )
                    decision = won(dev, t0, click(dev, "googleadwords_int", t0 - 30 * MIN_MS))
                elif kind == "short_ctit_organic":
                    touches.append(
                        (dev, _Touch("click", FRAUD_SOURCE, "incent", "offerwall", t0 - 3 * SEC_MS))
                    )
                    decision = _Decision(dev, t0, "install", "organic")
                elif kind == "flood":
                    for i in range(60):
                        touches.append(
                            (
                                dev,
                                _Touch(
                                    "click",
                                    FRAUD_SOURCE,
                                    "incent",
                                    "offerwall",
                                    t0 - (60 + 50 * i) * SEC_MS,
                                ),
                            )
                        )
                    decision = won(dev, t0, click(dev, "tiktok_int", t0 - 3 * HOUR_MS))
                else:  # blocked
                    tt = ctit_click(dev, "googleadwords_int", t0)
                    decision = replace(
                        won(dev, t0, tt), conversion_type="blocked", status="blocked", blocked=True
                    )
                decisions.append(decision)
                cohort_first.append(decision)

    # Reinstalls, from the three oldest cohorts (10 days later is still in the past).
    by_day: dict[int, list[_Decision]] = defaultdict(list)
    for d in cohort_first:
        by_day[(midnight - d.time) // DAY_MS + 1].append(d)
    special: set[int] = set()  # devices with no session after their retargeting click / reinstall
    for offset in COHORT_OFFSETS[:3]:
        pool = by_day[offset]
        google = [
            d for d in pool if d.source == "googleadwords_int" and d.conversion_type == "install"
        ]
        facebook = [d for d in pool if d.source == "facebook_ads"]
        organic = [d for d in pool if d.status == "organic"]
        first = google[0]  # inside the window, with a retargeting click: reattribution
        t1 = first.time + 5 * DAY_MS
        tt = _rt_touch(t1 - 2 * HOUR_MS)
        touches.append((first.device, tt))
        reinstalls.append(
            _Decision(
                first.device,
                t1,
                "reattribution",
                "non_organic",
                tt.source,
                tt.campaign,
                "click",
                tt.site,
                2 * 3600,
            )
        )
        second = facebook[0]  # inside the window, no retargeting click: reinstall
        reinstalls.append(
            _Decision(second.device, second.time + 5 * DAY_MS, "reinstall", "organic")
        )
        third = organic[0]  # after the window: a new (organic) install
        reinstalls.append(_Decision(third.device, third.time + 10 * DAY_MS, "install", "organic"))
        special.update({first.device, second.device, third.device})
    # Re-engagement: one applovin device per cohort.
    reengaged: dict[int, int] = {}
    for offset in COHORT_OFFSETS:
        d = next(d for d in by_day[offset] if d.source == "applovin_int")
        t = d.time + 4 * DAY_MS
        touches.append((d.device, _rt_touch(t)))
        reengaged[d.device] = t + HOUR_MS
        sessions.append((d.device, t + HOUR_MS))

    # Sessions on calendar days after the install day, only on days already past.
    for d in cohort_first:
        if d.blocked:
            continue
        install_day = (d.time - midnight) // DAY_MS  # negative: days before today
        for n, share in SESSION_SHARE.items():
            if install_day + n >= 0 or rng.random() >= share:
                continue
            t = midnight + (install_day + n) * DAY_MS + rng.randint(0, 86_399) * SEC_MS
            if d.device in special and n > 3:
                continue
            if d.device in reengaged and t >= reengaged[d.device] - 2 * HOUR_MS:
                continue
            sessions.append((d.device, t))

    # Purchases: acquisition-attributed ones (and one blocked device's, which no report counts).
    for d in cohort_first:
        if d.device in special or d.device in reengaged or rng.random() >= PURCHASE_SHARE:
            continue
        for _ in range(rng.choice((1, 1, 2))):
            t = min(d.time + rng.randint(3_600, 6 * 86_400) * SEC_MS, now_ms - HOUR_MS)
            currency = "EUR" if rng.random() < 0.2 else "USD"
            events.append((d.device, t, rng.choice(PRICES), currency, d))
    rt_owner = _Decision(-1, 0, "reengagement", "non_organic", RETARGETING[0], RETARGETING[1])
    for dev, t in reengaged.items():
        events.append((dev, t + HOUR_MS, "9.99", "USD", rt_owner))

    all_decisions = decisions + reinstalls

    # -- requests
    def touch_req(dev: int, tt: _Touch) -> Request:
        return touch(
            app_id,
            tt.kind,
            devices[dev],
            source=tt.source,
            ts=tt.time,
            campaign=tt.campaign,
            retargeting=tt.retargeting,
            site_id=tt.site,
        )

    def sdk_req(kind: str, dev: int, t: int, **extra: Any) -> Request:
        return sdk(
            app_id,
            kind,
            devices[dev],
            sdk_key,
            ts=t,
            event_id=str(uuid.UUID(int=rng.getrandbits(128))),
            **extra,
        )

    ordered_touches = sorted(touches, key=lambda x: x[1].time)
    phases = [
        Phase(
            "touches",
            [touch_req(dev, tt) for dev, tt in ordered_touches],
            {"touches": len(touches)},
        ),
        Phase(
            "installs",
            [sdk_req("install", d.device, d.time) for d in sorted(decisions, key=lambda d: d.time)],
            {"attributions": len(decisions)},
        ),
        Phase(
            "reinstalls",
            [
                sdk_req("install", d.device, d.time)
                for d in sorted(reinstalls, key=lambda d: d.time)
            ],
            {"attributions": len(all_decisions)},
        ),
        Phase(
            "sessions",
            [sdk_req("session", dev, t) for dev, t in sorted(sessions, key=lambda s: s[1])],
            {"sessions": len(sessions), "reengagements": len(reengaged)},
        ),
        Phase(
            "purchases",
            [
                sdk_req("event", dev, t, event_name="purchase", revenue=revenue, currency=currency)
                for dev, t, revenue, currency, _ in sorted(events, key=lambda e: e[1])
            ],
            {"attributed_events": len(events) + len(reengaged)},  # re-engaged: two rows each
        ),
    ]
    expected = {
        "overview": _overview(app_id, touches, all_decisions, reengaged, events),
        "retention": _retention(
            app_id,
            today,
            midnight,
            cohort_first + [r for r in reinstalls if r.conversion_type == "install"],
            sessions,
        ),
        "ctit": _ctit(app_id, all_decisions),
        "fraud": _fraud(app_id, touches, decisions),
    }
    facts = Facts(touches, all_decisions, sessions, events, reengaged)
    return Scenario(app_id, demo_config(), phases, expected, today, facts)


def _overview(app_id, touches, decisions, reengaged, events) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], Counter] = defaultdict(Counter)
    revenue: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for _, tt in touches:
        rows[tt.source, tt.campaign][tt.kind + "s"] += 1
    for d in decisions:
        key = (d.source, d.campaign)
        if d.conversion_type == "install":
            rows[key]["installs" if d.status == "non_organic" else "organic_installs"] += 1
        elif d.conversion_type == "reattribution":
            rows[key]["reattributions"] += 1
        elif d.conversion_type == "blocked":
            rows[key]["blocked_installs"] += 1
        else:
            rows[key]  # a reinstall: a row with zeros
    for _ in reengaged:
        rows[RETARGETING]["reengagements"] += 1
    for _, _, amount, currency, owner in events:
        if owner.blocked:
            continue
        key = (owner.source, owner.campaign)
        rows[key]["events"] += 1
        revenue[key][currency] += Decimal(amount)
    out = []
    for (source, campaign), c in sorted(rows.items()):
        clicks, installs = c["clicks"], c["installs"]
        out.append(
            {
                "app_id": app_id,
                "media_source": source,
                "campaign": campaign,
                "impressions": c["impressions"],
                "clicks": clicks,
                "installs": installs,
                "organic_installs": c["organic_installs"],
                "reattributions": c["reattributions"],
                "reengagements": c["reengagements"],
                "blocked_installs": c["blocked_installs"],
                "conversion_rate": None if clicks == 0 else round(installs / clicks, 4),
                "events": c["events"],
                "revenue": dict(sorted(revenue[source, campaign].items())),
            }
        )
    return out


def _retention(app_id, today, midnight, cohort, sessions) -> list[dict[str, Any]]:
    days_of: dict[int, set[date]] = defaultdict(set)
    for dev, t in sessions:
        days_of[dev].add(datetime.fromtimestamp(t / 1000, UTC).date())
    groups: dict[tuple[date, str], list[_Decision]] = defaultdict(list)
    for d in cohort:
        if d.conversion_type == "install":
            groups[datetime.fromtimestamp(d.time / 1000, UTC).date(), d.source].append(d)
    out = []
    for (day, source), members in sorted(groups.items()):
        row: dict[str, Any] = {
            "install_day": day,
            "app_id": app_id,
            "media_source": source,
            "installs": len(members),
        }
        for n in RETENTION_DAYS:
            target = day + timedelta(days=n)
            hit = sum(1 for d in members if target in days_of[d.device])
            row[f"day_{n}"] = None if target > today else round(hit / len(members), 4)
        out.append(row)
    return out


def _ctit(app_id, decisions) -> list[dict[str, Any]]:
    bounds = [
        ("<10s", 0, 10),
        ("10s-1m", 10, 60),
        ("1m-10m", 60, 600),
        ("10m-1h", 600, 3_600),
        ("1h-24h", 3_600, 86_400),
        ("1-7d", 86_400, 604_801),
        (">7d", 604_801, 10**12),
    ]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for d in decisions:
        if (
            d.conversion_type in ("install", "reattribution")
            and d.status == "non_organic"
            and d.touch_type == "click"
        ):
            groups[d.source, d.site].append(d.ctit)
    out = []
    for (source, site), ctits in sorted(groups.items()):
        row: dict[str, Any] = {
            "app_id": app_id,
            "media_source": source,
            "site_id": site,
            "installs": len(ctits),
        }
        for name, low, high in bounds:
            row[name] = sum(1 for c in ctits if low <= c < high)
        row["share_under_10s"] = round(row["<10s"] / len(ctits), 4)
        row["share_over_7d"] = round(row[">7d"] / len(ctits), 4)
        out.append(row)
    return out


def _fraud(app_id, touches, decisions) -> list[dict[str, Any]]:
    blocked = Counter(d.source for d in decisions if d.conversion_type == "blocked")
    per_device: dict[int, int] = Counter(dev for dev, tt in touches if tt.source == FRAUD_SOURCE)
    rejected: Counter = Counter()
    for n in per_device.values():
        rejected["too_many_engagements" if n > 50 else "ctit_too_short"] += n
    rows = [("blocked_install", "ip_blocklist", s, n) for s, n in blocked.items()]
    rows += [("rejected_touch", reason, FRAUD_SOURCE, n) for reason, n in rejected.items()]
    return [
        {"app_id": app_id, "kind": k, "reason": r, "media_source": s, "count": n}
        for k, r, s, n in sorted(rows)
    ]
