"""R32, R33, R35: postbacks to networks on the real broker, received by real loopback servers."""

from __future__ import annotations

import asyncio

import pytest

from attrib.topics import ATTRIBUTED_EVENTS, ATTRIBUTIONS
from tests.delivery.broker import (
    deliveries,
    delivery_settings,
    produce,
    register,
    wait_deliveries,
)
from tests.delivery.receivers import wait_for
from tests.delivery.records import T0, attributed_event, attribution, organic

pytestmark = pytest.mark.integration

APP = "com.example.deliver"


async def test_winner_only_and_send_all(isolated_settings, receivers, stage) -> None:
    settings = delivery_settings(isolated_settings)
    net = await receivers()
    q = "c={clickid}&t={touch_id}&ts={click_ts}&cp={campaign}&m={match_type}&ct={conversion_type}"
    await register(
        settings,
        APP,
        {
            "postbacks": [
                {
                    "media_source": "network_a",
                    "install_url": net.url("/a?" + q + "&d={delivery_id}"),
                },
                {
                    "media_source": "network_b",
                    "install_url": net.url("/b?" + q),
                    "send_all_installs": True,
                },
                {"media_source": "network_c", "install_url": net.url("/c?" + q)},
            ]
        },
    )
    await stage(settings)
    records = [
        attribution(attribution_id="won-by-a"),
        organic(attribution_id="organic-1", device_key="d2"),
        attribution(
            attribution_id="reattr",
            conversion_type="reattribution",
            is_retargeting=True,
            device_key="d3",
        ),
        organic(attribution_id="reinstall", conversion_type="reinstall", device_key="d4"),
        attribution(
            attribution_id="blocked",
            conversion_type="blocked",
            status="blocked",
            blocked_reason="ip_blocklist",
            device_key="d5",
        ),
        organic(
            attribution_id="blocked-organic",
            conversion_type="blocked",
            status="blocked",
            blocked_reason="device_blocklist",
            device_key="d6",
        ),
        attribution(attribution_id="won-by-c", media_source="network_c", device_key="d7"),
    ]
    await produce(settings, ATTRIBUTIONS, records)
    # a: its two wins; b (send-all): every install and re-attribution but its own (none);
    # c: its win. Reinstalls and blocked installs reach nobody.
    found = await wait_deliveries(settings, 2 + 4 + 1)
    await wait_for(lambda: len(net.seen) >= 7, what="7 requests")
    assert sorted(s.path for s in net.seen) == ["/a", "/a", "/b", "/b", "/b", "/b", "/c"]
    first_a = next(
        s for s in net.at("/a") if s.query["c"] == "clk=42" and s.query["ct"] == "install"
    )
    assert first_a.method == "GET"
    assert first_a.query["d"] == first_a.delivery_id
    assert first_a.query["ts"] == str((T0 - 60_000) // 1000)
    assert first_a.query["cp"] == "spring sale"
    assert first_a.query["m"] == "id"
    for seen in net.at("/b"):
        assert [seen.query[k] for k in ("c", "t", "ts", "cp", "m")] == [""] * 5
    assert sorted(s.query["ct"] for s in net.at("/b")) == [
        "install",
        "install",
        "install",
        "reattribution",
    ]
    assert {r["status"] for r in found} == {"delivered"}
    assert {r["kind"] for r in found} == {"install"}
    assert sorted(r["media_source"] for r in found) == ["network_a"] * 2 + ["network_b"] * 4 + [
        "network_c"
    ]
    assert {r["host"] for r in found} == {f"127.0.0.1:{net.port}"}
    assert all(r["endpoint"] == "" and r["attempt"] == 1 for r in found)
    subjects = {r["subject_id"] for r in found}
    assert subjects == {"won-by-a", "organic-1", "reattr", "won-by-c"}
    assert len({s.delivery_id for s in net.seen}) == 7


async def test_event_postbacks_listed_events_inside_the_window(
    isolated_settings, receivers, stage
) -> None:
    settings = delivery_settings(isolated_settings)
    net = await receivers()
    await register(
        settings,
        APP,
        {
            "postbacks": [
                {
                    "media_source": "network_a",
                    "event_url": net.url("/e?n={event_name}&r={revenue}&c={currency}"),
                    "events": ["purchase"],
                    "event_window": "1d",
                },
            ]
        },
    )
    await stage(settings)
    await produce(
        settings,
        ATTRIBUTED_EVENTS,
        [
            attributed_event(event_id="in", revenue="0.000001"),
            attributed_event(event_id="not-listed", event_name="level_up"),
            attributed_event(event_id="too-late", event_time=T0 + 86_400_001),
            attributed_event(event_id="other-source", media_source="network_b"),
            attributed_event(
                event_id="blocked", blocked_reason="ip_blocklist", conversion_type="blocked"
            ),
            attributed_event(
                event_id="rt",
                attribution_kind="retargeting",
                is_primary_attribution=True,
                reengagement_id="re-1",
            ),
        ],
    )
    found = await wait_deliveries(settings, 2)
    await wait_for(lambda: len(net.seen) >= 2, what="2 requests")
    assert sorted(r["subject_id"] for r in found) == ["in", "rt"]
    assert {r["kind"] for r in found} == {"event"}
    seen = next(s for s in net.seen if s.query["r"] == "0.000001")
    assert seen.query == {"n": "purchase", "r": "0.000001", "c": "USD"}
    # nothing else arrives
    await asyncio.sleep(1.0)
    assert len(net.seen) == 2


async def test_503_then_429_then_200_is_three_attempts_of_one_delivery(
    isolated_settings, receivers, stage
) -> None:
    settings = delivery_settings(isolated_settings, delivery_retry_schedule="300ms,300ms,300ms")
    net = await receivers({"/i": [503, 429, 200]})
    await register(
        settings,
        APP,
        {
            "postbacks": [
                {"media_source": "network_a", "install_url": net.url("/i?d={delivery_id}")}
            ]
        },
    )
    await stage(settings)
    await produce(settings, ATTRIBUTIONS, [attribution()])
    found = await wait_deliveries(settings, 3)
    assert [r["status"] for r in sorted(found, key=lambda r: r["attempt"])] == [
        "retry",
        "retry",
        "delivered",
    ]
    assert [r["http_status"] for r in sorted(found, key=lambda r: r["attempt"])] == [503, 429, 200]
    assert len({r["delivery_id"] for r in found}) == 1
    assert len(net.seen) == 3
    assert {s.delivery_id for s in net.seen} == {found[0]["delivery_id"]}
    assert {s.query["d"] for s in net.seen} == {found[0]["delivery_id"]}
    retries = [r for r in found if r["status"] == "retry"]
    assert all(r["next_attempt_at"] >= r["attempted_at"] + 300 for r in retries)
    gaps = [b.at - a.at for a, b in zip(net.seen, net.seen[1:], strict=False)]
    assert all(gap >= 0.29 for gap in gaps), gaps


async def test_redirect_and_404_fail_at_once_blocked_never_sent(
    isolated_settings, receivers, stage
) -> None:
    settings = delivery_settings(isolated_settings)
    net = await receivers({"/moved": [302], "/missing": [404]})
    await register(
        settings,
        APP,
        {
            "postbacks": [
                {
                    "media_source": "network_a",
                    "install_url": net.url("/moved"),
                    "send_all_installs": True,
                },
                {
                    "media_source": "network_b",
                    "install_url": net.url("/missing"),
                    "send_all_installs": True,
                },
                {
                    "media_source": "metadata",
                    "install_url": "http://169.254.169.254/latest",
                    "send_all_installs": True,
                },
            ]
        },
    )
    await stage(settings)
    await produce(settings, ATTRIBUTIONS, [organic()])
    found = await wait_deliveries(settings, 3)
    await asyncio.sleep(1.0)  # no retry comes
    found = await deliveries(settings)
    by_source = {r["media_source"]: r for r in found}
    assert len(found) == 3
    assert by_source["network_a"]["status"] == "failed"
    assert by_source["network_a"]["http_status"] == 302
    assert by_source["network_b"]["status"] == "failed"
    assert by_source["network_b"]["http_status"] == 404
    assert by_source["metadata"]["status"] == "failed"
    assert by_source["metadata"]["error"] == "blocked destination"
    assert by_source["metadata"]["host"] == "169.254.169.254"
    assert sorted(s.path for s in net.seen) == ["/missing", "/moved"]  # the redirect not followed


async def test_receiver_down_for_the_whole_schedule_is_dead_others_unaffected(
    isolated_settings, receivers, stage
) -> None:
    settings = delivery_settings(isolated_settings, delivery_timeout="300ms")
    slow = await receivers(delay=5.0)
    fast = await receivers()
    down = await receivers()
    down_url = down.url("/i")
    await down.stop()  # nothing listens there any more: connection refused
    await register(
        settings,
        APP,
        {
            "postbacks": [
                {"media_source": "down", "install_url": down_url, "send_all_installs": True},
                {"media_source": "slow", "install_url": slow.url("/i"), "send_all_installs": True},
                {"media_source": "fast", "install_url": fast.url("/i"), "send_all_installs": True},
            ]
        },
    )
    await stage(settings)
    await produce(settings, ATTRIBUTIONS, [organic()])
    await wait_for(lambda: len(fast.seen) == 1, within=10, what="the fast receiver")
    # 3 attempts each for down and slow (1 + 2 retries), 1 for fast
    found = await wait_deliveries(settings, 7)
    final = {}
    for r in sorted(found, key=lambda r: r["attempt"]):
        final[r["media_source"]] = r
    assert final["down"]["status"] == "dead"
    assert final["down"]["attempt"] == 3
    assert final["down"]["error"].startswith("connection error")
    assert final["slow"]["status"] == "dead"
    assert final["slow"]["attempt"] == 3
    assert final["slow"]["error"] == "timeout"
    assert final["slow"]["http_status"] is None
    assert final["fast"]["status"] == "delivered"
    assert len(slow.seen) == 3
    assert len({s.delivery_id for s in slow.seen}) == 1
