"""The chdb-backed endpoint, driven through clickhouse-connect as production code drives it."""

from __future__ import annotations

import base64
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import lz4.frame
import pytest
from backports import zstd
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from attrib.chserver.child import EndpointProcess

pytestmark = pytest.mark.integration

COLUMNS = ["id", "name", "kind", "count", "score", "at", "note", "tags", "attrs"]
EVENTS_DDL = """
CREATE TABLE {table} (
    id UInt64,
    name String,
    kind LowCardinality(String),
    count UInt64,
    score Float64,
    at DateTime64(3),
    note Nullable(String),
    tags Array(String),
    attrs Map(String, String)
) ENGINE = MergeTree ORDER BY id
"""
BASE_TIME = datetime(2025, 3, 1, 12, 0, 0)


def event_rows(n: int) -> list[list[Any]]:
    return [
        [
            i,
            f"name {i}" if i % 100 else f"tab\there 'quote' \\ üñí {i}",
            ("install", "click", "open")[i % 3],
            i * 7,
            i * 0.5 + 0.25,
            BASE_TIME + timedelta(milliseconds=i),
            None if i % 4 == 0 else f"note {i}",
            [f"t{j}" for j in range(i % 3)],
            {"k": str(i), "even": str(i % 2 == 0)},
        ]
        for i in range(n)
    ]


@pytest.fixture
def client(endpoint: EndpointProcess) -> Iterator[Client]:
    client = endpoint.client()
    try:
        yield client
    finally:
        client.close()


