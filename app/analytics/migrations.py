"""Versioned, idempotent DDL for the analytics database.

Each migration is a file ``migrations/NNNN_name.sql`` in this package: a
released file is never edited (its checksum is recorded), a change is a new
file. :func:`apply_migrations` creates the database and the
``schema_migrations`` table, checks that the versions already applied still
have their recorded checksum, and runs the missing versions in order,
recording each one after its statements ran.

Statements must themselves be idempotent (``CREATE TABLE IF NOT EXISTS``,
``ALTER TABLE ... ADD COLUMN IF NOT EXISTS``): two workers may start at once,
and a process may die between running a migration and recording it; running
it again must then change nothing.

Files are templates: ``${database}``, ``${on_cluster}`` and
``${replacing_merge_tree}`` are filled from the settings, so the same file
targets a single server or, with ``clickhouse_cluster`` set, every replica of
a cluster (``ON CLUSTER`` and ``ReplicatedReplacingMergeTree`` with the
server's ``default_replica_path``/``default_replica_name``). ``$`` templates
leave ClickHouse's own ``{macro}`` braces alone. The checksum covers the
template, so a cluster and a single server agree on it.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from string import Template

from clickhouse_connect.driver.client import Client

from attrib.analytics.clickhouse import check_identifier

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_STATEMENT_END = re.compile(r";\s*(?:\n|$)")


class MigrationError(RuntimeError):
    """The database's recorded schema and this release's migrations disagree."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    template: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.template.encode()).hexdigest()


@dataclass(frozen=True)
class Target:
    """Where DDL goes: a database, optionally on every node of a cluster."""

    database: str
    cluster: str = ""

    def __post_init__(self) -> None:
        check_identifier(self.database, "the ClickHouse database name")
        if self.cluster:
            check_identifier(self.cluster, "the ClickHouse cluster name")

    @property
    def on_cluster(self) -> str:
        return f"ON CLUSTER `{self.cluster}`" if self.cluster else ""

    @property
    def replacing_engine(self) -> str:
        return "ReplicatedReplacingMergeTree" if self.cluster else "ReplacingMergeTree"


def packaged_migrations() -> list[Migration]:
    """The migrations shipped in ``attrib/analytics/migrations``, by version."""
    folder = importlib.resources.files("attrib.analytics") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text()))
    return sorted(found, key=lambda m: m.version)


def strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


def render(migration: Migration, target: Target) -> list[str]:
    """The statements of ``migration`` for ``target``, ready to run one by one."""
    text = Template(strip_comments(migration.template)).substitute(
        database=f"`{target.database}`",
        on_cluster=target.on_cluster,
        replacing_merge_tree=target.replacing_engine,
    )
    return [s.strip() for s in _STATEMENT_END.split(text) if s.strip()]


def bootstrap_statements(target: Target) -> list[str]:
    """The database and the ledger of applied versions."""
    db = f"`{target.database}`"
    return [
        f"CREATE DATABASE IF NOT EXISTS {db} {target.on_cluster}",
        f"CREATE TABLE IF NOT EXISTS {db}.schema_migrations {target.on_cluster} ("
        " version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC')"
        f") ENGINE = {target.replacing_engine} ORDER BY version",
    ]


def applied_versions(client: Client, target: Target) -> dict[int, str]:
    """version -> checksum of every migration recorded in the database."""
    rows = client.query(
        f"SELECT version, checksum FROM `{target.database}`.schema_migrations FINAL"
    ).result_rows
    return {int(version): str(checksum) for version, checksum in rows}


def apply_migrations(
    client: Client, target: Target, migrations: Sequence[Migration] | None = None
) -> list[int]:
    """Bring ``target`` to the latest version; return the versions applied now.

    Raises :class:`MigrationError` when a recorded version's checksum differs
    from this release's file (a released migration was edited) or the
    database has versions this release does not know (a newer release ran).
    """
    migrations = packaged_migrations() if migrations is None else list(migrations)
    for statement in bootstrap_statements(target):
        client.command(statement)
    recorded = applied_versions(client, target)
    known = {m.version: m for m in migrations}
    unknown = sorted(set(recorded) - set(known))
    if unknown:
        raise MigrationError(
            f"database {target.database} has schema versions {unknown} this release does not know"
        )
    for version, checksum in recorded.items():
        if known[version].checksum != checksum:
            raise MigrationError(
                f"migration {version} ({known[version].name}) differs from the one applied to "
                f"{target.database}: released migrations are never edited, add a new version"
            )
    applied = []
    for migration in migrations:
        if migration.version in recorded:
            continue
        for statement in render(migration, target):
            client.command(statement)
        client.insert(
            f"`{target.database}`.schema_migrations",
            [[migration.version, migration.name, migration.checksum, int(time.time() * 1000)]],
            column_names=["version", "name", "checksum", "applied_at"],
        )
        applied.append(migration.version)
    return applied
