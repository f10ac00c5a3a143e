"""The endpoint's data directory outlives the process, whether stopped or killed."""

from __future__ import annotations

import pytest

from attrib.chserver.child import EndpointProcess

pytestmark = pytest.mark.integration


def test_rows_survive_kill_and_restart(fresh_endpoint: EndpointProcess) -> None:
    client = fresh_endpoint.client()
    client.command("CREATE DATABASE kept")
    client.command("CREATE TABLE kept.rows (id UInt64, v String) ENGINE = MergeTree ORDER BY id")
    client.insert("kept.rows", [[i, str(i)] for i in range(5000)], column_names=["id", "v"])
    client.close()

    fresh_endpoint.kill()
    fresh_endpoint.start()

    client = fresh_endpoint.client(database="kept")
    try:
        assert client.command("SELECT count(), sum(id) FROM rows") == [
            "5000",
            str(sum(range(5000))),
        ]
    finally:
        client.close()


def test_sigterm_stops_gracefully_and_one_process_owns_a_directory(
    fresh_endpoint: EndpointProcess,
) -> None:
    second = EndpointProcess(fresh_endpoint.data_dir)
    with pytest.raises(RuntimeError, match="exited"):
        second.start(timeout=30)
    assert "another ClickHouse endpoint already serves" in second.log_text()

    assert fresh_endpoint.stop() == 0
    fresh_endpoint.start()  # the lock went with the stopped process
    assert fresh_endpoint.ping()
