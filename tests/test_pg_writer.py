"""The PostgreSQL writer's transactions (storage/postgres/db.py) on a real database: a lone write
runs without a savepoint, queued writes share one commit with a savepoint each; either way a
failing write rolls back alone and the others are committed."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from test_store_contract import scale_backends

from nura_appliance.storage.postgres.db import PgDatabase

pytestmark = pytest.mark.postgres


def _insert(value: str, *, fail: bool = False, raise_after: bool = False) -> Any:
    def run(conn: Any) -> str:
        conn.execute("INSERT INTO writer_probe (v) VALUES (?)", (value,))
        if fail:
            conn.execute("INSERT INTO writer_probe (v) VALUES (?)", (value,))  # unique violation
        if raise_after:
            raise RuntimeError("the command gave up after its statement")  # a Python error, not SQL
        return value

    return run


def test_lone_and_batched_writes_commit_or_roll_back_alone() -> None:
    with scale_backends() as env:
        db = PgDatabase(env["NURA_DATABASE_URL"])
        try:
            db.write_sync(lambda c: c.execute("CREATE TABLE writer_probe (v text PRIMARY KEY)"))
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
            rows = db.read_sync(lambda c: [r["v"] for r in c.execute("SELECT v FROM writer_probe ORDER BY v")])
            assert rows == sorted(["lone-good", *[f"b{n}" for n in (1, 2, 4, 6)]])
            assert outcomes[5] == "RuntimeError"
            assert [o for o in outcomes if o.startswith("b")] == ["b1", "b2", "b4", "b6"]
            # the connection went back to the pool outside any transaction
            assert db.read_sync(lambda c: c.execute("SELECT count(*) AS n FROM writer_probe").fetchone())["n"] == 5
        finally:
            db.close()
