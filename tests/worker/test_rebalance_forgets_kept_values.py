"""A rebalance drops the device tables' kept values (``tables/state.py``, RecentValues).

A partition this worker owned may have been changed by another worker while it
was away (recovery writes RocksDB, not the tables' kept values): a value kept from
before would be served stale, a decided install decided again.
"""

from __future__ import annotations

import asyncio

import pytest

from attrib.agents import wiring
from attrib.faust_app import app


def _keep_one_value_in_each_table() -> None:
    for table in wiring.device_tables.all():
        table._recent.put((0, b"app|device"), {"kept": True}, 10)
        assert len(table._recent) == 1


@pytest.mark.parametrize("signal", ["on_partitions_assigned", "on_partitions_revoked"])
def test_a_rebalance_drops_the_kept_values(signal: str) -> None:
    _keep_one_value_in_each_table()
    asyncio.run(getattr(app, signal).send(set()))
    assert [len(table._recent) for table in wiring.device_tables.all()] == [0, 0, 0]
