"""The columns of archive files: Kafka's, then the record's fields, stable across releases."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from attrib.archive.columns import UnsupportedAvroType, arrow_type, topic_schema
from attrib.archive.flush import Flush, write_flush
from attrib.archive.layout import ARCHIVED_TOPICS
from attrib.archive.store import LocalStore
from attrib.avro import codec
from tests.archive.helpers import T0, parquet_files

RELEASED = json.loads((Path(__file__).parent / "released_columns.json").read_text())


@pytest.mark.parametrize("topic", ARCHIVED_TOPICS)
def test_released_columns_keep_their_names_types_and_order(topic: str) -> None:
    """Columns may be added (a new record version); none may change or move."""
    current = [f"{f.name} {f.type}" for f in topic_schema(topic)]
    released = RELEASED[topic]
    assert current[: len(released)] == released


def test_every_archived_topic_has_released_columns() -> None:
    assert sorted(RELEASED) == sorted(ARCHIVED_TOPICS)


def test_avro_types_map_to_arrow_types() -> None:
    assert arrow_type(["null", "long"]) == pa.int64()
    assert arrow_type({"type": "map", "values": "string"}) == pa.map_(pa.string(), pa.string())
    record = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    assert arrow_type({"type": "array", "items": record}) == pa.list_(
        pa.struct([pa.field("a", pa.int32())])
    )
    assert arrow_type({"type": "enum", "name": "E", "symbols": ["x"]}) == pa.string()
    with pytest.raises(UnsupportedAvroType):
        arrow_type(["null", "string", "long"])


def test_nested_fields_keep_their_shape(tmp_path: Path) -> None:
    event = {
        "event_id": "e-1",
        "app_id": "app-a",
        "device_key": "idfa:x",
        "event_name": "purchase",
        "event_time": T0,
        "received_time": T0,
        "values": {"sku": "A-1", "qty": "2"},
    }
    value = codec.encode("InAppEvent", event)
    flush = Flush("events", 0, 0, [(0, T0, None, value)])
    write_flush(LocalStore(tmp_path), flush, codec.default_codec())
    [path] = parquet_files(tmp_path)
    table = pq.read_table(path)
    assert table.schema.field("values").type == pa.map_(pa.string(), pa.string())
    assert dict(table.to_pydict()["values"][0]) == {"sku": "A-1", "qty": "2"}
    assert table.schema.metadata[b"attrib.record"] == b"InAppEvent"
