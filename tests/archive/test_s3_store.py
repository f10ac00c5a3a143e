"""The archive on S3-compatible object storage: moto's server (PyPI ``moto[server]``) on loopback.

pyarrow's S3 client talks HTTP to it as to AWS; the same flush, recovery and
replay reader run over ``s3://`` as over a local folder, and ClickHouse reads
the files in place with ``s3()``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import pytest

from attrib.analytics.clickhouse import connect
from attrib.archive.flush import Flush, recover, write_flush
from attrib.archive.layout import intent_path, manifest_path
from attrib.archive.store import ObjectStore, open_store
from attrib.avro.codec import default_codec
from attrib.replay.source import ArchiveReader
from attrib.settings import Settings
from tests.archive.helpers import CrashingStore, StoreDown, raws, touch

CODEC = default_codec()
BUCKET = "attrib-archive"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"{host}:{port}"
    boto3.client("s3", endpoint_url=f"http://{endpoint}", region_name="us-east-1").create_bucket(
        Bucket=BUCKET
    )
    try:
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def s3_url(endpoint: str, prefix: str) -> str:
    return f"s3://{BUCKET}/{prefix}?endpoint_override={endpoint}&scheme=http&region=us-east-1"


def test_the_url_opens_an_object_store(s3_endpoint: str) -> None:
    store = open_store(s3_url(s3_endpoint, "p0"))
    assert isinstance(store, ObjectStore)
    assert store.url == f"s3://{BUCKET}/p0"
    store.write("a/b.json", b"{}")
    assert store.read("a/b.json") == b"{}"
    assert store.read("a/missing.json") is None
    store.delete("a/b.json")
    assert store.read("a/b.json") is None


def test_flush_crash_and_recovery_on_s3(s3_endpoint: str) -> None:
    store = open_store(s3_url(s3_endpoint, "p1"))
    values = [touch(i, app_id=f"app-{i % 2}") for i in range(6)]
    with pytest.raises(StoreDown):
        write_flush(CrashingStore(store, crash_at=3), Flush("clicks", 0, 0, raws(values)), CODEC)
    assert store.read(intent_path("clicks", 0, 0)) is not None
    found = recover(store, "clicks", 0, 0)
    assert (found.position, found.orphans_deleted) == (0, 2)
    manifest = write_flush(store, Flush("clicks", 0, 0, raws(values[:4])), CODEC)
    assert store.read(manifest_path("clicks", 0, 0)) is not None
    assert recover(store, "clicks", 0, 0).position == manifest.last + 1 == 4

    day = date(2025, 12, 1)
    reader = ArchiveReader(s3_url(s3_endpoint, "p1"))
    got = sorted(r.offset for a in ("app-0", "app-1") for r in reader.read("clicks", a, day, day))
    assert got == [0, 1, 2, 3]


def test_clickhouse_reads_the_archive_in_place_with_s3(
    s3_endpoint: str, clickhouse_up: Settings
) -> None:
    store = open_store(s3_url(s3_endpoint, "p2"))
    write_flush(store, Flush("clicks", 1, 0, raws([touch(i) for i in range(9)])), CODEC)
    client = connect(clickhouse_up, database="")
    try:
        [(count, sources)] = client.query(
            "SELECT count(), uniqExact(media_source) "
            "FROM s3({url:String}, 'test', 'test', Parquet)",
            parameters={"url": f"http://{s3_endpoint}/{BUCKET}/p2/topic=clicks/**/*.parquet"},
        ).result_rows
    finally:
        client.close()
    assert (count, sources) == (9, 3)
