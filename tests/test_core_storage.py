"""The apsw storage layer: migrations, the single writer with group commit, durability settings."""

from __future__ import annotations

import asyncio
import threading

import apsw
import pytest

from nura_appliance.errors import StorageError
from nura_appliance.storage.sqlite import migrations
from nura_appliance.storage.sqlite.db import Database

CORE_TABLES = {
    "sessions",
    "conversation_logs",
    "chat_turns",
    "tree_clicks",
    "widget_events",
    "message_feedback",
    "message_insights",
    "knowledge_gaps",
    "session_outcomes",
    "llm_usage_logs",
    "security_logs",
    "ingestion_logs",
    "users",
    "audit_log",
    "canned_replies",
    "outbox",
    "articles",
    "topic_nodes",
    "handbook_chunks",
    "kb_fts",
}


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "nura.db")
    yield database
    database.close()


def test_migrations_from_empty_and_idempotent(db):
    applied = migrations.migrate(db)
    assert applied and applied[0] == "0001_core"
    assert migrations.migrate(db) == []
    assert migrations.pending(db) == []
    tables = {r["name"] for r in db.read_sync(lambda c: list(c.execute("SELECT name FROM sqlite_master")))}
    assert CORE_TABLES <= tables
    assert migrations.applied(db) == [m.name for m in migrations.available()]


def test_pragmas(db):
    mode = db.read_sync(lambda c: c.execute("PRAGMA journal_mode").fetchall()[0]["journal_mode"])
    sync = db.read_sync(lambda c: c.execute("PRAGMA synchronous").fetchall()[0]["synchronous"])
    vec = db.read_sync(lambda c: c.execute("SELECT vec_version() AS v").fetchall()[0]["v"])
    assert mode == "wal" and sync == 2 and vec.startswith("v")


async def test_concurrent_writes_all_commit(db):
    db.write_sync(lambda c: c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    await asyncio.gather(
        *(db.write(lambda c, i=i: c.execute("INSERT INTO t (v) VALUES (?)", (str(i),))) for i in range(300))
    )
    assert db.read_sync(lambda c: c.execute("SELECT count(*) AS n FROM t").fetchall()[0]["n"]) == 300


async def test_a_failing_write_rolls_back_alone(db):
    db.write_sync(lambda c: c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))

    def bad(c):
        c.execute("INSERT INTO t (v) VALUES ('half')")
        c.execute("INSERT INTO t (v) VALUES (NULL)")  # violates NOT NULL

    results = await asyncio.gather(
        db.write(lambda c: c.execute("INSERT INTO t (v) VALUES ('a')")),
        db.write(bad),
        db.write(lambda c: c.execute("INSERT INTO t (v) VALUES ('b')")),
        return_exceptions=True,
    )
    assert isinstance(results[1], StorageError)
    values = db.read_sync(lambda c: [r["v"] for r in c.execute("SELECT v FROM t ORDER BY id")])
    assert values == ["a", "b"]


def test_writes_from_many_threads(db):
    db.write_sync(lambda c: c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)"))

    def worker():
        for _ in range(50):
            db.write_sync(lambda c: c.execute("INSERT INTO t DEFAULT VALUES"))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.read_sync(lambda c: c.execute("SELECT count(*) AS n FROM t").fetchall()[0]["n"]) == 300


def test_read_only_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "ro.db"
    first = Database(path)
    migrations.migrate(first)
    first.close()
    ro = Database.__new__(Database)
    # Open the writer read-only to simulate a read-only file system.
    from nura_appliance.storage.sqlite import db as dbmod

    conn = dbmod.connect(path, readonly=True)
    with pytest.raises(apsw.ReadOnlyError) as info:
        conn.execute("INSERT INTO kb_meta (key, value) VALUES ('a', 'b')")
    assert "readonly" in dbmod.storage_error(info.value).message.replace("-", "")
    conn.close()
    del ro


def test_backup_is_consistent(db, tmp_path):
    migrations.migrate(db)
    db.write_sync(lambda c: c.execute("INSERT INTO kb_meta (key, value) VALUES ('k', 'v')"))
    target = tmp_path / "copy.db"
    db.backup_to(target)
    copy = Database(target)
    try:
        assert (
            copy.read_sync(lambda c: c.execute("SELECT value FROM kb_meta WHERE key='k'").fetchall()[0]["value"]) == "v"
        )
    finally:
        copy.close()


async def test_cancelled_writes_do_not_stop_the_writer(db):
    """A client that disconnects cancels its write; the writer thread must keep serving others."""
    db.write_sync(lambda c: c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    release, started = threading.Event(), threading.Event()
    blocker = db.submit_write(lambda c: (started.set(), release.wait(5)))
    assert started.wait(5)  # the writer is busy: the next writes queue up behind it
    tasks = [asyncio.ensure_future(db.write(lambda c: c.execute("INSERT INTO t DEFAULT VALUES"))) for _ in range(20)]
    await asyncio.sleep(0.05)
    for task in tasks[:10]:
        task.cancel()
    await asyncio.sleep(0.05)  # cancellation reaches the concurrent futures via loop callbacks
    release.set()
    await asyncio.wrap_future(blocker)
    await asyncio.gather(*tasks, return_exceptions=True)
    await db.write(lambda c: c.execute("INSERT INTO t DEFAULT VALUES"))
    count = db.read_sync(lambda c: c.execute("SELECT count(*) AS n FROM t").fetchall()[0]["n"])
    assert count == 11  # ten cancelled before they ran were skipped; ten plus one more committed
