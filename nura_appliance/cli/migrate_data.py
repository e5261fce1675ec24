"""``nura migrate-data``: copy an appliance's data between SQLite (a data dir) and PostgreSQL.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nura_appliance.errors import ConfigError
from nura_appliance.settings import Settings

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
        from nura_appliance.storage.stores import open_pg_database

        return open_pg_database(location)
    from nura_appliance.context import open_database

    path = Path(location).expanduser()
    if not path.exists():
        raise ConfigError(f"{path} does not exist")
    _, db = open_database(base.replace(NURA_DATA_DIR=str(path)))
    return db


def _tables(db: Any) -> set[str]:
    if getattr(db, "dialect", "sqlite") == "postgres":
        return set(db.table_names())
    rows = db.read_sync(
        lambda c: list(c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
    )
    return {r["name"] for r in rows}


def _columns(db: Any, table: str) -> list[str]:
    if getattr(db, "dialect", "sqlite") == "postgres":
        rows = db.read_sync(
            lambda c: c.execute(
                "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = ? ORDER BY ordinal_position",
                (table,),
            ).fetchall()
        )
        return [r["name"] for r in rows]
    rows = db.read_sync(lambda c: list(c.execute(f'PRAGMA table_info("{table}")')))
    return [r["name"] for r in rows]


def _keys(pg: Any, table: str) -> tuple[str, ...]:
    if table in ROWID_TABLES:
        return ROWID_TABLES[table]
    keys = dict(pg._conflict_keys).get(table)
    if not keys:
        raise ConfigError(f"table {table} has no primary key to copy it in order")
    return tuple(keys)


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


def _select(
    table: str, columns: list[str], keys: tuple[str, ...], after: list[Any] | None, limit: int
) -> tuple[str, list[Any]]:
    cols = ", ".join(f'"{c}"' if c != "rowid" else "rowid" for c in columns)
    order = ", ".join(keys)
    if after is None:
        return f'SELECT {cols} FROM "{table}" ORDER BY {order} LIMIT ?', [limit]
    marks = ", ".join("?" for _ in keys)
    return f'SELECT {cols} FROM "{table}" WHERE ({order}) > ({marks}) ORDER BY {order} LIMIT ?', [*after, limit]


def checksum(db: Any, table: str, columns: list[str], keys: tuple[str, ...], batch: int = 2000) -> tuple[int, str]:
    """Row count and SHA-256 over the canonical rows in key order."""
    digest = hashlib.sha256()
    count = 0
    after: list[Any] | None = None
    while True:
        sql, params = _select(table, columns, keys, after, batch)
        rows = db.read_sync(lambda c, s=sql, p=params: list(c.execute(s, p)))
        for row in rows:
            digest.update(json.dumps([canonical(row[c]) for c in columns], ensure_ascii=False).encode())
            digest.update(b"\n")
        count += len(rows)
        if len(rows) < batch:
            return count, digest.hexdigest()
        after = [rows[-1][k] for k in keys]


def _state(target: Any, table: str) -> dict[str, Any] | None:
    rows = target.read_sync(
        lambda c: list(
            c.execute("SELECT last_key, copied, done FROM nura_migrate_state WHERE table_name = ?", (table,))
        )
    )
    return rows[0] if rows else None


def _count(db: Any, table: str) -> int:
    return int(db.read_sync(lambda c: list(c.execute(f'SELECT count(*) AS n FROM "{table}"')))[0]["n"])


def plan(source: Any, target: Any) -> list[str]:
    common = (_tables(source) & _tables(target)) - SKIP_TABLES
    return [t for t in FIRST_TABLES if t in common] + sorted(common - set(FIRST_TABLES))


def copy_table(
    source: Any, target: Any, table: str, keys: tuple[str, ...], *, batch: int, advance: Callable[[int], None]
) -> int:
    """Copy ``table`` from its high-water mark on; returns rows copied in this run."""
    src_cols = set(_columns(source, table))
    columns = [c for c in _columns(target, table) if c in src_cols and c not in GENERATED_COLUMNS]
    if table in ROWID_TABLES:
        columns = ["rowid", *[c for c in columns if c != "rowid"]]
    state = _state(target, table)
    if state and state["done"]:
        return 0
    if state is None and _count(target, table):
        raise ConfigError(
            f"the target's table {table} already has rows; migrate into an empty database"
            " (or resume the run that filled it)"
        )
    after = json.loads(state["last_key"]) if state and state["last_key"] else None
    copied = 0
    names = ", ".join(f'"{c}"' if c != "rowid" else "rowid" for c in columns)
    marks = ", ".join("?" for _ in columns)
    insert = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
    while True:
        sql, params = _select(table, columns, keys, after, batch)
        rows = source.read_sync(lambda c, s=sql, p=params: list(c.execute(s, p)))
        last = [rows[-1][k] for k in keys] if rows else after
        done = len(rows) < batch
        values = [tuple(bytes(r[c]) if isinstance(r[c], memoryview) else r[c] for c in columns) for r in rows]

        def write(conn: Any, v: list[tuple[Any, ...]] = values, key: Any = last, finished: bool = done) -> None:
            if v:
                conn.executemany(insert, v)
            conn.execute(
                "INSERT INTO nura_migrate_state (table_name, last_key, copied, done) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (table_name) DO UPDATE SET last_key = excluded.last_key,"
                " copied = nura_migrate_state.copied + ?, done = excluded.done",
                (table, json.dumps(key), len(v), int(finished), len(v)),
            )

        target.write_sync(write)  # rows and high-water mark commit together: resumable, no duplicates
        copied += len(rows)
        advance(len(rows))
        after = last
        if done:
            return copied


def _after_copy(target: Any) -> None:
    """Identity sequences continue after the copied ids (PostgreSQL); the coarse vector index is
    rebuilt from the copied vectors (SQLite)."""
    if getattr(target, "dialect", "sqlite") == "postgres":

        def fix(conn: Any) -> None:
            rows = conn.execute(
                "SELECT table_name AS t, column_name AS c FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND is_identity = 'YES'"
            ).fetchall()
            for row in rows:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{row['t']}\"', '{row['c']}'),"
                    f' greatest((SELECT max("{row["c"]}") FROM "{row["t"]}"), 1))'
                )

        target.write_sync(fix)
        return
    meta = {
        r["key"]: r["value"]
        for r in target.read_sync(lambda c: list(c.execute("SELECT key, value FROM kb_meta WHERE key = 'vector_dim'")))
    }
    if not meta.get("vector_dim"):
        return
    from nura_appliance.knowledge.indexer import coarse, coarse_dim, from_blob, to_blob

    dim = int(meta["vector_dim"])

    def rebuild(conn: Any) -> None:
        # The same coarse codes the indexer writes (SimHash bits of each float vector).
        if list(conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'kb_vec'")):
            conn.execute("DROP TABLE kb_vec")
        conn.execute(f"CREATE VIRTUAL TABLE kb_vec USING vec0 (kind text, embedding bit[{coarse_dim(dim)}])")
        for row in list(conn.execute("SELECT id, kind, vector FROM kb_vectors WHERE length(vector) = ?", (dim * 4,))):
            conn.execute(
                "INSERT INTO kb_vec (rowid, kind, embedding) VALUES (?, ?, vec_quantize_binary(?))",
                (row["id"], row["kind"], to_blob(coarse(from_blob(row["vector"])))),
            )
        conn.execute(
            "INSERT INTO kb_meta (key, value) VALUES ('vector_coarse', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(coarse_dim(dim)),),
        )

    target.write_sync(rebuild)


def migrate_data(
    source_location: str, target_location: str, base: Settings, *, batch: int = 1000, progress: Any = None
) -> Report:
    """Copy, then verify. ``progress`` is a rich Progress (or None for silence)."""
    if is_postgres(source_location) == is_postgres(target_location):
        raise ConfigError("migrate-data copies between a data dir (SQLite) and a postgresql:// URL")
    source = open_store(source_location, base)
    try:
        target = open_store(target_location, base)
    except Exception:
        source.close()
        raise
    try:
        pg = source if is_postgres(source_location) else target
        target.write_sync(lambda c: c.execute(STATE_DDL))
        tables = plan(source, target)
        report = Report()
        for table in tables:
            keys = _keys(pg, table)
            total = _count(source, table)
            task = progress.add_task(table, total=total) if progress else None

            def advance(n: int, t: Any = task) -> None:
                if progress is not None:
                    progress.advance(t, n)

            state = _state(target, table)
            if progress is not None and state:
                progress.advance(task, int(state["copied"]))
            copied = copy_table(source, target, table, keys, batch=batch, advance=advance)
            report.tables.append(TableReport(table, copied=copied))
        _after_copy(target)
        for item in report.tables:
            src_cols = set(_columns(source, item.name))
            columns = [c for c in _columns(target, item.name) if c in src_cols and c not in GENERATED_COLUMNS]
            if item.name in ROWID_TABLES:
                columns = ["rowid", *[c for c in columns if c != "rowid"]]
            keys = _keys(pg, item.name)
            item.source_rows, item.source_checksum = checksum(source, item.name, columns, keys)
            item.target_rows, item.target_checksum = checksum(target, item.name, columns, keys)
        return report
    finally:
        target.close()
        source.close()
