"""Shared fixtures.

Unit tests need nothing. Tests marked ``integration`` talk to the real local
stack started by ``make test`` (``attrib local up --only kafka,clickhouse``):
the Kafka broker at ``ATTRIB_KAFKA_BOOTSTRAP`` and the ClickHouse endpoint at
``ATTRIB_CLICKHOUSE_URL``. They fail, never skip, when the stack is down, so a
CI run without services cannot pass by skipping.

Each test gets its own topic prefix so that tests never see each other's data.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from attrib.local.processes import port_open
from attrib.settings import Settings, load_settings
from tests.topics import delete_topics_with_prefixes

#: Topic prefixes (and Faust app ids) handed out in this session, deleted at its end.
_ISSUED_PREFIXES: set[str] = set()


@pytest.fixture(scope="session")
def stack_settings() -> Settings:
    """The deployment settings of the running local stack (env over defaults)."""
    return load_settings()


@pytest.fixture(scope="session")
def kafka_up(stack_settings: Settings) -> Settings:
    host, _, port = stack_settings.kafka_bootstrap.split(",")[0].rpartition(":")
    if not port_open(host, int(port)):
        pytest.fail(
            f"Kafka is not reachable at {stack_settings.kafka_bootstrap}; "
            "start it with `attrib local up --only kafka,clickhouse` (make test does)"
        )
    return stack_settings


@pytest.fixture(scope="session")
def clickhouse_up(stack_settings: Settings) -> Settings:
    url = urlparse(stack_settings.clickhouse_url)
    if not port_open(url.hostname or "127.0.0.1", url.port or 8123):
        pytest.fail(
            f"the ClickHouse endpoint is not reachable at {stack_settings.clickhouse_url}; "
            "start it with `attrib local up --only kafka,clickhouse` (make test does)"
        )
    return stack_settings


@pytest.fixture
def isolated_settings(kafka_up: Settings, tmp_path) -> Settings:
    """Settings with a fresh topic prefix, consumer app id and data dir for one test."""
    tag = uuid.uuid4().hex[:10]
    _ISSUED_PREFIXES.update({f"t{tag}.", f"attrib-test-{tag}-"})
    return load_settings(
        env={},
        kafka_bootstrap=kafka_up.kafka_bootstrap,
        clickhouse_url=kafka_up.clickhouse_url,
        topic_prefix=f"t{tag}.",
        faust_app_id=f"attrib-test-{tag}",
        data_dir=str(tmp_path / "data"),
        admin_token="test-admin-token",
        topic_partitions=2,
    )


def keep_prefixes(*prefixes: str) -> None:
    """Spare these prefixes from the session's cleanup (a failed chaos run's evidence)."""
    _ISSUED_PREFIXES.difference_update(prefixes)


@pytest.fixture(scope="session", autouse=True)
def _delete_test_topics_at_the_end(stack_settings: Settings) -> Iterator[None]:
    """Tests delete what they can; whatever a test left behind goes at the session's end."""
    yield
    host, _, port = stack_settings.kafka_bootstrap.split(",")[0].rpartition(":")
    if _ISSUED_PREFIXES and port_open(host, int(port)):
        try:
            asyncio.run(delete_topics_with_prefixes(stack_settings, _ISSUED_PREFIXES))
        except Exception as exc:  # a cleanup must never fail the run
            print(f"test topics not deleted: {exc}")
