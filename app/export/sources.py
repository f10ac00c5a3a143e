"""Where ``attrib export installs`` reads attributions: ClickHouse or the Parquet archive.

ClickHouse's ``attributions`` table (the sink's) keeps every field the
AppsFlyer layout needs under the Avro record's names, so both sources give
the same rows; the archive serves when ClickHouse is not at hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from attrib.avro import codec

ATTRIBUTIONS_SQL = """
SELECT *
FROM attributions FINAL
WHERE app_id = {app:String}
  AND toDate(install_time) BETWEEN {date_from:Date} AND {date_to:Date}
ORDER BY install_time, install_event_id
"""


def from_clickhouse(client: Any, app_id: str, first: date, last: date) -> Iterator[dict[str, Any]]:
    """The app's attributions of ``first``..``last`` (install day, UTC) from ClickHouse."""
    result = client.query(
        ATTRIBUTIONS_SQL, parameters={"app": app_id, "date_from": first, "date_to": last}
    )
    for values in result.result_rows:
        yield dict(zip(result.column_names, values, strict=True))


def from_archive(root: str, app_id: str, first: date, last: date) -> Iterator[dict[str, Any]]:
    """The same from the archived ``attributions`` topic (the last record per install)."""
    from attrib.replay.source import ArchiveReader

    records = sorted(
        ArchiveReader(root).read("attributions", app_id, first, last),
        key=lambda r: (r.partition, r.offset),
    )
    latest = {}
    for r in records:
        a = codec.decode(r.value)
        latest[a["install_event_id"]] = a
    yield from sorted(latest.values(), key=lambda a: (a["install_time"], a["install_event_id"]))


__all__ = ["ATTRIBUTIONS_SQL", "from_archive", "from_clickhouse"]
