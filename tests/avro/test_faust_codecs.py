"""The Avro records as Faust codecs (``value_serializer="avro-touch"``)."""

from __future__ import annotations

import faust
import pytest
from faust.serializers import codecs

from attrib.avro import codec
from attrib.avro.codec import AvroDecodeError
from attrib.avro.faust_codecs import codec_name, register_faust_codecs


@pytest.fixture(scope="module", autouse=True)
def registered() -> dict[str, str]:
    return register_faust_codecs()


def test_one_codec_per_record_name(registered) -> None:
    assert registered == {name: codec_name(name) for name in codec.names()}
    assert registered["InAppEvent"] == "avro-in-app-event"
    assert all(name in codecs.codecs for name in registered.values())


@pytest.mark.parametrize("name", codec.names())
def test_dumps_is_the_single_object_encoding_and_loads_reverses_it(name, sample_records):
    record = sample_records[name]
    data = codecs.dumps(codec_name(name), record)
    assert data == codec.encode(name, record)
    assert codecs.loads(codec_name(name), data) == record


def test_loads_refuses_a_value_of_another_record(sample_records) -> None:
    session = codec.encode("Session", sample_records["Session"])
    with pytest.raises(AvroDecodeError) as info:
        codecs.loads("avro-touch", session)
    assert info.value.reason == "unexpected_record"


def test_faust_models_serialize_through_the_codec(sample_records) -> None:
    class Config(faust.Record, serializer="avro-app-config"):
        app_id: str
        version: int
        updated_time: int
        config_json: str

    model = Config(**sample_records["AppConfig"])
    data = model.dumps()
    assert codec.decode(data, expect="AppConfig") == sample_records["AppConfig"]
    assert Config.loads(data, serializer="avro-app-config") == model


def test_codecs_chain_with_faust_builtins(sample_records) -> None:
    chained = "avro-dead-letter|binary"
    data = codecs.dumps(chained, sample_records["DeadLetter"])
    assert codecs.loads(chained, data) == sample_records["DeadLetter"]
