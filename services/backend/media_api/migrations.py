"""Versioned SQL migrations (`migrations/NNNN_name.sql`), each applied exactly once.

Every task of a deploy may run `manage.py migrate` at start: a session advisory lock serialises
them, `schema_migrations` records what ran (with a checksum, so an edited applied file is refused
rather than silently skipped), and each file runs in its own transaction with its bookkeeping row.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant shared by every migrator of this schema; pg_advisory_lock takes a bigint.
LOCK_KEY = 0x6D65646961  # "media"
FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The migration files or the recorded history are inconsistent."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = FILE_PATTERN.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_snake.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text()))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration versions must run 1..N without gaps, found {versions}")
    return found


def migrate(conninfo: str = "", directory: Path = MIGRATIONS_DIR, **connect_kwargs: Any) -> list[int]:
    """Apply the pending migrations; returns the versions this call applied (empty when up to date)."""
    migrations = discover(directory)
    applied_now: list[int] = []
    with psycopg.connect(conninfo, autocommit=True, **connect_kwargs) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0]: row[1] for row in conn.execute("SELECT version, checksum FROM schema_migrations")}
            for migration in migrations:
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        label = f"{migration.version:04d}_{migration.name}"
                        raise MigrationError(f"migration {label} was edited after it was applied")
                    continue
                with conn.transaction():
                    conn.execute(migration.sql)  # trusted files shipped in the image
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied_now.append(migration.version)
            unknown = sorted(set(done) - {m.version for m in migrations})
            if unknown:
                raise MigrationError(f"the database has migrations this image does not know: {unknown}")
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return applied_now
