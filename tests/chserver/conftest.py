"""The ClickHouse endpoint under test, run as its own process on a free port.

These tests do not use the shared local stack: each server gets a fresh data
directory, so what they assert (persistence, restarts, deduplication) cannot
be disturbed by, or disturb, anything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from attrib.chserver.child import EndpointProcess


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EndpointProcess]:
    server = EndpointProcess(tmp_path_factory.mktemp("chserver") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_endpoint(tmp_path: Path) -> Iterator[EndpointProcess]:
    server = EndpointProcess(tmp_path / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()
