"""``nura migrate-data``'s copy of an appliance's data between SQLite (a data dir) and PostgreSQL.

A storage-level tool (it needs both drivers at once, so it lives here rather than behind a feature
Protocol): each side is a :class:`CopySide` that speaks its own backend's SQL — SQLite ``?`` and
``PRAGMA table_info``; PostgreSQL ``%s``, ``information_schema`` and ``setval`` — nothing goes
through the SQLite-to-PostgreSQL translator. ``cli/migrate_data.py`` is the command's thin layer
(it hands in the knowledge feature's coarse vector codes for rebuilding SQLite's ``kb_vec``).

* **Everything**: every table both schemas have (sessions, transcripts, logs, analytics, users,
  knowledge with its lexical index and vectors, the jobs outbox), except bookkeeping that the
  target rebuilds itself (``schema_migrations``; sqlite-vec's coarse index ``kb_vec``).
* **Batches, in key order** (keyset pagination on the primary key, ``rowid`` for the FTS
  tables), parents before children so foreign keys hold.
* **Resumable**: each batch is written in one target transaction together with the table's
  high-water mark in ``nura_migrate_state``; after an interruption the next run continues after
  the last committed key and never duplicates a row.
* **Verified**: at the end every table's row count and a checksum over its rows (values in a
  canonical form, so 3 and 3.0 or bytes and memoryview compare equal) must match the source.

Stop the appliance while migrating: rows written during the copy would not be verified.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from nura_appliance.errors import ConfigError
from nura_appliance.settings import Settings
from nura_appliance.storage.stores import open_database, open_pg_database

if TYPE_CHECKING:
    from nura_appliance.storage.postgres.db import PgConnection, PgDatabase
    from nura_appliance.storage.sqlite.db import Connection, Database

T = TypeVar("T")
SKIP_TABLES = {"schema_migrations", "sqlite_sequence", "kb_vec", "nura_migrate_state"}
# Parents first (foreign keys): the rest follow in name order.
FIRST_TABLES = ("sessions", "handbook_docs")
ROWID_TABLES = {"kb_fts": ("rowid",), "chunk_fts": ("rowid",)}
GENERATED_COLUMNS = {"tsv"}
STATE_DDL = (
    "CREATE TABLE IF NOT EXISTS nura_migrate_state (table_name TEXT PRIMARY KEY, last_key TEXT,"
    " copied INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0)"
)


@dataclass
class TableReport:
    name: str
    source_rows: int = 0
    target_rows: int = 0
    source_checksum: str = ""
    target_checksum: str = ""
    copied: int = 0

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


@dataclass
class Report:
    tables: list[TableReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)


def is_postgres(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def open_store(location: str, base: Settings) -> Any:
    """A migrated database for ``location`` (a PostgreSQL URL or an appliance data dir)."""
    if is_postgres(location):
        return open_pg_database(location)
    path = Path(location).expanduser()
    if not path.exists():
        raise ConfigError(f"{path} does not exist")
    _, db = open_database(base.replace(NURA_DATA_DIR=str(path)))
    return db


@dataclass(frozen=True)
class CoarseCodes:
    """How the knowledge feature codes a vector for SQLite's coarse index ``kb_vec``: ``bits(dim)``
    bits per vector, ``code(float32 blob)`` the float32 blob whose signs are those bits."""

    bits: Callable[[int], int]
    code: Callable[[bytes], bytes]


def _names(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' if c != "rowid" else "rowid" for c in columns)


class CopyDb(Protocol):
    """What a side uses of its database (:class:`Database` or :class:`PgDatabase`)."""

    def read_sync(self, fn: Callable[[Any], T]) -> T: ...

    def write_sync(self, fn: Callable[[Any], T]) -> T: ...


class CopySide:
    """One end of the copy, in its backend's own SQL."""

    db: CopyDb

    def __init__(self, db: CopyDb) -> None:
        self.db = db

    # Each backend's parameter mark; statement text is built with it.
    mark = "?"

    def _rows(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _write_many(self, conn: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def tables(self) -> set[str]:
        raise NotImplementedError

    def columns(self, table: str) -> list[str]:
        raise NotImplementedError

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self.db.read_sync(lambda c: self._rows(c, sql, params))

    def select(
        self, table: str, columns: list[str], keys: tuple[str, ...], after: list[Any] | None, limit: int
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` rows after the key ``after``, in key order (keyset pagination)."""
        m, order = self.mark, ", ".join(keys)
        if after is None:
            return self.read(f'SELECT {_names(columns)} FROM "{table}" ORDER BY {order} LIMIT {m}', [limit])
        marks = ", ".join(m for _ in keys)
        return self.read(
            f'SELECT {_names(columns)} FROM "{table}" WHERE ({order}) > ({marks}) ORDER BY {order} LIMIT {m}',
            [*after, limit],
        )

    def count(self, table: str) -> int:
        return int(self.read(f'SELECT count(*) AS n FROM "{table}"')[0]["n"])

    def ensure_state(self) -> None:
        self.db.write_sync(lambda c: self._rows(c, STATE_DDL))

    def state(self, table: str) -> dict[str, Any] | None:
        rows = self.read(
            f"SELECT last_key, copied, done FROM nura_migrate_state WHERE table_name = {self.mark}", [table]
        )
        return rows[0] if rows else None

    def write_batch(
        self, table: str, columns: list[str], values: list[tuple[Any, ...]], key: Any, finished: bool
    ) -> None:
        """Rows and the table's high-water mark in one transaction: resumable, no duplicates."""
        m = self.mark
        insert = f'INSERT INTO "{table}" ({_names(columns)}) VALUES ({", ".join(m for _ in columns)})'
        upsert = (
            f"INSERT INTO nura_migrate_state (table_name, last_key, copied, done) VALUES ({m}, {m}, {m}, {m})"
            " ON CONFLICT (table_name) DO UPDATE SET last_key = excluded.last_key,"
            " copied = nura_migrate_state.copied + excluded.copied, done = excluded.done"
        )

        def write(conn: Any) -> None:
            if values:
                self._write_many(conn, insert, values)
            self._rows(conn, upsert, (table, json.dumps(key), len(values), int(finished)))

        self.db.write_sync(write)

    def primary_keys(self) -> dict[str, tuple[str, ...]]:
        raise NotImplementedError

    def after_copy(self, codes: CoarseCodes | None) -> None:
        raise NotImplementedError


class SqliteSide(CopySide):
    db: Database
    mark = "?"

    def _rows(self, conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return list(conn.execute(sql, tuple(params)))

    def _write_many(self, conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
        conn.executemany(sql, rows)

    def tables(self) -> set[str]:
        rows = self.read("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return {r["name"] for r in rows}

    def columns(self, table: str) -> list[str]:
        return [r["name"] for r in self.read(f'PRAGMA table_info("{table}")')]

    def primary_keys(self) -> dict[str, tuple[str, ...]]:
        keys: dict[str, tuple[str, ...]] = {}
        for table in self.tables():
            info = [r for r in self.read(f'PRAGMA table_info("{table}")') if r["pk"]]
            if info:
                keys[table] = tuple(r["name"] for r in sorted(info, key=lambda r: r["pk"]))
        return keys

    def after_copy(self, codes: CoarseCodes | None) -> None:
        """Rebuild the coarse vector index from the copied vectors (the indexer's own codes)."""
        meta = {r["key"]: r["value"] for r in self.read("SELECT key, value FROM kb_meta WHERE key = 'vector_dim'")}
        if not meta.get("vector_dim") or codes is None:
            return
        dim = int(meta["vector_dim"])
        bits = codes.bits(dim)

        def rebuild(conn: Any) -> None:
            if list(conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'kb_vec'")):
                conn.execute("DROP TABLE kb_vec")
            conn.execute(f"CREATE VIRTUAL TABLE kb_vec USING vec0 (kind text, embedding bit[{bits}])")
            for row in list(
                conn.execute("SELECT id, kind, vector FROM kb_vectors WHERE length(vector) = ?", (dim * 4,))
            ):
                conn.execute(
                    "INSERT INTO kb_vec (rowid, kind, embedding) VALUES (?, ?, vec_quantize_binary(?))",
                    (row["id"], row["kind"], codes.code(bytes(row["vector"]))),
                )
            conn.execute(
                "INSERT INTO kb_meta (key, value) VALUES ('vector_coarse', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(bits),),
            )

        self.db.write_sync(rebuild)


class PgSide(CopySide):
    db: PgDatabase
    mark = "%s"

    def _rows(self, conn: PgConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return conn.sql(sql, tuple(params)).fetchall()

    def _write_many(self, conn: PgConnection, sql: str, rows: list[tuple[Any, ...]]) -> None:
        conn.sql_many(sql, rows)

    def tables(self) -> set[str]:
        return set(self.db.table_names())

    def columns(self, table: str) -> list[str]:
        rows = self.read(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [r["name"] for r in rows]

    def primary_keys(self) -> dict[str, tuple[str, ...]]:
        rows = self.read(
            "SELECT tc.table_name AS t, kcu.column_name AS c FROM information_schema.table_constraints tc"
            " JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name"
            " AND tc.table_schema = kcu.table_schema WHERE tc.constraint_type = 'PRIMARY KEY'"
            " AND tc.table_schema = current_schema() ORDER BY tc.table_name, kcu.ordinal_position"
        )
        keys: dict[str, list[str]] = {}
        for row in rows:
            keys.setdefault(row["t"], []).append(row["c"])
        return {t: tuple(c) for t, c in keys.items()}

    def after_copy(self, codes: CoarseCodes | None) -> None:
        """Identity sequences continue after the copied ids."""

        def fix(conn: Any) -> None:
            rows = conn.sql(
                "SELECT table_name AS t, column_name AS c FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND is_identity = 'YES'"
            ).fetchall()
            for row in rows:
                conn.sql(
                    "SELECT setval(pg_get_serial_sequence(%s, %s),"
                    f' greatest((SELECT max("{row["c"]}") FROM "{row["t"]}"), 1))',
                    (f'"{row["t"]}"', row["c"]),
                )

        self.db.write_sync(fix)


def side(db: Any) -> CopySide:
    """The copy side for an open database of either backend."""
    return PgSide(db) if getattr(db, "dialect", "sqlite") == "postgres" else SqliteSide(db)


def canonical(value: Any) -> Any:
    """One representation per value whatever the backend returned."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return {"b": value.hex()}
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float | str) or value is None:
        return value
    return str(value)


def table_keys(table: str, primary: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    if table in ROWID_TABLES:
        return ROWID_TABLES[table]
    keys = primary.get(table)
    if not keys:
        raise ConfigError(f"table {table} has no primary key to copy it in order")
    return keys


def copy_columns(source: CopySide, target: CopySide, table: str) -> list[str]:
    """The columns both sides hold (never a generated one), ``rowid`` first for the FTS tables."""
    src_cols = set(source.columns(table))
    columns = [c for c in target.columns(table) if c in src_cols and c not in GENERATED_COLUMNS]
    if table in ROWID_TABLES:
        columns = ["rowid", *[c for c in columns if c != "rowid"]]
    return columns


def checksum(
    db: Any | CopySide, table: str, columns: list[str], keys: tuple[str, ...], batch: int = 2000
) -> tuple[int, str]:
    """Row count and SHA-256 over the canonical rows in key order."""
    end = db if isinstance(db, CopySide) else side(db)
    digest = hashlib.sha256()
    count = 0
    after: list[Any] | None = None
    while True:
        rows = end.select(table, columns, keys, after, batch)
        for row in rows:
            digest.update(json.dumps([canonical(row[c]) for c in columns], ensure_ascii=False).encode())
            digest.update(b"\n")
        count += len(rows)
        if len(rows) < batch:
            return count, digest.hexdigest()
        after = [rows[-1][k] for k in keys]


def plan(source: Any, target: Any) -> list[str]:
    common = (side(source).tables() & side(target).tables()) - SKIP_TABLES
    return [t for t in FIRST_TABLES if t in common] + sorted(common - set(FIRST_TABLES))


def copy_table(
    source: CopySide,
    target: CopySide,
    table: str,
    keys: tuple[str, ...],
    *,
    batch: int,
    advance: Callable[[int], None],
) -> int:
    """Copy ``table`` from its high-water mark on; returns rows copied in this run."""
    columns = copy_columns(source, target, table)
    state = target.state(table)
    if state and state["done"]:
        return 0
    if state is None and target.count(table):
        raise ConfigError(
            f"the target's table {table} already has rows; migrate into an empty database"
            " (or resume the run that filled it)"
        )
    after = json.loads(state["last_key"]) if state and state["last_key"] else None
    copied = 0
    while True:
        rows = source.select(table, columns, keys, after, batch)
        last = [rows[-1][k] for k in keys] if rows else after
        done = len(rows) < batch
        values = [tuple(bytes(r[c]) if isinstance(r[c], memoryview) else r[c] for c in columns) for r in rows]
        target.write_batch(table, columns, values, last, done)
        copied += len(rows)
        advance(len(rows))
        after = last
        if done:
            return copied


def migrate_data(
    source_location: str,
    target_location: str,
    base: Settings,
    *,
    batch: int = 1000,
    progress: Any = None,
    codes: CoarseCodes | None = None,
) -> Report:
    """Copy, then verify. ``progress`` is a rich Progress (or None for silence); ``codes`` rebuild
    SQLite's coarse vector index when the target is a data dir with vectors."""
    if is_postgres(source_location) == is_postgres(target_location):
        raise ConfigError("migrate-data copies between a data dir (SQLite) and a postgresql:// URL")
    source_db = open_store(source_location, base)
    try:
        target_db = open_store(target_location, base)
    except Exception:
        source_db.close()
        raise
    try:
        source, target = side(source_db), side(target_db)
        primary = (source if is_postgres(source_location) else target).primary_keys()
        target.ensure_state()
        tables = plan(source_db, target_db)
        report = Report()
        for table in tables:
            keys = table_keys(table, primary)
            total = source.count(table)
            task = progress.add_task(table, total=total) if progress else None

            def advance(n: int, t: Any = task) -> None:
                if progress is not None:
                    progress.advance(t, n)

            state = target.state(table)
            if progress is not None and state:
                progress.advance(task, int(state["copied"]))
            copied = copy_table(source, target, table, keys, batch=batch, advance=advance)
            report.tables.append(TableReport(table, copied=copied))
        target.after_copy(codes)
        for item in report.tables:
            columns = copy_columns(source, target, item.name)
            keys = table_keys(item.name, primary)
            item.source_rows, item.source_checksum = checksum(source, item.name, columns, keys)
            item.target_rows, item.target_checksum = checksum(target, item.name, columns, keys)
        return report
    finally:
        target_db.close()
        source_db.close()
