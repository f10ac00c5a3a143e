"""Schema evolution: every released writer version decodes under the current reader.

Records are generated from each writer schema (hypothesis), encoded with that
version and decoded by the codec; the result must equal the record as Avro
resolution defines it (fields the reader lacks dropped, fields the writer
lacked set to their defaults). A synthetic v2 in a temporary schema set shows
the resolution both ways, and the loader refuses sets that break the rule.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import attrib.avro
from attrib.avro.codec import AvroCodec, default_codec
from attrib.avro.compat import check_compatible
from attrib.avro.schemas import SchemaError, SchemaSet, UnknownRecordError

PACKAGED = SchemaSet.packaged()
AVRO_DIR = Path(attrib.avro.__file__).parent


# ---- a small record generator over declared schemas -------------------------
def strategy_for(schema: Any, named: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    named = {} if named is None else named
    if isinstance(schema, list):
        return st.one_of(*(strategy_for(s, named) for s in schema))
    if isinstance(schema, str):
        if schema in named:
            return named[schema]
        schema = {"type": schema}
    kind = schema["type"]
    if isinstance(kind, list | dict):
        return strategy_for(kind, named)
    simple: dict[str, st.SearchStrategy[Any]] = {
        "null": st.none(),
        "boolean": st.booleans(),
        "int": st.integers(-(2**31), 2**31 - 1),
        "long": st.integers(-(2**63), 2**63 - 1),
        "string": st.text(max_size=12),
        "bytes": st.binary(max_size=12),
    }
    if kind in simple:
        return simple[kind]
    if kind == "array":
        return st.lists(strategy_for(schema["items"], named), max_size=3)
    if kind == "map":
        return st.dictionaries(
            st.text(max_size=6), strategy_for(schema["values"], named), max_size=3
        )
    if kind == "record":
        fields = {f["name"]: strategy_for(f["type"], named) for f in schema["fields"]}
        record = st.fixed_dictionaries(fields)
        named[schema["name"]] = named[f"attrib.{schema['name']}"] = record
        return record
    raise NotImplementedError(f"no generator for {kind}")  # no float/enum/fixed in our schemas


def resolve(value: Any, writer: Any, reader: Any) -> Any:
    """What an Avro reader with schema ``reader`` makes of ``value`` written with ``writer``."""
    if isinstance(writer, list):  # unions in our schemas: null plus one other branch
        if value is None:
            return None
        writer = next(b for b in writer if b != "null")
        reader = next(b for b in reader if b != "null")
    if isinstance(writer, dict) and writer.get("type") == "record":
        writer_fields = {f["name"]: f for f in writer["fields"]}
        out = {}
        for field in reader["fields"]:
            name = field["name"]
            if name in writer_fields:
                out[name] = resolve(value[name], writer_fields[name]["type"], field["type"])
            else:
                out[name] = field["default"]
        return out
    if isinstance(writer, dict) and writer.get("type") == "array":
        return [resolve(v, writer["items"], reader["items"]) for v in value]
    if isinstance(writer, dict) and writer.get("type") == "map":
        return {k: resolve(v, writer["values"], reader["values"]) for k, v in value.items()}
    return value


RELEASED = [(sv.name, sv.version) for sv in PACKAGED]


def _check_roundtrip(codec: AvroCodec, name: str, version: int, data: st.DataObject) -> None:
    writer = codec.schemas.get(name, version).declared
    reader = codec.schemas.get(name).declared
    record = data.draw(strategy_for(writer))
    decoded_name, decoded = codec.decode_named(codec.encode(name, record, version=version))
    assert decoded_name == name
    assert decoded == resolve(record, writer, reader)


@pytest.mark.parametrize(("name", "version"), RELEASED)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_released_version_decodes_under_the_current_reader(
    name: str, version: int, data: st.DataObject
) -> None:
    _check_roundtrip(default_codec(), name, version, data)


@pytest.fixture(scope="module")
def synthetic_codec(tmp_path_factory) -> AvroCodec:
    """The released schemas plus a compatible touch.v2 (new optional and defaulted fields)."""
    schema_dir = tmp_path_factory.mktemp("avro")
    for path in AVRO_DIR.glob("*.avsc"):
        shutil.copy(path, schema_dir / path.name)
    (schema_dir / "touch.v2.avsc").write_text(json.dumps(_touch_v2()))
    return AvroCodec(schema_dir)


@pytest.mark.parametrize("version", [1, 2])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_roundtrip_property_holds_across_versions(
    synthetic_codec: AvroCodec, version: int, data: st.DataObject
) -> None:
    _check_roundtrip(synthetic_codec, "Touch", version, data)


# ---- a synthetic v2 ------------------------------------------------------------
def _touch_v2(**changes: Any) -> dict[str, Any]:
    schema = json.loads((AVRO_DIR / "touch.v1.avsc").read_text())
    schema["fields"] += [
        {"name": "campaign_type", "type": ["null", "string"], "default": None},
        {"name": "score", "type": "long", "default": 7},
    ]
    for name, field in changes.items():
        schema["fields"] = [f for f in schema["fields"] if f["name"] != name]
        if field is not None:
            schema["fields"].append(field)
    return schema


def _schema_dir(tmp_path: Path, v2: dict[str, Any]) -> Path:
    shutil.copy(AVRO_DIR / "touch.v1.avsc", tmp_path / "touch.v1.avsc")
    (tmp_path / "touch.v2.avsc").write_text(json.dumps(v2))
    return tmp_path


def test_new_reader_fills_defaults_of_fields_an_old_writer_lacked(tmp_path, sample_records):
    codec = AvroCodec(_schema_dir(tmp_path, _touch_v2()))
    assert codec.versions("Touch") == [1, 2]
    old_value = codec.encode("Touch", sample_records["Touch"], version=1)
    assert old_value[2:10] == default_codec().fingerprint("Touch")  # v1 is the released one
    decoded = codec.decode(old_value)
    assert decoded == {**sample_records["Touch"], "campaign_type": None, "score": 7}


def test_old_reader_ignores_fields_a_new_writer_added(tmp_path, sample_records):
    schema_dir = _schema_dir(tmp_path, _touch_v2())
    new_value = AvroCodec(schema_dir).encode(
        "Touch", {**sample_records["Touch"], "campaign_type": "ua", "score": 9}
    )
    old_reader = AvroCodec(schema_dir, reader_versions={"Touch": 1})
    assert old_reader.decode(new_value) == sample_records["Touch"]
    with pytest.raises(UnknownRecordError, match="no version 3"):
        AvroCodec(schema_dir, reader_versions={"Touch": 3})


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"campaign": None}, "Touch.campaign: field removed"),
        (
            {"score": {"name": "score", "type": "long"}},
            "Touch.score: field added without a default",
        ),
        (
            {"touch_time": {"name": "touch_time", "type": "int"}},
            "Touch.touch_time: type changed from long to int",
        ),
        (
            {"ip": {"name": "ip", "type": ["null", "bytes"], "default": None}},
            "Touch.ip<1>: type changed from string to bytes",
        ),
        (
            {"is_retargeting": {"name": "is_retargeting", "type": "boolean", "default": True}},
            "Touch.is_retargeting: default changed",
        ),
    ],
)
def test_loader_refuses_an_incompatible_successor(tmp_path, changes, problem) -> None:
    with pytest.raises(SchemaError, match=r"touch\.v2\.avsc: incompatible") as info:
        SchemaSet(_schema_dir(tmp_path, _touch_v2(**changes)))
    assert problem in str(info.value)


def test_loader_refuses_gaps_bad_names_and_duplicates(tmp_path) -> None:
    shutil.copy(AVRO_DIR / "touch.v1.avsc", tmp_path / "touch.v1.avsc")
    shutil.copy(AVRO_DIR / "touch.v1.avsc", tmp_path / "touch.v3.avsc")
    with pytest.raises(SchemaError, match="without gaps"):
        SchemaSet(tmp_path)
    (tmp_path / "touch.v3.avsc").rename(tmp_path / "touch.v2.avsc")
    with pytest.raises(SchemaError, match="same fingerprint"):
        SchemaSet(tmp_path)
    (tmp_path / "touch.v2.avsc").rename(tmp_path / "click.v1.avsc")
    with pytest.raises(SchemaError, match="expected file touch"):
        SchemaSet(tmp_path)
    (tmp_path / "click.v1.avsc").rename(tmp_path / "Touch.avsc")
    with pytest.raises(SchemaError, match=r"<snake_name>\.v<N>\.avsc"):
        SchemaSet(tmp_path)


# ---- the compatibility checker -------------------------------------------------
def test_released_versions_follow_the_evolution_rule() -> None:
    for name in PACKAGED.names():
        versions = [PACKAGED.get(name, v).declared for v in PACKAGED.versions(name)]
        for old, new in itertools.pairwise(versions):
            assert check_compatible(old, new) == [], name


def test_checker_accepts_added_defaults_and_doc_changes() -> None:
    v1 = PACKAGED.get("Attribution").declared
    v2 = json.loads(json.dumps(v1))
    v2["doc"] = "reworded"
    v2["fields"][0]["doc"] = "reworded too"
    v2["fields"].append({"name": "new_flag", "type": "boolean", "default": False})
    assert check_compatible(v1, v2) == []
    assert check_compatible(v1, v1) == []


def test_checker_looks_inside_nested_records_and_names() -> None:
    v1 = PACKAGED.get("Attribution").declared
    v2 = json.loads(json.dumps(v1))
    contributors = next(f for f in v2["fields"] if f["name"] == "contributors")
    contributor_fields = contributors["type"]["items"]["fields"]
    next(f for f in contributor_fields if f["name"] == "touch_time")["type"] = "string"
    contributor_fields.append({"name": "rank", "type": "int"})
    v2["fields"].insert(0, v2["fields"].pop())  # field order does not matter
    assert check_compatible(v1, v2) == [
        "Attribution.contributors[].touch_time: type changed from long to string",
        "Attribution.contributors[].rank: field added without a default",
    ]
    renamed = dict(v1, name="Decision")
    assert check_compatible(v1, renamed) == [
        "Attribution: record renamed from Attribution to Decision"
    ]


def test_checker_refuses_union_changes() -> None:
    old = {"type": "record", "name": "R", "fields": [{"name": "a", "type": ["null", "string"]}]}
    widened = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "a", "type": ["null", "string", "long"]}],
    }
    required = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}
    assert check_compatible(old, widened) == [
        "R.a: union changed from [null, string] to [null, string, long]"
    ]
    assert check_compatible(old, required) == ["R.a: type changed from [null, string] to string"]
