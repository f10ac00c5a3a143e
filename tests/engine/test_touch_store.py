"""``TouchIndex.file``: what it files is what retention keeps, under the layout's keys.

``file`` inlines :func:`attrib.engine.touch_lists.keeps` and
:func:`attrib.engine.touch_store.entry_key` (it runs once per index entry, the
engine's hottest loop); this property holds it to both.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from attrib.engine import touch_lists
from attrib.engine.index_envelope import from_record
from attrib.engine.touch_store import EXPIRY_PREFIX, TouchIndex, entry_key
from attrib.tables.state import MemoryBackend
from attrib.tables.values import TOUCHES

DAY = 86_400_000
NOW = 400 * DAY
KEYS = ["p|a|10.0.0.1|android|14", "i|a|advertising_id:x", "r|a|t1"]

times = st.integers(min_value=0, max_value=NOW + DAY)  # R3: the intake refuses others
entries = st.lists(
    st.builds(
        lambda n, key, at, received, touch: {
            "key": key,
            "touch_id": f"t{n}",
            "touch_time": at,
            "touch": touch,
            "received_time": received,
        },
        st.integers(0, 10_000),
        st.sampled_from(KEYS),
        times,
        st.one_of(st.just(0), st.integers(min_value=1, max_value=NOW + DAY)),
        st.binary(max_size=8),
    ),
    max_size=30,
)


@given(entries, st.integers(min_value=0, max_value=NOW))
def test_file_puts_exactly_what_retention_keeps(batch: list[dict[str, Any]], mark: int) -> None:
    index = TouchIndex(TOUCHES.bind("touches", MemoryBackend()))
    index.watermarks[0] = mark
    filed = index.file(0, [from_record(e) for e in batch], NOW)
    watermark = max([mark] + [e["touch_time"] for e in batch])
    expected: dict[bytes, bytes] = {}
    kept = 0
    for e in batch:
        received = e["received_time"] or e["touch_time"]
        if touch_lists.keeps(
            e["key"], e["touch_time"], received, watermark_ms=watermark, now_ms=NOW
        ):
            kept += 1
            raw_key = entry_key(e["key"].encode(), e["touch_time"], e["touch_id"].encode())
            expected[raw_key] = received.to_bytes(8, "big") + e["touch"]
    changes = index.touches.take_changes().get(0, {})
    stored = {k: v for k, v in changes.items() if not k.startswith(EXPIRY_PREFIX)}
    assert stored == expected
    assert filed == kept


def test_file_keeps_a_touch_exactly_at_its_horizon_and_drops_one_ms_older() -> None:
    from attrib.engine.index import HORIZON_MS

    index = TouchIndex(TOUCHES.bind("touches", MemoryBackend()))
    key = KEYS[1]
    mark = NOW - DAY
    edge = mark - HORIZON_MS["i"]
    index.watermarks[0] = mark
    batch = [
        {"key": key, "touch_id": "at", "touch_time": edge, "touch": b"", "received_time": 1},
        {
            "key": key,
            "touch_id": "before",
            "touch_time": edge - 1,
            "touch": b"",
            "received_time": 1,
        },
    ]
    assert index.file(0, [from_record(e) for e in batch], NOW) == 1
    stored = index.touches.take_changes()[0]
    assert entry_key(key.encode(), edge, b"at") in stored
    assert entry_key(key.encode(), edge - 1, b"before") not in stored


def test_expiry_entries_of_the_previous_layout_are_swept() -> None:
    # A store written before expiry keys listed index keys: ``prefix + due hour +
    # 8-byte sequence`` → the entry keys due then. The upgraded worker sweeps them
    # (no crash on the sequence bytes), and what is still kept is listed anew.
    import time

    from attrib.engine.touch_store import EVENT_DUE, pack_keys

    backend = MemoryBackend()
    index = TouchIndex(TOUCHES.bind("touches", backend))
    key = KEYS[1].encode()  # an id key: 30-day horizon
    hour = 3_600_000
    gone = entry_key(key, 10 * DAY, b"gone")  # received long ago
    kept = entry_key(key, 10 * DAY + 1, b"kept")  # received lately: kept by its reception
    sequence = time.time_ns().to_bytes(8, "big")
    old_expiry = EVENT_DUE + (40 * DAY + hour).to_bytes(8, "big") + sequence
    backend.write(
        0,
        {
            gone: (10 * DAY).to_bytes(8, "big") + b"touch",
            kept: (NOW - DAY).to_bytes(8, "big") + b"touch",
            old_expiry: pack_keys([gone, kept]),
        },
    )
    index.watermarks[0] = 50 * DAY
    deleted, listed = index.sweep(0, NOW)
    for partition, changes in index.touches.take_changes().items():
        backend.write(partition, changes)
    assert (deleted, listed) == (1, 1)
    assert old_expiry not in backend.partitions[0]
    assert sorted(k for k in backend.partitions[0] if not k.startswith(EXPIRY_PREFIX)) == [kept]
    # Its reception's horizon passed: the new listing sweeps it.
    index.written()
    deleted, _ = index.sweep(0, NOW + 31 * DAY)
    for partition, changes in index.touches.take_changes().items():
        backend.write(partition, changes)
    assert deleted == 1
    assert [k for k in backend.partitions[0] if not k.startswith(EXPIRY_PREFIX)] == []


def test_a_restart_that_keeps_the_store_reads_the_event_time_watermark_back() -> None:
    # The watermark lived in memory only: a restart that kept the store started it at
    # 0, and event-time pruning waited until new touches caught up with the old ones.
    backend = MemoryBackend()
    before = TouchIndex(TOUCHES.bind("touches", backend))
    key = KEYS[1]  # an id key: 30-day horizon
    old = {"key": key, "touch_id": "old", "touch_time": DAY, "touch": b"t", "received_time": DAY}
    new = {**old, "touch_id": "new", "touch_time": 40 * DAY, "received_time": DAY}
    before.file(0, [from_record(old)], now_ms=NOW)
    before.file(
        0, [from_record(new)], now_ms=NOW
    )  # a later envelope: event time is past old's horizon
    for partition, changes in before.touches.take_changes().items():
        backend.write(partition, changes)

    after = TouchIndex(TOUCHES.bind("touches", backend))  # the restarted worker
    assert after.watermarks[0] == 40 * DAY
    assert after.watermarks[1] == 0  # a partition it never filed
    deleted, _ = after.sweep(0, NOW)  # no touch filed since the restart
    assert deleted == 1
    for partition, changes in after.touches.take_changes().items():
        backend.write(partition, changes)
    assert [k for k in backend.partitions[0] if not k.startswith(EXPIRY_PREFIX)] == [
        entry_key(key.encode(), 40 * DAY, b"new")
    ]