def http(
    endpoint: EndpointProcess,
    params: dict[str, str],
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    url = f"{endpoint.url}/?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_ping_and_root(endpoint: EndpointProcess) -> None:
    for path in ("/ping", "/"):
        with urllib.request.urlopen(endpoint.url + path, timeout=5) as response:
            assert response.read() == b"Ok.\n"


def test_100k_rows_of_every_column_type_round_trip(client: Client) -> None:
    client.command(EVENTS_DDL.format(table="events_round_trip"))
    rows = event_rows(100_000)
    summary = client.insert("events_round_trip", rows, column_names=COLUMNS)
    assert summary.written_rows == 100_000

    result = client.query("SELECT * FROM events_round_trip ORDER BY id")
    assert result.column_names == tuple(COLUMNS)
    assert [list(row) for row in result.result_rows] == rows

    odd = rows[100]  # the row with a tab, quotes, a backslash and non-ASCII
    found = client.query(
        "SELECT id, kind, at FROM events_round_trip"
        " WHERE name = {name:String} AND at >= {at:DateTime64(3)} AND kind = {kind:String}",
        parameters={"name": odd[1], "at": odd[5], "kind": odd[2]},
    )
    assert found.result_rows == [(100, odd[2], odd[5])]
    counted = client.query(
        "SELECT count() FROM events_round_trip WHERE id BETWEEN {lo:UInt64} AND {hi:UInt64}"
        " AND has({kinds:Array(String)}, kind)",
        parameters={"lo": 10, "hi": 19, "kinds": ["click", "open"]},
    )
    assert counted.result_rows == [(sum(1 for i in range(10, 20) if i % 3),)]


def test_a_large_parameter_goes_through_the_form_encoded_request(client: Client) -> None:
    # Bind parameters over 4 KiB make clickhouse-connect send a multipart form.
    text = "é" * 10_000
    assert client.query("SELECT length({s:String})", parameters={"s": text}).result_rows == [
        (20_000,)
    ]


def test_bad_sql_raises_database_error_with_the_server_code(client: Client) -> None:
    with pytest.raises(DatabaseError) as syntax:
        client.query("SELEC 1")
    assert syntax.value.code == 62
    assert "code: 62" in str(syntax.value)
    assert "SYNTAX_ERROR" in str(syntax.value)

    with pytest.raises(DatabaseError) as unknown_table:
        client.command("SELECT * FROM no_such_table")
    assert unknown_table.value.code == 60
    assert "code: 60" in str(unknown_table.value)


def test_an_unknown_setting_is_code_115(client: Client, endpoint: EndpointProcess) -> None:
    with pytest.raises(DatabaseError) as caught:
        client.query("SELECT 1", settings={"no_such_setting_anywhere": 1})
    assert caught.value.code == 115
    # The failed request leaves nothing behind on the pooled connections.
    for _ in range(8):
        assert client.command("SELECT getSetting('max_threads') > 0") == 1

    status, headers, body = http(endpoint, {"query": "SELECT 1", "nonsense_setting": "1"})
    assert status == 400
    assert headers["X-ClickHouse-Exception-Code"] == "115"
    assert body.startswith(b"Code: 115. DB::Exception:")


def test_settings_apply_to_their_request_only(client: Client) -> None:
    query = "SELECT getSetting('max_block_size')"
    default = client.command(query)
    assert client.command(query, settings={"max_block_size": 1234}) == 1234
    for _ in range(8):  # every pooled connection is back to the default
        assert client.command(query) == default


@pytest.mark.parametrize("method", ["lz4", "zstd"])
def test_compressed_requests_and_responses(endpoint: EndpointProcess, method: str) -> None:
    table = f"compressed_{method}"
    client = endpoint.client(compress=method)
    try:
        client.command(EVENTS_DDL.format(table=table))
        rows = event_rows(20_000)
        client.insert(table, rows, column_names=COLUMNS)
        assert [
            list(r) for r in client.query(f"SELECT * FROM {table} ORDER BY id").result_rows
        ] == (rows)
    finally:
        client.close()

    encode = {"lz4": lz4.frame.compress, "zstd": zstd.compress}[method]
    decode = {"lz4": lz4.frame.decompress, "zstd": zstd.decompress}[method]
    tsv = b"".join(b"%d\tx%d\n" % (i, i) for i in range(1000))
    status, _, _ = http(
        endpoint,
        {"query": f"CREATE TABLE raw_{method} (a UInt32, b String) ENGINE = MergeTree ORDER BY a"},
        b"",
    )
    assert status == 200
    body = encode(f"INSERT INTO raw_{method} FORMAT TSV\n".encode() + tsv)
    status, _, _ = http(endpoint, {}, body, {"Content-Encoding": method})
    assert status == 200
    status, headers, answer = http(
        endpoint,
        {"query": f"SELECT a, b FROM raw_{method} ORDER BY a FORMAT TSV"},
        headers={"Accept-Encoding": method},
    )
    assert status == 200
    assert headers["Content-Encoding"] == method
    assert decode(answer) == tsv


def test_replacing_merge_tree_read_with_final(client: Client) -> None:
    client.command(
        "CREATE TABLE latest (key String, version UInt64, state String)"
        " ENGINE = ReplacingMergeTree(version) ORDER BY key"
    )
    client.insert(
        "latest", [["a", 1, "old"], ["b", 1, "only"]], column_names=["key", "version", "state"]
    )
    client.insert("latest", [["a", 2, "new"]], column_names=["key", "version", "state"])
    assert client.command("SELECT count() FROM latest") == 3
    final = client.query("SELECT key, version, state FROM latest FINAL ORDER BY key")
    assert final.result_rows == [("a", 2, "new"), ("b", 1, "only")]


def test_insert_deduplication_token_makes_a_repeated_insert_a_no_op(client: Client) -> None:
    client.command(
        "CREATE TABLE counted (id UInt64, what String) ENGINE = MergeTree ORDER BY id"
        " SETTINGS non_replicated_deduplication_window = 100"
    )
    batch = [[i, f"event {i}"] for i in range(1000)]
    for _ in range(2):
        client.insert(
            "counted",
            batch,
            column_names=["id", "what"],
            settings={"insert_deduplication_token": "x"},
        )
    assert client.command("SELECT count() FROM counted") == 1000
    client.insert(
        "counted", batch, column_names=["id", "what"], settings={"insert_deduplication_token": "y"}
    )
    assert client.command("SELECT count() FROM counted") == 2000


def test_get_is_read_only_and_credentials_are_accepted(endpoint: EndpointProcess) -> None:
    auth = {"Authorization": "Basic " + base64.b64encode(b"someone:secret").decode()}
    status, headers, body = http(endpoint, {"query": "SELECT 41 + 1"}, headers=auth)
    assert (status, body) == (200, b"42\n")
    assert headers["X-ClickHouse-Format"] == "TabSeparated"
    assert headers["X-ClickHouse-Timezone"]
    status, _, body = http(
        endpoint,
        {"query": "SELECT 1", "user": "u", "password": "p"},
        headers={"X-ClickHouse-User": "u", "X-ClickHouse-Key": "p"},
    )
    assert (status, body) == (200, b"1\n")
    status, headers, _ = http(endpoint, {"query": "CREATE TABLE via_get (a Int8) ENGINE = Memory"})
    assert status == 403
    assert headers["X-ClickHouse-Exception-Code"] == "164"


def test_four_threads_query_at_once_and_ping_stays_fast(endpoint: EndpointProcess) -> None:
    def work(n: int) -> list[int]:
        client = endpoint.client()
        try:
            slow = client.command("SELECT sleep(1.5) + 0")
            sums = [
                client.command(f"SELECT sum(number) FROM numbers({n * 1000 + k})") for k in range(5)
            ]
            return [slow, *sums]
        finally:
            client.close()

    ping_times: list[float] = []
    done = threading.Event()

    def ping_while_busy() -> None:
        time.sleep(0.5)
        while not done.is_set():
            start = time.monotonic()
            assert endpoint.ping(timeout=5)
            ping_times.append(time.monotonic() - start)
            time.sleep(0.1)

    pinger = threading.Thread(target=ping_while_busy)
    pinger.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(work, range(1, 5)))
    finally:
        done.set()
        pinger.join()
    for n, result in enumerate(results, start=1):
        sizes = [n * 1000 + k for k in range(5)]
        assert result == [0, *(s * (s - 1) // 2 for s in sizes)]
    assert ping_times
    assert max(ping_times) < 1.0  # a blocked ping would wait out a 1.5 s query


def test_an_insert_statement_that_is_not_utf8_is_code_36(endpoint: EndpointProcess) -> None:
    status, headers, body = http(endpoint, {}, b"INSERT INTO t\xff FORMAT TSV\n1\n")
    assert status == 400
    assert headers["X-ClickHouse-Exception-Code"] == "36"
    assert b"not valid UTF-8" in body
