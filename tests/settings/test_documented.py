"""Every setting is in the settings table of docs/operations.md (derived from ``Settings``)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from attrib.settings import ENV_PREFIX, Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_every_setting_is_documented() -> None:
    text = DOC.read_text()
    table = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented: set[str] = set()
    for row in table.splitlines():
        if not row.startswith("| `ATTRIB_"):
            continue
        first = row.split("|")[1]
        names = re.findall(r"`(ATTRIB_[A-Z0-9_]+|_[A-Z0-9_]+)`", first)
        stem = names[0].rsplit("_", 1)[0] if names else ""
        for name in names:
            if name.startswith("_"):  # `ATTRIB_CLICKHOUSE_USER`, `_PASSWORD`: same stem
                base = re.match(r"(ATTRIB_[A-Z]+)_", names[0])
                documented.add((base.group(1) if base else stem) + name)
            else:
                documented.add(name)
    wanted = {ENV_PREFIX + f.name.upper() for f in dataclasses.fields(Settings)}
    missing = sorted(wanted - documented)
    assert not missing, f"docs/operations.md, Settings: add {missing}"
