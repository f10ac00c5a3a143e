"""The sink's small decisions: lanes, backoff, failure kinds."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from attrib.analytics.clickhouse import failure_reason, is_data_error
from attrib.analytics.sink import Backoff, split


def _values(tag: str, n: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(offset=i, tag=tag) for i in range(n)]


def test_split_cuts_evenly_and_keeps_every_value_in_order() -> None:
    groups = {b"v1": _values("a", 7), b"v2": _values("b", 4)}
    pieces = split(groups, 2)  # type: ignore[arg-type]
    assert [sum(len(v) for v in piece.values()) for piece in pieces] == [6, 5]
    joined = [(fp, v) for piece in pieces for fp, values in piece.items() for v in values]
    assert joined == [(fp, v) for fp, values in groups.items() for v in values]


def test_split_into_one_is_the_whole() -> None:
    groups = {b"v1": _values("a", 3)}
    assert split(groups, 1) == [groups]  # type: ignore[arg-type]


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first=0.2, cap=1.0)
    delays = [backoff.delay(n) for n in range(6)]
    assert 0.16 <= delays[0] <= 0.2
    assert 0.32 <= delays[1] <= 0.4
    assert all(0.8 <= d <= 1.0 for d in delays[3:])
    assert backoff.delay(10_000) <= 1.0


def _server_error(code: int, text: str = "") -> DatabaseError:
    error = DatabaseError(f"Code: {code}. DB::Exception: {text}")
    error.code = code  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OperationalError("connection refused"), "unreachable"),
        (_server_error(60, "Table x does not exist"), "server_error"),
        (_server_error(241, "Memory limit exceeded"), "server_error"),
        (_server_error(117, "Incorrect data"), "rejected"),
        (_server_error(1001, "type: avro::Exception, Invalid value for bool"), "rejected"),
        (_server_error(1001, "std::bad_alloc"), "server_error"),
    ],
)
def test_only_refused_data_is_isolated_everything_else_retried(
    error: Exception, reason: str
) -> None:
    assert failure_reason(error) == reason
    assert is_data_error(error) == (reason == "rejected")


async def test_commit_skips_the_lag_of_partitions_revoked_while_it_committed() -> None:
    """Found by the two-worker chaos run: a rebalance during the commit took a
    partition, and aiokafka's ``highwater`` asserted on it (the sink failed)."""
    from aiokafka import TopicPartition

    from attrib.analytics.sink import SinkService
    from attrib.settings import load_settings

    kept, taken = TopicPartition("t.attributions", 0), TopicPartition("t.attributions", 1)
    assignment = {kept, taken}
    committed: list[dict[TopicPartition, int]] = []

    def highwater(tp: TopicPartition) -> int:
        assert tp in assignment, "Partition is not assigned"
        return 10

    async def commit(offsets: dict[TopicPartition, int]) -> None:
        committed.append(offsets)
        assignment.discard(taken)  # the rebalance lands while the commit is in flight

    consumer = SimpleNamespace(
        assignment=lambda: set(assignment), commit=commit, highwater=highwater
    )
    sink = SinkService(load_settings(env={}), topic_names=["attributions"])
    await sink._commit(consumer, {kept: 4, taken: 7})  # type: ignore[arg-type]
    assert committed == [{kept: 4, taken: 7}]
