"""R36: every decision and attributed event pushed, signed, to each push endpoint."""

from __future__ import annotations

import json

import pytest

from attrib.topics import ATTRIBUTED_EVENTS, ATTRIBUTIONS, REENGAGEMENTS
from tests.delivery.broker import delivery_settings, produce, register, wait_deliveries
from tests.delivery.receivers import wait_for
from tests.delivery.records import (
    SECRET,
    attributed_event,
    attribution,
    organic,
    reengagement,
)

pytestmark = pytest.mark.integration

APP = "com.example.deliver"


async def test_push_for_every_kind_of_decision_signed(isolated_settings, receivers, stage) -> None:
    settings = delivery_settings(isolated_settings)
    advertiser = await receivers(secret=SECRET)
    second = await receivers(secret="another-secret")
    await register(
        settings,
        APP,
        {
            "push_endpoints": [
                {"url": advertiser.url("/push?token=abc"), "secret": SECRET},
                {"url": second.url("/hook"), "secret": "another-secret"},
            ]
        },
    )
    await stage(settings)
    await produce(
        settings,
        ATTRIBUTIONS,
        [
            attribution(attribution_id="i"),
            organic(attribution_id="o", device_key="d2"),
            organic(attribution_id="ri", conversion_type="reinstall", device_key="d3"),
            attribution(
                attribution_id="ra",
                conversion_type="reattribution",
                is_retargeting=True,
                device_key="d4",
            ),
            attribution(
                attribution_id="b",
                conversion_type="blocked",
                status="blocked",
                blocked_reason="ip_blocklist",
                device_key="d5",
            ),
        ],
    )
    await produce(settings, REENGAGEMENTS, [reengagement()])
    await produce(settings, ATTRIBUTED_EVENTS, [attributed_event()])
    found = await wait_deliveries(settings, 14)
    await wait_for(lambda: len(advertiser.seen) >= 7 and len(second.seen) >= 7, what="pushes")
    assert advertiser.bad_signatures == 0
    assert second.bad_signatures == 0
    assert {r["status"] for r in found} == {"delivered"}
    assert {r["kind"] for r in found} == {"push"}
    assert {r["media_source"] for r in found} == {""}
    assert {r["endpoint"] for r in found} == {advertiser.url("/push"), second.url("/hook")}
    bodies = [json.loads(s.body) for s in advertiser.seen]
    names = sorted((b["event_name"], b["campaign_type"]) for b in bodies)
    assert names == [
        ("blocked-install", "ua"),
        ("install", "organic"),
        ("install", "ua"),
        ("purchase", "ua"),
        ("re-attribution", "retargeting"),
        ("re-engagement", "retargeting"),
        ("reinstall", "organic"),
    ]
    for seen, body in zip(advertiser.seen, bodies, strict=True):
        assert seen.method == "POST"
        assert seen.query == {"token": "abc"}
        assert seen.headers["Content-Type"] == "application/json"
        assert seen.headers["X-Attrib-Signature"].startswith("sha256=")
        assert None not in body.values()
        for key, value in body.items():
            if key.endswith("_time"):
                assert isinstance(value, str)
                assert len(value) == len("2026-01-01 00:00:00.000")
    install = next(b for b in bodies if b.get("attribution_id") == "i")
    assert install["install_time"] == "2026-01-01 00:00:00.000"
    assert install["contributors"][0]["touch_time"] == "2025-12-31 23:58:00.000"
    assert "idfa" not in install
    # the secret and the signature never leave in a delivery record
    text = json.dumps(found)
    assert SECRET not in text
    assert "sha256" not in text
    assert "token=abc" not in text


async def test_a_bad_secret_is_refused_by_the_receiver(isolated_settings, receivers, stage) -> None:
    """The receiver's check is real: a push signed with another secret fails (401)."""
    settings = delivery_settings(isolated_settings)
    advertiser = await receivers(secret=SECRET)
    await register(
        settings, APP, {"push_endpoints": [{"url": advertiser.url("/p"), "secret": "wrong"}]}
    )
    await stage(settings)
    await produce(settings, ATTRIBUTIONS, [attribution()])
    found = await wait_deliveries(settings, 1)
    assert found[0]["status"] == "failed"
    assert found[0]["http_status"] == 401
    assert advertiser.bad_signatures == 1
