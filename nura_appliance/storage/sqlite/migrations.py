"""Numbered SQLite migrations: ``migrations/NNNN_name.sql``, applied in order, each in one
transaction, and recorded in ``schema_migrations``."""

from __future__ import annotations

import time

import apsw

from nura_appliance.storage.migration_files import Migration, migrations_of
from nura_appliance.storage.sqlite.db import Database


def available() -> list[Migration]:
    return migrations_of("nura_appliance.storage.sqlite")


def _ensure_table(conn: apsw.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")


def applied(db: Database) -> list[str]:
    def run(conn: apsw.Connection) -> list[str]:
        _ensure_table(conn)
        return [r["name"] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]

    return db.write_sync(run)


def pending(db: Database) -> list[Migration]:
    done = set(applied(db))
    return [m for m in available() if m.name not in done]


def migrate(db: Database) -> list[str]:
    """Apply every pending migration; returns the names applied (empty when up to date)."""
    names: list[str] = []
    for migration in pending(db):

        def run(conn: apsw.Connection, m: Migration = migration) -> None:
            if conn.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (m.name,)).fetchall():
                return  # another process applied it meanwhile
            conn.execute(m.sql)
            conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (m.name, time.time()))

        db.write_sync(run)
        names.append(migration.name)
    return names
