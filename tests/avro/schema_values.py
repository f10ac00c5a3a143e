"""Hypothesis strategies of valid values of a parsed Avro schema (tests/avro only)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def values_of(schema: Any) -> st.SearchStrategy[Any]:
    """Valid values of ``schema``: records, arrays, maps, null unions and primitives."""
    if isinstance(schema, list):
        return st.one_of(*(values_of(branch) for branch in schema))
    if isinstance(schema, dict):
        kind = schema["type"]
        if kind == "map":
            return st.dictionaries(st.text(max_size=20), values_of(schema["values"]), max_size=3)
        if kind == "array":
            return st.lists(values_of(schema["items"]), max_size=3)
        if kind == "record":
            fields = {f["name"]: values_of(f["type"]) for f in schema["fields"]}
            return st.fixed_dictionaries(fields)
        return values_of(kind)
    return {
        "null": st.none(),
        "boolean": st.booleans(),
        "int": st.integers(min_value=-(2**31), max_value=2**31 - 1),
        "long": st.integers(min_value=-(2**63), max_value=2**63 - 1),
        "string": st.text(max_size=100),
        "bytes": st.binary(max_size=100),
        "double": st.floats(allow_nan=False),
        "float": st.floats(allow_nan=False, width=32),
    }[schema]
