"""Numbered PostgreSQL migrations with the same names as the SQLite ones (``0001_core`` …),
applied in order, each in one transaction, recorded in ``schema_migrations``.

Several workers start at once in scale-out mode: the whole run holds a transaction-scoped
advisory lock, so exactly one process applies a migration and the others find it applied.
"""

from __future__ import annotations

import time

from nura_appliance.storage.migration_files import Migration, migrations_of
from nura_appliance.storage.postgres.db import PgDatabase

MIGRATION_LOCK_KEY = 0x6E75726D  # "nurm"


def available() -> list[Migration]:
    return migrations_of("nura_appliance.storage.postgres")


def applied(db: PgDatabase) -> list[str]:
    # Under the lock: two processes running CREATE TABLE IF NOT EXISTS at the same moment can
    # both try to create it, and one fails on PostgreSQL's catalog unique index.
    with db.pool.connection() as raw, raw.transaction():
        raw.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        raw.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at double precision NOT NULL)"
        )
        return [r["name"] for r in raw.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()]


def migrate(db: PgDatabase) -> list[str]:
    """Apply every pending migration; returns the names applied (empty when up to date)."""
    applied(db)  # creates schema_migrations outside the lock's transaction
    names: list[str] = []
    for migration in available():
        with db.pool.connection() as raw, raw.transaction():
            raw.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
            if raw.execute("SELECT 1 FROM schema_migrations WHERE name = %s", (migration.name,)).fetchall():
                continue
            raw.execute(migration.sql)  # our own file, no parameters
            raw.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (%s, %s)", (migration.name, time.time())
            )
        names.append(migration.name)
    return names
