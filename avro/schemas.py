"""The released Avro schemas: one directory of ``<snake_name>.v<N>.avsc`` files.

A :class:`SchemaSet` loads every version of every record found in a directory
(by default this package's own folder), parses each file with fastavro in its
own name space (two versions of ``Attribution`` both define
``attrib.Contributor``; a shared fastavro name registry would let one
overwrite the other), and computes its CRC-64-AVRO fingerprint over the
Parsing Canonical Form, the identity written in front of every encoded value
(Avro single-object encoding).

Loading refuses a directory that breaks the contract of streams.md: a file
whose name does not match its record, gaps in version numbers, two versions
with the same fingerprint, or consecutive versions that are not compatible
(:func:`attrib.avro.compat.check_compatible`). A worker therefore cannot start
over a schema set that would strand records already on the topics.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import fingerprint as _fastavro_fingerprint
from fastavro.schema import to_parsing_canonical_form

from attrib.avro.compat import check_compatible

NAMESPACE = "attrib"
_FILE_NAME = re.compile(r"^(?P<stem>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.avsc$")


class SchemaError(ValueError):
    """A schema file or a schema directory that breaks the rules of streams.md."""


class UnknownRecordError(KeyError):
    """A record name (or version) that the schema set does not hold."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown record"


def snake_name(record_name: str) -> str:
    """``InAppEvent`` -> ``in_app_event``: the file stem of a record's schemas."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", record_name).lower()


def schema_fingerprint(schema: Any) -> bytes:
    """The 8-byte little-endian CRC-64-AVRO fingerprint of a schema's canonical form.

    fastavro returns the little-endian bytes as hex (as the Java implementation
    and the single-object encoding header do).
    """
    canonical = to_parsing_canonical_form(schema)
    return bytes.fromhex(_fastavro_fingerprint(canonical, "CRC-64-AVRO"))


@dataclass(frozen=True)
class SchemaVersion:
    """One released version of one record schema."""

    name: str  # short record name, e.g. "Touch"
    version: int
    declared: dict[str, Any]  # the JSON as written in the file
    parsed: dict[str, Any]  # fastavro's parsed form, what the codec hands to fastavro
    fingerprint: bytes  # 8 bytes, little-endian CRC-64-AVRO

    @property
    def file_name(self) -> str:
        return f"{snake_name(self.name)}.v{self.version}.avsc"


def _load_file(entry: Traversable) -> SchemaVersion:
    match = _FILE_NAME.match(entry.name)
    if match is None:  # pragma: no cover - callers filter on the pattern
        raise SchemaError(f"{entry.name}: not named <snake_name>.v<N>.avsc")
    try:
        declared = json.loads(entry.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SchemaError(f"{entry.name}: not valid JSON: {exc}") from exc
    if not isinstance(declared, dict) or declared.get("type") != "record":
        raise SchemaError(f"{entry.name}: the top level must be a record")
    name = declared.get("name", "")
    if declared.get("namespace") != NAMESPACE or "." in name:
        raise SchemaError(f"{entry.name}: the record must be in namespace {NAMESPACE!r}")
    if snake_name(name) != match["stem"]:
        raise SchemaError(f"{entry.name}: holds record {name!r}, expected file {snake_name(name)}")
    try:
        parsed = parse_schema(declared, named_schemas={})
    except Exception as exc:  # fastavro raises several types for a bad schema
        raise SchemaError(f"{entry.name}: {exc}") from exc
    return SchemaVersion(
        name=name,
        version=int(match["version"]),
        declared=declared,
        parsed=parsed,
        fingerprint=schema_fingerprint(parsed),
    )


class SchemaSet:
    """Every version of every record schema in one directory."""

    def __init__(self, directory: str | Path | Traversable) -> None:
        root: Traversable = Path(directory) if isinstance(directory, str | Path) else directory
        by_name: dict[str, dict[int, SchemaVersion]] = {}
        for entry in sorted(root.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".avsc"):
                continue
            if not _FILE_NAME.match(entry.name):
                raise SchemaError(f"{entry.name}: not named <snake_name>.v<N>.avsc")
            loaded = _load_file(entry)
            by_name.setdefault(loaded.name, {})[loaded.version] = loaded
        if not by_name:
            raise SchemaError(f"no .avsc files in {directory}")
        self._by_name = {n: dict(sorted(v.items())) for n, v in sorted(by_name.items())}
        self._by_fingerprint: dict[bytes, SchemaVersion] = {}
        for name, versions in self._by_name.items():
            if list(versions) != list(range(1, len(versions) + 1)):
                raise SchemaError(
                    f"{name}: versions must run 1..N without gaps, got {list(versions)}"
                )
            ordered = list(versions.values())
            for old, new in itertools.pairwise(ordered):
                problems = check_compatible(old.declared, new.declared)
                if problems:
                    raise SchemaError(
                        f"{new.file_name}: incompatible with v{old.version}: {problems}"
                    )
            for sv in ordered:
                clash = self._by_fingerprint.get(sv.fingerprint)
                if clash is not None:
                    raise SchemaError(
                        f"{sv.file_name} has the same fingerprint as {clash.file_name}"
                    )
                self._by_fingerprint[sv.fingerprint] = sv

    @classmethod
    def packaged(cls) -> SchemaSet:
        """The schemas shipped in the ``attrib.avro`` package (the avro/ folder)."""
        return cls(resources.files("attrib.avro"))

    def names(self) -> list[str]:
        """Short record names, sorted."""
        return list(self._by_name)

    def versions(self, name: str) -> list[int]:
        """Released versions of a record, ascending."""
        return list(self._versions_of(name))

    def get(self, name: str, version: int | None = None) -> SchemaVersion:
        """One version of a record; the latest when ``version`` is None."""
        versions = self._versions_of(name)
        if version is None:
            return versions[next(reversed(versions))]
        try:
            return versions[version]
        except KeyError:
            raise UnknownRecordError(f"{name} has no version {version}") from None

    def by_fingerprint(self, fp: bytes) -> SchemaVersion | None:
        return self._by_fingerprint.get(fp)

    def __iter__(self) -> Iterator[SchemaVersion]:
        for versions in self._by_name.values():
            yield from versions.values()

    def _versions_of(self, name: str) -> dict[int, SchemaVersion]:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownRecordError(
                f"no Avro schema named {name!r}; known: {', '.join(self._by_name)}"
            ) from None
