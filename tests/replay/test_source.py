"""The archive reader follows the layout contract: topic/app/date folders, raw value bytes."""

from __future__ import annotations

import re
from datetime import date
from importlib.resources import files
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from attrib.avro import codec
from attrib.cli.replay import replay
from attrib.replay.clickhouse_source import MISSING
from attrib.replay.records import ArchivedRecord
from attrib.replay.source import ArchiveError, ArchiveReader, archive_root
from tests.engine.harness import install_record
from tests.replay.helpers import write_archive

APP = "app.s"
DAY = 86_400_000
T = 1_790_000_000_000  # 2026-09-21 14:13:20 UTC


def installs(*times: int) -> list[ArchivedRecord]:
    return [
        ArchivedRecord(
            "installs",
            0,
            n,
            t,
            None,
            codec.encode(
                "Install",
                install_record(APP, install_time=t, ids={"android_id": f"a1b2c3d4e5f6a7b{n}"}),
            ),
        )
        for n, t in enumerate(times)
    ]


def test_reads_the_days_asked_and_only_the_value_bytes(tmp_path: Path) -> None:
    records = installs(T - 2 * DAY, T - DAY, T)
    write_archive(tmp_path, APP, records)
    reader = ArchiveReader(str(tmp_path))
    got = list(reader.read("installs", APP, date(2026, 9, 20), date(2026, 9, 21)))
    assert got == records[1:]
    assert list(reader.read("installs", "other.app", date(2026, 9, 1), date(2026, 9, 30))) == []
    assert list(reader.read("sessions", APP, date(2026, 9, 1), date(2026, 9, 30))) == []


def test_the_layout_is_topic_app_date_hour(tmp_path: Path) -> None:
    write_archive(tmp_path, APP, installs(T))
    [path] = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet")]
    assert path == f"topic=installs/app_id={APP}/date=2026-09-21/hour=14/0-0-0.parquet"


def test_a_record_in_two_files_is_read_once(tmp_path: Path) -> None:
    [record] = installs(T)
    write_archive(tmp_path, APP, [record])
    folder = tmp_path / f"topic=installs/app_id={APP}/date=2026-09-21/hour=14"
    table = pq.read_table(folder / "0-0-0.parquet")
    pq.write_table(table, folder / "0-0-0.copy.parquet")
    assert list(
        ArchiveReader(str(tmp_path)).read("installs", APP, date(2026, 9, 21), date(2026, 9, 21))
    ) == [record]


def test_a_file_without_the_contract_columns_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / f"topic=installs/app_id={APP}/date=2026-09-21/hour=14"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"event_id": ["x"]}), folder / "0-0-0.parquet")
    reader = ArchiveReader(str(tmp_path))
    with pytest.raises(ArchiveError, match="cannot read"):
        list(reader.read("installs", APP, date(2026, 9, 21), date(2026, 9, 21)))


def test_the_root_comes_from_the_environment(tmp_path: Path) -> None:
    assert archive_root({}) == str(Path(".attrib/archive").resolve())
    assert archive_root({"ATTRIB_DATA_DIR": str(tmp_path)}) == str(tmp_path / "archive")
    assert archive_root({"ATTRIB_ARCHIVE_URL": "s3://bucket/prefix"}) == "s3://bucket/prefix"
    with pytest.raises(ArchiveError, match="no archive at"):
        ArchiveReader(str(tmp_path / "missing"))


def _columns(sql: str, table: str) -> set[str]:
    body = sql.split(f".{table} ", 1)[1].split("ENGINE", 1)[0]
    return set(re.findall(r"^\s{4}`?(\w+)`?\s", body, re.M))


def test_what_clickhouse_lacks_is_really_missing_from_its_tables() -> None:
    sql = (files("attrib.analytics") / "migrations" / "0001_tables.sql").read_text()
    for name, (table, fields, _) in MISSING.items():
        columns = _columns(sql, table)
        assert "app_id" in columns, table  # the parse found the table
        assert not set(fields) & columns, (name, set(fields) & columns)


def test_source_clickhouse_is_refused_with_the_list() -> None:
    result = CliRunner().invoke(
        replay,
        ["--app", APP, "--from", "2026-09-01", "--to", "2026-09-02", "--source", "clickhouse"],
    )
    assert result.exit_code == 1
    assert "ClickHouse does not hold enough" in result.output
    assert "install_referrer" in result.output
    assert "--source archive" in result.output
    help_text = CliRunner().invoke(replay, ["--help"]).output
    assert "--source clickhouse is refused" in help_text
