"""The evolution rule of streams.md, as a checker over two schema versions.

"Add fields only with defaults, never rename or remove a field, never change
a type." Under that rule every released writer version resolves to every
later reader (new fields take their defaults) and the reverse (an older
reader skips fields it does not know), which is what lets workers and
producers be upgraded in any order.

The rule is deliberately stricter than Avro's own resolution rules: Avro
would also accept int->long promotions, new union branches or changed
defaults, but each of those breaks some reader in one direction or confuses
the ClickHouse columns fed from these records. Documentation (``doc``) may
change freely: it is not part of the Parsing Canonical Form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_MISSING = object()


def check_compatible(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Problems that make ``new`` an illegal successor of ``old`` (empty: compatible).

    Both arguments are declared schemas (the JSON of the ``.avsc`` files).
    Each problem names the field path, e.g. ``Attribution.contributors[].touch_time``.
    """
    problems: list[str] = []
    _compare(old, new, _name(old) or "schema", problems)
    return problems


def _name(schema: Any) -> str:
    if isinstance(schema, Mapping):
        return str(schema.get("name", ""))
    return ""


def _describe(schema: Any) -> str:
    """A short label of a type for messages and for identity of simple types."""
    if isinstance(schema, str):
        return schema
    if isinstance(schema, list):
        return "[" + ", ".join(_describe(s) for s in schema) + "]"
    kind = schema.get("type")
    if kind in _PRIMITIVES:
        logical = schema.get("logicalType")
        return f"{kind}({logical})" if logical else str(kind)
    if kind in ("record", "enum", "fixed", "error"):
        return f"{kind} {schema.get('name')}"
    if kind == "array":
        return f"array<{_describe(schema.get('items'))}>"
    if kind == "map":
        return f"map<{_describe(schema.get('values'))}>"
    return str(kind)


def _kind(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, str):
        return "primitive" if schema in _PRIMITIVES else "reference"
    kind = schema.get("type")
    if kind in _PRIMITIVES:
        return "primitive"
    return str(kind)


def _compare(old: Any, new: Any, path: str, problems: list[str]) -> None:
    old_kind, new_kind = _kind(old), _kind(new)
    if old_kind != new_kind:
        problems.append(f"{path}: type changed from {_describe(old)} to {_describe(new)}")
        return
    if old_kind in ("primitive", "reference"):
        if _describe(old) != _describe(new):
            problems.append(f"{path}: type changed from {_describe(old)} to {_describe(new)}")
    elif old_kind == "union":
        if len(old) != len(new):
            problems.append(f"{path}: union changed from {_describe(old)} to {_describe(new)}")
            return
        for i, (o, n) in enumerate(zip(old, new, strict=True)):
            _compare(o, n, f"{path}<{i}>", problems)
    elif old_kind == "array":
        _compare(old["items"], new["items"], f"{path}[]", problems)
    elif old_kind == "map":
        _compare(old["values"], new["values"], f"{path}{{}}", problems)
    elif old_kind in ("enum", "fixed"):
        if _name(old) != _name(new):
            problems.append(f"{path}: {old_kind} renamed from {_name(old)} to {_name(new)}")
        for key in ("symbols", "size", "default"):
            if old.get(key) != new.get(key):
                problems.append(f"{path}: {old_kind} {key} changed")
    elif old_kind in ("record", "error"):
        _compare_records(old, new, path, problems)
    else:  # pragma: no cover - parse_schema rejects anything else first
        problems.append(f"{path}: unsupported type {_describe(old)}")


def _compare_records(
    old: Mapping[str, Any], new: Mapping[str, Any], path: str, problems: list[str]
) -> None:
    if _name(old) != _name(new) or old.get("namespace") != new.get("namespace"):
        problems.append(f"{path}: record renamed from {_name(old)} to {_name(new)}")
        return
    new_fields = {f["name"]: f for f in new.get("fields", [])}
    old_names = set()
    for field in old.get("fields", []):
        fname = field["name"]
        old_names.add(fname)
        here = f"{path}.{fname}"
        successor = new_fields.get(fname)
        if successor is None:
            problems.append(f"{here}: field removed (or renamed)")
            continue
        _compare(field["type"], successor["type"], here, problems)
        if field.get("default", _MISSING) != successor.get("default", _MISSING):
            problems.append(f"{here}: default changed")
    for fname, field in new_fields.items():
        if fname not in old_names and "default" not in field:
            problems.append(f"{path}.{fname}: field added without a default")
