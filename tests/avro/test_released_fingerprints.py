"""A released schema is never edited (streams.md): its fingerprint is pinned here.

When a schema file is edited, its fingerprint changes and this test fails:
write a new version file instead. When a new version is released, add its
fingerprint below (``attrib.avro.codec.fingerprint(name, version).hex()``).
Documentation edits do not change a fingerprint (``doc`` is not part of the
Parsing Canonical Form).
"""

from __future__ import annotations

from attrib.avro.schemas import SchemaSet

RELEASED: dict[tuple[str, int], str] = {
    ("AppConfig", 1): "f819b71f3b5b7105",
    ("AttributedEvent", 1): "3db6c2e1f27c3d13",
    ("Attribution", 1): "b4650e5ea6b090c5",
    ("DeadLetter", 1): "5d464aef4bc22daa",
    ("InAppEvent", 1): "06f1cdbc13ee56ff",
    ("Install", 1): "73c7129388b2b1c9",
    ("PostbackDelivery", 1): "69b896e64c581227",
    ("Reengagement", 1): "b1c63e390de508c0",
    ("Session", 1): "1cac6e593a798313",
    ("Session", 2): "2a6df540093c6134",
    ("Touch", 1): "4325850640b6aa1d",
}


def test_released_schemas_are_unchanged_and_all_pinned() -> None:
    found = {(sv.name, sv.version): sv.fingerprint.hex() for sv in SchemaSet.packaged()}
    edited = {k: v for k, v in found.items() if k in RELEASED and RELEASED[k] != v}
    assert edited == {}, "a released schema was edited: add a new version file instead"
    assert set(RELEASED) - set(found) == set(), "a released schema file was removed"
    assert set(found) - set(RELEASED) == set(), "pin the fingerprint of every new version"
