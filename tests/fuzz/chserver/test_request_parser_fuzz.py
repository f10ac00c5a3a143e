"""Fuzzing the ClickHouse endpoint's request parser (attrib.chserver.protocol, .sqlscan).

Everything here runs before chdb sees a request. Documented outcomes:
``parse_http_query`` returns an ``HttpQuery`` or raises ``ClickHouseError``
(a 4xx/5xx ClickHouse-shaped answer, never the generic ``STD_EXCEPTION``);
the scanner raises only ``Incomplete`` and only while more input may come;
``split_insert`` decides the same whether the body arrives whole or in
chunks (as ``execution._read_head`` feeds it), and never hangs.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from attrib.chserver import execution, sqlscan
from attrib.chserver.errors import STD_EXCEPTION, ClickHouseError
from attrib.chserver.protocol import HttpQuery, parse_http_query
from tests.fuzz.budget import fuzz_settings, no_hang
from tests.fuzz.mutations import mutated

STATEMENTS = [
    b"INSERT INTO db.t (a, b) FORMAT RowBinary\n\x01\x02\x03",
    b'INSERT INTO TABLE `my``t` SETTINGS x=1 FORMAT "JSONEachRow"\r\n{"a":1}',
    b"insert into t format TSV 1\t2\n",
    b"INSERT INTO t VALUES (1, 'a;b')",
    b"SELECT 1 /* c /* nested */ */ FORMAT JSON; -- tail",
    b"WITH x AS (SELECT '\\'') SELECT * FROM x FORMAT TabSeparated SETTINGS a=1",
    b"SELECT \xc3\xa9, '\xff' FROM t; SELECT 2",
]
NAMES = [
    "query", "database", "query_id", "default_format", "readonly", "compress", "decompress",
    "enable_http_compression", "session_id", "param_x", "max_threads", "user", "password",
]  # fmt: skip


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    out, start = [], 0
    for point in [*points, len(data)]:
        out.append(data[start:point])
        start = point
    return [chunk for chunk in out if chunk]


def split_whole(data: bytes) -> sqlscan.InsertHead | ClickHouseError | None:
    try:
        with no_hang():
            return sqlscan.split_insert(data, complete=True)
    except ClickHouseError as exc:
        return exc


def check_statement(data: bytes, cuts: list[int]) -> None:
    whole = split_whole(data)
    if isinstance(whole, ClickHouseError):
        assert whole.code != STD_EXCEPTION
        assert 400 <= whole.http_status < 500
    try:
        with no_hang():
            head, _ = execution._read_head(b"", iter(chunked(data, cuts)))
    except ClickHouseError as exc:
        head = exc
    if isinstance(head, ClickHouseError):
        assert isinstance(whole, ClickHouseError), head
        return
    if len(data) <= execution._HEAD_LIMIT:
        assert head == whole, (head, whole)
    text = data.decode("latin-1")
    with no_hang():
        list(sqlscan.tokens(text))
        sqlscan.first_keyword(text)
        sqlscan.has_several_statements(text)
        sqlscan.output_format(text)


@fuzz_settings()
@given(
    data=st.sampled_from(STATEMENTS).flatmap(lambda s: mutated(s, max_mutations=5)),
    cuts=st.lists(st.integers(0, 80), max_size=6),
)
def test_a_mutated_statement_splits_the_same_whole_or_in_chunks(
    data: bytes, cuts: list[int]
) -> None:
    check_statement(data, cuts)


@fuzz_settings()
@given(
    data=st.lists(
        st.sampled_from(
            [
                b"INSERT",
                b" INTO ",
                b"t",
                b".",
                b"FORMAT",
                b" ",
                b"\n",
                b"'",
                b"`",
                b'"',
                b"(",
                b")",
                b"/*",
                b"*/",
                b"--",
                b"#!",
                b";",
                b"VALUES",
                b"\\",
                b"\xc3",
                b"\xff",
            ]
        )
        | st.binary(max_size=4),
        max_size=16,
    ).map(b"".join),
    cuts=st.lists(st.integers(0, 40), max_size=6),
)
def test_token_soup_splits_the_same_whole_or_in_chunks(data: bytes, cuts: list[int]) -> None:
    check_statement(data, cuts)


@fuzz_settings()
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(NAMES) | st.text(max_size=10),
            st.sampled_from(["", "0", "1", "2", "true", "FALSE", "-1", "Dataframe", "٣"])
            | st.text(max_size=10),
        ),
        max_size=8,
    ),
    method=st.sampled_from(["GET", "POST"]),
)
def test_url_parameters_parse_or_fail_as_the_server_would(
    params: list[tuple[str, str]], method: str
) -> None:
    try:
        with no_hang():
            query = parse_http_query(params, method=method)
    except ClickHouseError as exc:
        error = exc
    else:
        assert isinstance(query, HttpQuery)
        assert method == "POST" or query.readonly
        return
    assert error.code != STD_EXCEPTION
    assert error.http_status in (400, 501), error.text
    assert error.body("test").startswith(f"Code: {error.code}. DB::Exception: ")
