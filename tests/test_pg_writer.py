"""The PostgreSQL writer's transactions (storage/postgres/db.py) on a real database: a lone write
runs without a savepoint, queued writes share one commit with a savepoint each; either way a
failing write rolls back alone and the others are committed."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from test_store_contract import scale_backends

from nura_appliance.errors import StorageError
from nura_appliance.storage.postgres.db import PgDatabase

pytestmark = pytest.mark.postgres


def _insert(value: str, *, fail: bool = False, raise_after: bool = False) -> Any:
    def run(conn: Any) -> str:
        conn.sql("INSERT INTO writer_probe (v) VALUES (%s)", (value,))
        if fail:
            conn.sql("INSERT INTO writer_probe (v) VALUES (%s)", (value,))  # unique violation
        if raise_after:
            raise RuntimeError("the command gave up after its statement")  # a Python error, not SQL
        return value

    return run


def test_lone_and_batched_writes_commit_or_roll_back_alone() -> None:
    with scale_backends() as env:
        db = PgDatabase(env["NURA_DATABASE_URL"])
        try:
            db.write_sync(lambda c: c.sql("CREATE TABLE writer_probe (v text PRIMARY KEY)"))
            # a lone write that fails: nothing of it stays, the next lone write commits
            with pytest.raises(Exception) as failed:
                db.write_sync(_insert("lone-bad", fail=True))
            assert not isinstance(failed.value, psycopg.OperationalError)
            assert db.write_sync(_insert("lone-good")) == "lone-good"

            # many writes queued while the writer is busy: batched, one of them failing
            gate = threading.Event()
            blocker = db.submit_write(lambda c: gate.wait(5))
            # the first, a middle and the last write fail (SQL errors), one gives up in Python
            # after its statement: each rolls back alone, the writes around it keep theirs
            failing = {0, 3, 7}
            futures = [db.submit_write(_insert(f"b{n}", fail=n in failing, raise_after=n == 5)) for n in range(8)]
            gate.set()
            blocker.result(timeout=10)
            outcomes = []
            for fut in futures:
                try:
                    outcomes.append(fut.result(timeout=10))
                except Exception as exc:  # noqa: BLE001 - the failing write's error
                    outcomes.append(type(exc).__name__)
            rows = db.read_sync(lambda c: [r["v"] for r in c.sql("SELECT v FROM writer_probe ORDER BY v")])
            assert rows == sorted(["lone-good", *[f"b{n}" for n in (1, 2, 4, 6)]])
            assert outcomes[5] == "RuntimeError"
            assert [o for o in outcomes if o.startswith("b")] == ["b1", "b2", "b4", "b6"]
            # the connection went back to the pool outside any transaction
            assert db.read_sync(lambda c: c.sql("SELECT count(*) AS n FROM writer_probe").fetchone())["n"] == 5
        finally:
            db.close()


def _deferred(value: str, *, fail: bool = False) -> Any:
    """A write whose second row goes as a deferred statement (sent with the savepoint commands or
    the COMMIT); ``fail``: that deferred row breaks the unique key."""

    def run(conn: Any) -> str:
        conn.sql("INSERT INTO writer_probe (v) VALUES (%s)", (value,))
        conn.sql_deferred("INSERT INTO writer_probe (v) VALUES (%s)", (value if fail else value + "-later",))
        return value

    return run


def test_deferred_writes_commit_with_their_write_or_fail_it() -> None:
    with scale_backends() as env:
        db = PgDatabase(env["NURA_DATABASE_URL"])
        try:
            db.write_sync(lambda c: c.sql("CREATE TABLE writer_probe (v text PRIMARY KEY)"))
            # lone writes: the deferred row goes with the COMMIT, its failure is the write's
            assert db.write_sync(_deferred("one")) == "one"
            with pytest.raises(StorageError, match="duplicate key"):
                db.write_sync(_deferred("two", fail=True))
            # a batch: deferred rows go with the savepoint commands; a failing one rolls back
            # its own write only, whatever its place (first, middle, last)
            gate = threading.Event()
            blocker = db.submit_write(lambda c: gate.wait(5))
            futures = [db.submit_write(_deferred(f"d{n}", fail=n in {0, 2, 4})) for n in range(5)]
            gate.set()
            blocker.result(timeout=10)
            ok = []
            for n, fut in enumerate(futures):
                try:
                    ok.append(fut.result(timeout=10))
                except StorageError as exc:
                    assert "duplicate key" in str(exc)
                    ok.append(f"failed {n}")
            assert ok == ["failed 0", "d1", "failed 2", "d3", "failed 4"]
            # a statement after a deferred one sees its row (the deferred write is sent first)
            seen = db.write_sync(
                lambda c: (
                    c.sql_deferred("INSERT INTO writer_probe (v) VALUES (%s)", ("seen",)),
                    c.sql("SELECT count(*) AS n FROM writer_probe WHERE v = 'seen'").fetchone()["n"],
                )[1]
            )
            assert seen == 1
            rows = db.read_sync(lambda c: [r["v"] for r in c.sql("SELECT v FROM writer_probe ORDER BY v")])
            assert rows == sorted(["one", "one-later", "d1", "d1-later", "d3", "d3-later", "seen"])
            # outside the writer a deferred write runs at once
            db.read_sync(lambda c: c.sql_deferred("INSERT INTO writer_probe (v) VALUES (%s)", ("reader",)))
            assert db.read_sync(lambda c: c.sql("SELECT 1 AS x FROM writer_probe WHERE v = 'reader'").fetchone())
        finally:
            db.close()
