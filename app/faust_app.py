"""The stream worker's Faust application.

Run it with ``attrib worker`` (what Kubernetes runs). Tables live in
``tables/`` (``attrib.tables``) and agents in ``agents/`` (``attrib.agents``);
both import :data:`app` from here and are discovered at worker start.

Settings come from the environment (:func:`attrib.settings.load_settings`) at
import, because Faust's decorators need the application when the agent and
table modules are imported. Tests run workers as subprocesses with their own
environment (topic prefix, app id, data folder).
"""

from __future__ import annotations

import ssl
from typing import Any

import faust

from attrib.settings import Settings, load_settings

#: The largest record the workers write (an envelope, a table value): topics the
#: workers create allow it explicitly, whatever the broker's default.
MAX_RECORD_BYTES = 8 * 1024 * 1024
LARGE_RECORDS = {"max.message.bytes": str(MAX_RECORD_BYTES)}


def broker_credentials(settings: Settings) -> Any:
    protocol = settings.kafka_security_protocol
    context = None
    if protocol.endswith("SSL"):
        context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password.reveal(),
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    return context


def create_app(settings: Settings) -> faust.App:
    """The Faust application configured for ``settings``."""
    datadir = settings.data_path / "worker" / "tables"
    datadir.parent.mkdir(parents=True, exist_ok=True)
    brokers = ";".join(f"kafka://{b.strip()}" for b in settings.kafka_bootstrap.split(","))
    return faust.App(
        settings.faust_app_id,
        broker=brokers,
        broker_credentials=broker_credentials(settings),
        store="rocksdb://",
        Table="attrib.tables.rocks:CompactTable",  # compressed RocksDB stores
        datadir=str(datadir),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        key_serializer="raw",
        value_serializer="raw",
        producer_acks=-1,
        producer_max_request_size=MAX_RECORD_BYTES,
        producer_linger_ms=2,
        consumer_auto_offset_reset="earliest",
        web_host=settings.worker_host,
        web_bind=settings.worker_host,
        web_port=settings.worker_port,
        web_transport=f"tcp://{settings.worker_host}:{settings.worker_port}",
        table_standby_replicas=settings.table_standby_replicas,
        consumer_group_instance_id=settings.worker_id or None,  # static membership
        stream_wait_empty=False,
        autodiscover=[
            "attrib.views",
            "attrib.tables",
            "attrib.agents",
            "attrib.sink_service",
            "attrib.delivery_service",
            "attrib.archive_service",
        ],
        origin="attrib.faust_app",
        loghandlers=[],
    )


def patch_consumer(settings: Settings) -> None:
    """Faust's consumer never skips a record of the engine's topics (offset_guard.py) and
    delivers each fetched batch in one wait, not one per record (batch_drain.py)."""
    from faust.transport.drivers.aiokafka import Consumer

    from attrib.engine.topics import EngineTopics
    from attrib.kafka import batch_drain, offset_guard

    internal = frozenset(EngineTopics.of(settings).internal)
    offset_guard.install(Consumer, internal.__contains__)
    batch_drain.install(Consumer)


settings: Settings = load_settings()
app: faust.App = create_app(settings)
patch_consumer(settings)
