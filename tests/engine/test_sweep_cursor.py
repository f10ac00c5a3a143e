"""The touch index's sweeps start where the last one stopped, and that changes nothing.

A sweep used to seek to the start of its expiry index every time; RocksDB then
steps over the tombstones of every entry swept before, one by one, until
compaction drops them. ``TouchIndex.cursors`` remembers where sweeps stop.
These tests hold it to one promise: the index keeps exactly the entries a
sweep from the start would keep, whatever the order of filing, sweeping and
writing (including expiry entries listed in the write cache, due before the
cursor, while a sweep runs).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrib.engine import touch_lists
from attrib.engine.index import HORIZON_MS
from attrib.engine.index_envelope import IndexEntry, index_entry
from attrib.engine.touch_store import (
    DUE_ROUNDING_MS,
    EVENT_DUE,
    EXPIRY_PREFIX,
    PROCESSING_DUE,
    TouchIndex,
    due_step,
    parse_entry_key,
)
from attrib.tables.state import MemoryBackend
from attrib.tables.values import TOUCHES

DAY = 86_400_000
KEYS = ["p|a|10.0.0.1|android|14", "i|a|advertising_id:x", "r|a|t1"]


class CountingBackend(MemoryBackend):
    def __init__(self) -> None:
        super().__init__()
        self.starts: list[bytes | None] = []
        self.scanned = 0  # entries the sweeps' range scans returned

    def range(self, partition: int, start: bytes, end: bytes) -> list[tuple[bytes, bytes]]:
        found = super().range(partition, start, end)
        self.scanned += len(found)
        return found

    def keys_after(self, partition: int, after: bytes | None, limit: int) -> list[bytes]:
        self.starts.append(after)
        return super().keys_after(partition, after, limit)


def _index() -> TouchIndex:
    return TouchIndex(TOUCHES.bind("touches", CountingBackend()))


def _write(index: TouchIndex) -> None:
    for partition, changes in index.touches.take_changes().items():
        index.touches.backend.write(partition, changes)


def _entries(index: TouchIndex) -> set[bytes]:
    backend = index.touches.backend
    assert isinstance(backend, MemoryBackend)
    return {k for k in backend.partitions.get(0, {}) if not k.startswith(EXPIRY_PREFIX)}


def _entry(n: int, key: str, at: int, received: int) -> IndexEntry:
    return index_entry(key, f"t{n}", at, b"x", received)


_ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("file"),
            st.lists(
                st.tuples(
                    st.sampled_from(KEYS),
                    st.integers(-40, 2),  # event time, days from the clock
                    st.integers(-40, 0),  # reception, days from the clock
                ),
                min_size=1,
                max_size=6,
            ),
        ),
        st.tuples(st.just("sweep"), st.integers(1, 4)),  # expiry entries per index
        st.tuples(st.just("write"), st.none()),
        st.tuples(st.just("advance"), st.integers(1, 20)),  # days
    ),
    max_size=40,
)


def _dropped_wrongly(before: set[bytes], index: TouchIndex, now: int) -> list[bytes]:
    """Entries gone since ``before`` that retention still keeps."""
    wrong = []
    for raw in before - _entries(index):
        key, touch_time = parse_entry_key(raw)
        n = int(raw[raw.index(b"\x00") + 9 :].removeprefix(b"t"))  # key, 0, time, id
        if touch_lists.keeps(
            key.decode(),
            touch_time,
            RECEIVED[n],
            watermark_ms=index.watermarks[0],
            now_ms=now,
        ):
            wrong.append(raw)
    return wrong


RECEIVED: dict[int, int] = {}


def _overstaying(index: TouchIndex, now: int) -> list[bytes]:
    """Entries retention would have dropped a due step ago, after all due was swept."""
    late = []
    for raw in _entries(index):
        key, touch_time = parse_entry_key(raw)
        n = int(raw[raw.index(b"\x00") + 9 :].removeprefix(b"t"))
        step = DUE_ROUNDING_MS[key.decode()[0]]
        if not touch_lists.keeps(
            key.decode(),
            touch_time,
            RECEIVED[n],
            watermark_ms=index.watermarks[0] - step,
            now_ms=now - step,
        ):
            late.append(raw)
    return late


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_ops)
def test_sweeping_from_the_cursor_drops_only_what_retention_drops(ops: list) -> None:
    # The reference sweeps everything due from the beginning each time; ours visits at
    # most ``limit`` expiry entries from its cursor. Ours never drops an entry retention
    # keeps, and once both have swept all that is due, they hold the same entries.
    ours, reference = _index(), _index()
    now = 100 * DAY
    n = 0
    before = set()
    for op, arg in ops:
        if op == "file":
            entries = []
            for key, event_days, received_days in arg:
                n += 1
                RECEIVED[n] = now + received_days * DAY
                entries.append(_entry(n, key, now + event_days * DAY, RECEIVED[n]))
            ours.file(0, entries, now)
            reference.file(0, entries, now)
        elif op == "sweep":
            ours.sweep(0, now, limit=arg)
            reference.sweep(0, now, limit=10**9)
            reference.cursors.clear()  # the reference always starts at the beginning
        elif op == "write":
            _write(ours)
            ours.written()
            _write(reference)
            assert _dropped_wrongly(before, ours, now) == []
            before = _entries(ours)
        else:
            now += arg * DAY
    _write(ours)
    _write(reference)
    assert _dropped_wrongly(before, ours, now) == []
    for index, limit in ((ours, 64), (reference, 10**9)):  # all that is due now
        for _ in range(100):
            index.sweep(0, now, limit=limit)
            _write(index)
            index.cursors.clear() if index is reference else index.written()
    assert _entries(ours) == _entries(reference)
    # And what is left is what retention keeps, give or take one due step of either
    # clock (expiry entries are due on a grid: DUE_ROUNDING_MS).
    assert _overstaying(ours, now) == []
    # Far in the future, both are empty.
    for index in (ours, reference):
        index.watermarks[0] = max(index.watermarks[0], now + 400 * DAY)
        for _ in range(100):
            index.sweep(0, now + 400 * DAY, limit=64)
            _write(index)
        assert _entries(index) == set()


def test_a_sweep_starts_after_the_entries_swept_before() -> None:
    index = _index()
    key = KEYS[0]
    # A backfill: touches spread over 30 days, all received long ago.
    index.file(0, [_entry(i, key, i * DAY // 10, 0) for i in range(300)], now_ms=0)
    _write(index)
    now = 60 * DAY
    index.watermarks[0] = now
    backend = index.touches.backend
    assert isinstance(backend, CountingBackend)
    index.sweep(0, now, limit=2)
    _write(index)
    index.sweep(0, now, limit=2)
    first, second = backend.starts[-4], backend.starts[-2]  # the event-time index's starts
    assert first == EVENT_DUE
    assert second is not None
    assert second > EVENT_DUE  # not at the beginning again


def test_an_entry_listed_before_the_cursor_within_a_batch_is_still_swept() -> None:
    index = _index()
    key = KEYS[0]
    index.file(0, [_entry(i, key, 10 * DAY + i * DAY // 10, 0) for i in range(100)], now_ms=0)
    _write(index)
    now = 60 * DAY
    index.watermarks[0] = now
    index.sweep(0, now, limit=5)  # the cursor moves into day 11
    _write(index)
    index.written()
    # In one batch: an imported touch (event time day 1, received now: kept a horizon
    # from now) is filed, its expiry entry due before the cursor; then a sweep runs.
    index.file(0, [_entry(999, key, DAY, now)], now_ms=now)
    index.sweep(0, now, limit=5)
    _write(index)
    index.written()
    assert any(b"t999" in k for k in _entries(index))  # kept: received now
    later = now + 400 * DAY
    index.watermarks[0] = later
    for _ in range(100):
        index.sweep(0, later, limit=64)
        _write(index)
        index.written()
    assert _entries(index) == set()  # t999 too: its expiry entry was not passed over


def test_an_event_time_sweep_scans_the_entries_of_its_step_only() -> None:
    # One busy key, a touch an hour for 60 days, each in an envelope of its own: the
    # expiry index lists the key once per 30-hour step, however many envelopes filed
    # under it. When event time passes the first three steps, the sweep reads those
    # steps' entries once, not the key's 1,440, nor once per envelope.
    index = _index()
    key = KEYS[1]  # an id key: a 30-day horizon, 30-hour steps
    hour = 3_600_000
    for i in range(60 * 24):
        index.file(0, [_entry(i, key, i * hour, 0)], now_ms=0)
    _write(index)
    index.written()
    backend = index.touches.backend
    assert isinstance(backend, CountingBackend)
    step = DUE_ROUNDING_MS["i"]
    steps = {due_step("i", i * hour + HORIZON_MS["i"]) for i in range(60 * 24)}
    listings = [k for k in backend.partitions[0] if k.startswith((EVENT_DUE, PROCESSING_DUE))]
    assert len(listings) == len(steps)
    # Event time just past the third step: the touches of 0 to 90 h are past the horizon.
    index.watermarks[0] = 30 * DAY + 3 * step + 1
    backend.scanned = 0
    deleted, _ = index.sweep(0, 400 * DAY, limit=64)
    assert deleted == 3 * 30 + 1
    assert backend.scanned == deleted  # nothing read but what went


def test_a_sweep_with_nothing_due_opens_no_iterator_until_its_clock_passes_the_next_step() -> None:
    index = _index()
    backend = index.touches.backend
    assert isinstance(backend, CountingBackend)
    step = DUE_ROUNDING_MS["i"]
    index.file(0, [_entry(1, KEYS[1], 10 * step, 0)], now_ms=0)
    _write(index)
    index.written()
    due = due_step("i", 10 * step + HORIZON_MS["i"])
    index.sweep(0, now_ms=0)  # learns where each index's next due step is
    backend.starts.clear()
    for _ in range(5):  # an envelope's sweeps, with event time short of that step
        assert index.sweep(0, now_ms=0) == (0, 0)
    assert backend.starts == []
    index.file(0, [_entry(2, KEYS[0], 10 * step, 0)], now_ms=0)  # an earlier step is listed
    _write(index)
    index.written()
    index.watermarks[0] = due_step("p", 10 * step + HORIZON_MS["p"]) + 1
    later = 400 * DAY  # both touches were received long before
    assert index.sweep(0, now_ms=later)[0] == 1  # the fingerprint's step: swept at once
    index.watermarks[0] = due + 1
    assert index.sweep(0, now_ms=later)[0] == 1
    _write(index)
    assert _entries(index) == set()


def test_a_touch_filed_in_the_batch_of_its_keys_sweep_is_swept_later() -> None:
    # Its key is listed at a step already written; in one batch, the touch lists the
    # key at that step again, a later touch moves event time past the step, and a
    # sweep runs before the batch is written. The sweep reads written entries only:
    # it must leave the listing for after the write, or the new touch is never swept.
    index = _index()
    key = KEYS[1]
    step = DUE_ROUNDING_MS["i"]
    base = 10 * step
    index.file(0, [_entry(1, key, base, 0)], now_ms=0)
    _write(index)
    index.written()
    index.file(0, [_entry(2, key, base + 1, 0)], now_ms=0)  # the same step
    index.file(0, [_entry(3, KEYS[0], base + 40 * DAY, 0)], now_ms=0)  # event time moves on
    index.sweep(0, 400 * DAY, limit=64)
    _write(index)
    index.written()
    for _ in range(10):
        index.sweep(0, 400 * DAY, limit=64)
        _write(index)
        index.written()
    assert [k for k in _entries(index) if k.startswith(key.encode())] == []


def test_a_touch_listed_by_reception_is_swept_after_a_restart_lowered_event_time() -> None:
    # The event-time watermark lives in memory: after a restart that keeps the local
    # store, it is rebuilt from what is filed next and may be lower than when a
    # backfilled touch was listed by its reception. When that listing is due, the
    # touch is kept by the lower event time; it must be listed again, not forgotten.
    key = KEYS[1]
    before = _index()
    before.file(0, [_entry(2, KEYS[0], 80 * DAY, 80 * DAY)], now_ms=80 * DAY)
    # A backfilled touch: past its horizon in event time, so listed by its reception only.
    before.file(0, [_entry(1, key, 40 * DAY, 80 * DAY)], now_ms=80 * DAY)
    _write(before)
    after = TouchIndex(before.touches)  # the restarted worker, the same store
    after.watermarks[0] = 60 * DAY  # rebuilt lower: touch 1 is inside its event-time horizon
    after.sweep(0, 111 * DAY, limit=64)  # its reception's horizon has passed
    _write(after)
    after.written()
    assert any(k.startswith(key.encode()) for k in _entries(after))  # kept: event time
    after.watermarks[0] = 200 * DAY
    for _ in range(10):
        after.sweep(0, 201 * DAY, limit=64)
        _write(after)
        after.written()
    assert _entries(after) == set()  # and swept once event time moved past it
