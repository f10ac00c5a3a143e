"""Pending retries follow their partition when a second member joins the group."""

from __future__ import annotations

from collections import Counter

import pytest

from attrib.topics import ATTRIBUTIONS
from tests.delivery.broker import delivery_settings, produce, register, wait_deliveries
from tests.delivery.receivers import wait_for
from tests.delivery.records import organic

pytestmark = pytest.mark.integration

APP = "com.example.deliver"


async def test_second_member_takes_over_retries_none_twice(
    isolated_settings, receivers, stage
) -> None:
    settings = delivery_settings(
        isolated_settings, delivery_retry_schedule="6s,6s", topic_partitions=4
    )
    installs = [organic(attribution_id=f"r{i}", device_key=f"dev{i}") for i in range(16)]
    net = await receivers({"/i": [503] * len(installs)})
    await register(
        settings,
        APP,
        {
            "postbacks": [
                {"media_source": "n", "install_url": net.url("/i"), "send_all_installs": True}
            ]
        },
    )
    first = await stage(settings)
    await produce(settings, ATTRIBUTIONS, installs)
    await wait_for(lambda: len(net.seen) >= len(installs), within=30, what="first attempts")
    await wait_deliveries(settings, len(installs))
    second = await stage(settings)  # joins: the partitions are split between the two
    await wait_for(lambda: first.owned and second.owned, within=30, what="a split assignment")
    assert not first.owned & second.owned
    assert len(net.seen) == len(installs)  # the retries were still pending at the split
    assert len(second.queue) > 0  # and the newcomer loaded its share of them
    await wait_for(lambda: len(net.seen) >= 2 * len(installs), within=30, what="retries")
    found = await wait_deliveries(settings, 2 * len(installs))
    per_id = Counter(s.delivery_id for s in net.seen)
    assert set(per_id.values()) == {2}
    assert len(per_id) == len(installs)
    assert sorted(r["status"] for r in found) == ["delivered"] * 16 + ["retry"] * 16
