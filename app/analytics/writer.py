"""Writing one table's share of a batch: the fast path and the isolation of bad values.

The fast path sends every value as it arrived (:mod:`attrib.analytics.framing`),
one insert per writer schema. When ClickHouse refuses the data itself
(:func:`attrib.analytics.clickhouse.is_data_error`), the values are decoded
in Python to find those the codec rejects, and the rest are inserted again,
halving the group on each refusal until the single values ClickHouse will not
take are found. Every value ends up either inserted or returned as a
:class:`Rejection` for the dead-letter table; nothing is dropped silently.

Any other failure (server unreachable, overloaded) propagates: the caller
retries the whole table write later. A retried write may repeat inserts
that had succeeded; the tables collapse such duplicates (docs/analytics.md).

Runs in a worker thread: clickhouse-connect is synchronous.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, cast

from clickhouse_connect.driver.client import Client

from attrib.analytics.clickhouse import is_data_error
from attrib.analytics.framing import INSERT_SETTINGS, ContainerFramer
from attrib.analytics.targets import TableTarget
from attrib.avro.codec import AvroCodec, AvroDecodeError

MAX_DETAIL_CHARS = 500
REJECTED_BY_CLICKHOUSE = "clickhouse_rejected"


class Value(Protocol):
    """A value read from Kafka and where it was read (aiokafka's ``ConsumerRecord`` fits).

    The position is what a dead letter must name; ``timestamp`` (epoch ms) is
    the Kafka record's, the same on every replay.
    """

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class MadeValue:
    """A value the sink made itself (a dead-letter row), with the position it is about."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes


@dataclass(frozen=True, slots=True)
class Rejection:
    """A value that cannot be stored in its table, and why."""

    source: Value
    reason: str
    detail: str


@dataclass
class WriteResult:
    rows: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def add(self, other: WriteResult) -> None:
        self.rows += other.rows
        self.rejected.extend(other.rejected)


class TableWriter:
    """Inserts values into one table (synchronous; call it from a thread)."""

    def __init__(self, target: TableTarget, codec: AvroCodec) -> None:
        self.target = target
        self._codec = codec
        self._framer = ContainerFramer(codec.schemas, target.renames)

    def write(self, client: Client, groups: Mapping[bytes, Sequence[Value]]) -> WriteResult:
        """Insert every value of ``groups`` (writer fingerprint -> values of that writer)."""
        result = WriteResult()
        for fingerprint, group in groups.items():
            if not group:
                continue
            try:
                self._insert(client, fingerprint, group)
                result.rows += len(group)
            except Exception as exc:
                if not is_data_error(exc):
                    raise
                result.add(self._isolate(client, fingerprint, group, exc))
        return result

    def _insert(self, client: Client, fingerprint: bytes, group: Sequence[Value]) -> None:
        body = self._framer.frame(fingerprint, _bodies(group))
        client.raw_insert(self.target.table, None, body, settings=INSERT_SETTINGS, fmt="Avro")

    def _isolate(
        self, client: Client, fingerprint: bytes, group: Sequence[Value], refusal: Exception
    ) -> WriteResult:
        """After a refusal of ``group``: reject what the codec cannot decode, retry the rest."""
        decoded = self._codec.try_decode_many(_bodies(group), expect=self.target.record)
        result = WriteResult()
        good = []
        for value, outcome in zip(group, decoded, strict=True):
            if isinstance(outcome, AvroDecodeError):
                result.rejected.append(Rejection(value, outcome.reason, outcome.detail))
            else:
                good.append(value)
        if good:
            unchanged = len(good) == len(group)
            result.add(self._bisect(client, fingerprint, good, refusal, tried=unchanged))
        return result

    def _bisect(
        self,
        client: Client,
        fingerprint: bytes,
        group: Sequence[Value],
        refusal: Exception,
        *,
        tried: bool,
    ) -> WriteResult:
        """Insert ``group``; on a data refusal, each half on its own, down to single values."""
        if not tried:
            try:
                self._insert(client, fingerprint, group)
                return WriteResult(rows=len(group))
            except Exception as exc:
                if not is_data_error(exc):
                    raise
                refusal = exc
        if len(group) == 1:
            detail = str(refusal)[:MAX_DETAIL_CHARS]
            return WriteResult(rejected=[Rejection(group[0], REJECTED_BY_CLICKHOUSE, detail)])
        middle = len(group) // 2
        result = self._bisect(client, fingerprint, group[:middle], refusal, tried=False)
        result.add(self._bisect(client, fingerprint, group[middle:], refusal, tried=False))
        return result


def _bodies(group: Sequence[Value]) -> list[bytes]:
    """The values' bytes: never None here, the header check let none through."""
    return cast("list[bytes]", [v.value for v in group])
