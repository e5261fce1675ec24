"""The PostgreSQL connection's fast paths for a message's write (storage/postgres/db.py), on a real
database: ``sql_prepared`` (a server-side prepared statement straight through libpq) gives what
``sql`` gives — rows, ``changes()``, errors — and ``sql_deferred``'s own quoting stores what
psycopg's binder stored."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from nura_appliance.errors import StorageError
from nura_appliance.storage.postgres import db as pgdb

pytestmark = pytest.mark.postgres

_PROBE = "CREATE TABLE prepared_probe (k text PRIMARY KEY, n int8, f float8, t text, b boolean)"
_UPSERT = (
    "INSERT INTO prepared_probe (k, n, f, t, b) VALUES (%(k)s, %(n)s, %(f)s, %(t)s, %(b)s)"
    " ON CONFLICT (k) DO UPDATE SET n = prepared_probe.n + EXCLUDED.n RETURNING k, n, f, t, b, n * 2 AS twice,"
    " 'x%%' AS pct, %(n)s::int8 + 1 AS next"
)


def _prepared_names(conn: Any) -> list[str]:
    rows = conn.sql("SELECT name FROM pg_prepared_statements WHERE name LIKE 'nura\\_%%' ORDER BY name").fetchall()
    return [r["name"] for r in rows]


def test_prepared_statements_give_what_sql_gives(pg_db: Any) -> None:
    pg_db.write_sync(lambda c: c.sql(_PROBE))

    def both(conn: Any) -> list[Any]:
        out = []
        for runner in (conn.sql, conn.sql_prepared):
            key = "a" if runner == conn.sql else "b"
            params = {"k": key, "n": 3, "f": 0.5, "t": "it's \\ نورا", "b": True}
            first = runner(_UPSERT, params).fetchall()
            changed = conn.changes()
            again = runner(_UPSERT, {**params, "n": 4}).fetchall()  # same text and types: reused
            out.append((first, changed, again, conn.changes()))
        return out

    via_sql, via_prepared = pg_db.write_sync(both)
    for result in (via_sql, via_prepared):
        result[0][0].pop("k")
        result[2][0].pop("k")
    assert via_prepared == via_sql
    assert via_prepared[0] == [{"n": 3, "f": 0.5, "t": "it's \\ نورا", "b": True, "twice": 6, "pct": "x%", "next": 4}]
    assert via_prepared[2][0]["n"] == 7 and via_prepared[3] == 1

    # %s placeholders, a row-less statement, no rows
    def positional(conn: Any) -> tuple[Any, ...]:
        updated = conn.sql_prepared("UPDATE prepared_probe SET t = %s WHERE k = ANY(%s)", ("y", ["a", "b", "zz"]))
        n = conn.changes()
        none = conn.sql_prepared("SELECT k FROM prepared_probe WHERE k = %s", ("missing",)).fetchall()
        many = conn.sql_prepared("SELECT k, t FROM prepared_probe ORDER BY k", ()).fetchall()
        return updated.fetchall(), n, none, many

    assert pg_db.write_sync(positional) == ([], 2, [], [{"k": "a", "t": "y"}, {"k": "b", "t": "y"}])
    # parameters of the wrong kind for the placeholders: refused before anything is sent
    with pytest.raises(TypeError):
        pg_db.read_sync(lambda c: c.sql_prepared("SELECT %s::text AS v", {"v": 1}))
    with pytest.raises(TypeError):
        pg_db.read_sync(lambda c: c.sql_prepared("SELECT %(v)s::text AS v", ("x",)))


def test_a_new_parameter_type_prepares_again_and_the_count_is_bounded(pg_db: Any, monkeypatch: Any) -> None:
    pg_db.write_sync(lambda c: c.sql(_PROBE))
    statement = "INSERT INTO prepared_probe (k, f) VALUES (%s, %s) RETURNING f"
    monkeypatch.setattr(pgdb, "PREPARED_MAX", 3)

    def run(conn: Any) -> tuple[list[Any], list[str]]:
        got = [
            conn.sql_prepared(statement, ("i", 2)).fetchone(),  # an int into float8
            conn.sql_prepared(statement, ("j", 2.25)).fetchone(),  # a float: other types, prepared anew
            conn.sql_prepared(statement, ("k", None)).fetchone(),
            conn.sql_prepared(statement, ("l", 1.5)).fetchone(),  # the float statement again
            # past PREPARED_MAX a statement runs unnamed: same result, nothing more prepared
            conn.sql_prepared("SELECT %s::text || 'z' AS v", ("a",)).fetchone(),
            conn.sql_prepared(statement, ("m", 0.5)).fetchone(),
        ]
        return got, _prepared_names(conn)

    rows, names = pg_db.write_sync(run)
    assert rows == [{"f": 2.0}, {"f": 2.25}, {"f": None}, {"f": 1.5}, {"v": "az"}, {"f": 0.5}]
    assert len(names) == 3


def test_prepared_statement_errors_fail_their_write_alone(pg_db: Any) -> None:
    pg_db.write_sync(lambda c: c.sql(_PROBE))
    insert = "INSERT INTO prepared_probe (k, n) VALUES (%s, %s)"
    pg_db.write_sync(lambda c: c.sql_prepared(insert, ("dup", 1)))
    with pytest.raises(Exception) as failed:
        pg_db.write_sync(lambda c: c.sql_prepared(insert, ("dup", 2)))
    with pytest.raises(Exception) as via_sql:
        pg_db.write_sync(lambda c: c.sql(insert, ("dup", 2)))
    assert type(failed.value) is type(via_sql.value)
    assert "duplicate key" in str(failed.value)
    with pytest.raises(psycopg.errors.UndefinedColumn):  # a statement that does not prepare
        pg_db.read_sync(lambda c: c.sql_prepared("SELECT nope FROM prepared_probe WHERE k = %s", ("dup",)))
    # the writer goes on; the failed write left nothing
    pg_db.write_sync(lambda c: c.sql_prepared(insert, ("next", 5)))
    rows = pg_db.read_sync(lambda c: c.sql("SELECT k, n FROM prepared_probe ORDER BY k").fetchall())
    assert rows == [{"k": "dup", "n": 1}, {"k": "next", "n": 5}]


@pytest.mark.parametrize("conforming", ["on", "off"])
def test_deferred_rows_store_their_values_exactly(pg_db: Any, conforming: str) -> None:
    pg_db.write_sync(lambda c: c.sql(_PROBE))
    values: list[tuple[Any, ...]] = [
        ("quote", 1, 0.1, "it's ''two'' ' -- not a comment", None),
        ("backslash", -7, -0.5, "C:\\path\\n \\' end\\", None),
        ("unicode", 0, 1e-300, "نورا ☕ کوردی — \t\r\n", None),
        ("big", 2**62, -1.7976931348623157e308, "%s %(x)s %%", None),
        ("nulls", None, None, None, None),
        ("bool", 1, float("inf"), "x", True),  # not plain values: psycopg's binder does this row
    ]

    def run(conn: Any) -> None:
        conn.raw.execute(f"SET standard_conforming_strings = {conforming}")
        try:
            for row in values:
                conn.sql_deferred("INSERT INTO prepared_probe (k, n, f, t, b) VALUES (%s, %s, %s, %s, %s)", row)
            conn.flush()
        finally:
            conn.raw.execute("SET standard_conforming_strings = on")

    pg_db.write_sync(run)
    rows = pg_db.read_sync(lambda c: c.sql("SELECT k, n, f, t, b FROM prepared_probe").fetchall())
    assert sorted(tuple(r.values()) for r in rows) == sorted(values)


def test_a_deferred_nul_fails_as_psycopg_fails(pg_db: Any) -> None:
    pg_db.write_sync(lambda c: c.sql(_PROBE))
    with pytest.raises(StorageError, match="NUL"):  # psycopg's DataError, as every SQL error of a write
        pg_db.write_sync(lambda c: c.sql_deferred("INSERT INTO prepared_probe (k) VALUES (%s)", ("a\x00b",)))
    assert pg_db.read_sync(lambda c: c.sql("SELECT count(*) AS n FROM prepared_probe").fetchone())["n"] == 0
