"""Attrib: open-source mobile attribution as a Faust stream-table application.

The importable package `attrib` is assembled from the repository's top-level
folders (see pyproject.toml): `app/` is `attrib`, `tables/` is
`attrib.tables`, `agents/` is `attrib.agents` and `avro/` is `attrib.avro`.
"""

__version__ = "0.1.0"
