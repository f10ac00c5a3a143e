"""How the endpoint reads statements: INSERT heads, output formats, statement kinds."""

from __future__ import annotations

import pytest

from attrib.chserver import sqlscan
from attrib.chserver.errors import BAD_ARGUMENTS, ClickHouseError


def test_insert_head_splits_statement_format_and_binary_data() -> None:
    body = b"INSERT INTO `db`.`t` (`a`, `b`) FORMAT Native\n\x09\x00\x01a"
    head = sqlscan.split_insert(body, complete=True)
    assert head == sqlscan.InsertHead("INSERT INTO `db`.`t` (`a`, `b`)", "Native", 46)
    # A first data byte that looks like whitespace (9 columns = \t) is data.
    assert body[head.data_start :] == b"\x09\x00\x01a"


def test_insert_head_keeps_settings_and_follows_the_newline_rule() -> None:
    head = sqlscan.split_insert(
        b"insert into t settings async_insert=0 format CSV  \r\n1,2\n", complete=True
    )
    assert head is not None
    assert head.statement == "insert into t settings async_insert=0"
    assert head.format == "CSV"
    assert head.data_start == len(b"insert into t settings async_insert=0 format CSV  \r\n")


@pytest.mark.parametrize(
    "sql",
    [
        b"INSERT INTO format FORMAT TSV\n",
        b"INSERT INTO db.format FORMAT TSV\n",
        b"INSERT INTO t (`format`) FORMAT TSV\n",
        b"/* c */ INSERT -- x\n INTO t FORMAT TSV\n",
    ],
)
def test_a_table_or_column_called_format_is_not_the_format_clause(sql: bytes) -> None:
    head = sqlscan.split_insert(sql, complete=True)
    assert head is not None
    assert head.format == "TSV"
    assert head.data_start == len(sql)


@pytest.mark.parametrize(
    "sql",
    [
        b"SELECT 1",
        b"INSERT INTO t VALUES (1, 'FORMAT x')",
        b"INSERT INTO t SELECT * FROM u FORMAT Native",
        b"CREATE TABLE t (a Int8) ENGINE = Memory",
    ],
)
def test_other_statements_are_not_streamed_inserts(sql: bytes) -> None:
    assert sqlscan.split_insert(sql, complete=True) is None


@pytest.mark.parametrize(
    "partial",
    [b"", b"  ", b"INS", b"INSERT INTO t FORMAT", b"INSERT INTO t FORMAT Nat", b"INSERT INTO 't"],
)
def test_a_head_cut_short_asks_for_more(partial: bytes) -> None:
    with pytest.raises(sqlscan.Incomplete):
        sqlscan.split_insert(partial, complete=False)


def test_the_head_is_found_once_the_rest_arrives() -> None:
    with pytest.raises(sqlscan.Incomplete):
        sqlscan.split_insert(b"INSERT INTO t FORMAT RowBinary", complete=False)
    head = sqlscan.split_insert(b"INSERT INTO t FORMAT RowBinary\n\x01", complete=False)
    assert head is not None
    assert head.format == "RowBinary"


@pytest.mark.parametrize(
    ("sql", "fmt"),
    [
        ("SELECT 1", None),
        ("SELECT 1 FORMAT JSON", "JSON"),
        ("SELECT format FROM t", None),
        ("SELECT format('{}', 'x') FORMAT Native SETTINGS max_threads = 1", "Native"),
        ("SELECT 1 FORMAT TabSeparated;", "TabSeparated"),
        ("SELECT 'FORMAT JSON'", None),
    ],
)
def test_output_format(sql: str, fmt: str | None) -> None:
    assert sqlscan.output_format(sql) == fmt


def test_statement_kind_and_count() -> None:
    assert sqlscan.first_keyword("  -- hi\n select 1") == "SELECT"
    assert sqlscan.first_keyword("(SELECT 1) UNION ALL (SELECT 2)") == "("
    assert sqlscan.first_keyword("/* only a comment */") is None
    assert not sqlscan.has_several_statements("SELECT ';'; -- done")
    assert sqlscan.has_several_statements("SELECT 1; DROP TABLE t")


def test_an_insert_head_that_is_not_utf8_is_a_400_not_a_crash() -> None:
    # Finding of tests/fuzz/chserver: the statement before FORMAT was decoded as UTF-8
    # unguarded, so a stray byte answered 500 STD_EXCEPTION (UnicodeDecodeError).
    with pytest.raises(ClickHouseError) as caught:
        sqlscan.split_insert(b"INSERT INTO t\xff FORMAT TSV\n1\n", complete=True)
    assert caught.value.code == BAD_ARGUMENTS
    assert caught.value.http_status == 400
