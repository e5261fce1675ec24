"""Contract of :class:`~nura_appliance.storage.base.ExportStore` (what ``nura export`` reads): one
mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL skips locally and fails under
CI=true); every report gives the same rows on both. The command itself is in ``test_ops_cli.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.ops.export import REPORTS, SECRET_COLUMNS
from nura_appliance.storage.base import ExportStore
from nura_appliance.storage.stores import stores_for

DAY1 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
DAY2 = DAY1 + 86_400.0


def _collect(columns: list[str], rows: Iterator[dict[str, Any]]) -> Any:
    return columns, list(rows)


class ExportStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> ExportStore:
        return stores_for(db).export

    async def _stream(self, store: ExportStore, name: str, since: float = 0.0, limit: int | None = None) -> Any:
        return await store.stream(name, since=since, limit=limit, hidden=SECRET_COLUMNS, sink=_collect)

    @pytest.fixture
    def seeded(self, db: Any) -> None:
        seed_rows(db, "sessions", [{"id": "s1", "token_hash": "secret-hash", "created_at": DAY1, "updated_at": DAY1},
                                   {"id": "s2", "token_hash": "secret-hash", "created_at": DAY2,
                                    "updated_at": DAY2}])  # fmt: skip
        seed_rows(db, "conversation_logs", [
            {"session_id": "s1", "customer_id": "c1", "channel": "web", "lang": "ar", "customer_message": "مرحبا",
             "response": "أهلا", "source": "article", "confidence": 0.87654, "escalated": 0, "latency_ms": 12.345,
             "created_at": DAY1 + 3661},
            {"session_id": "s2", "channel": "telegram", "lang": "en", "customer_message": "hi", "response": "hello",
             "source": None, "confidence": 0.5, "escalated": 1, "created_at": DAY2},
        ])  # fmt: skip
        seed_rows(db, "llm_usage_logs", [
            {"provider": "openai", "model": "m", "purpose": "answer", "prompt_tokens": 10, "completion_tokens": 5,
             "total_tokens": 15, "cost_usd": 0.0012344, "ok": ok, "created_at": DAY1 + n}
            for n, ok in enumerate((1, 0, 1))
        ])  # fmt: skip
        seed_rows(db, "message_insights", [
            {"session_id": "s1", "intent": None, "sentiment": "neutral", "knowledge_gap": 1, "created_at": DAY1},
            {"session_id": "s1", "intent": None, "sentiment": "neutral", "knowledge_gap": 0, "created_at": DAY1},
        ])  # fmt: skip
        seed_rows(db, "users", [{"username": "amal", "password_hash": "$argon2-secret", "role": "admin",
                                 "created_at": DAY1, "updated_at": DAY1}])  # fmt: skip

    async def test_tables(self, store: ExportStore) -> None:
        tables = await store.tables()
        assert tables == sorted(tables)
        assert {"sessions", "conversation_logs", "users", "kb_vectors", "chat_turns"} <= set(tables)
        assert not [t for t in tables if t.startswith(("sqlite_", "kb_fts", "chunk_fts", "kb_vec_"))]
        assert "kb_vec" not in tables
        assert not set(REPORTS) & set(tables)

    @pytest.mark.usefixtures("seeded")
    async def test_reports_give_the_same_rows_on_both_backends(self, store: ExportStore) -> None:
        columns, rows = await self._stream(store, "conversations")
        assert columns[:3] == ["time", "session_id", "customer_id"]
        assert [(r["time"], r["confidence"], r["latency_ms"], r["source"]) for r in rows] == [
            ("2026-01-01 01:01:01", 0.877, 12.3, "article"),
            ("2026-01-02 00:00:00", 0.5, None, None),
        ]
        assert rows[0]["customer_message"] == "مرحبا"
        _, rows = await self._stream(store, "llm-cost")
        assert rows == [{"day": "2026-01-01", "provider": "openai", "model": "m", "purpose": "answer", "calls": 3,
                         "prompt_tokens": 30, "completion_tokens": 15, "total_tokens": 45, "cost_usd": 0.003703,
                         "failures": 1}]  # fmt: skip
        _, rows = await self._stream(store, "intents")
        assert rows == [{"day": "2026-01-01", "intent": "unknown", "sentiment": "neutral", "messages": 2, "gaps": 1}]
        _, rows = await self._stream(store, "tiers")
        assert rows == [
            {"day": "2026-01-01", "source": "article", "messages": 1, "escalated": 0, "avg_confidence": 0.877},
            {"day": "2026-01-02", "source": "none", "messages": 1, "escalated": 1, "avg_confidence": 0.5},
        ]
        _, rows = await self._stream(store, "conversations", since=DAY2)
        assert [r["session_id"] for r in rows] == ["s2"]
        _, rows = await self._stream(store, "conversations", limit=1)
        assert [r["session_id"] for r in rows] == ["s1"]
        for name in REPORTS:  # every report runs on this backend
            columns, _ = await self._stream(store, name)
            assert columns

    @pytest.mark.usefixtures("seeded")
    async def test_tables_hide_secrets_and_filter_by_time(self, store: ExportStore) -> None:
        columns, rows = await self._stream(store, "users")
        assert "password_hash" not in columns and rows[0]["username"] == "amal"
        assert all("password_hash" not in r for r in rows)
        columns, rows = await self._stream(store, "sessions", since=DAY2)
        assert "token_hash" not in columns and [r["id"] for r in rows] == ["s2"]
        _, rows = await self._stream(store, "sessions", limit=1)
        assert [r["id"] for r in rows] == ["s1"]
        _, rows = await self._stream(store, "sessions", limit=0)
        assert rows == []

    async def test_an_empty_database_still_names_the_columns(self, store: ExportStore) -> None:
        columns, rows = await self._stream(store, "conversations")
        assert rows == [] and columns[0] == "time" and "confidence" in columns
        columns, rows = await self._stream(store, "chat_turns")
        assert rows == [] and {"id", "session_id", "text"} <= set(columns)

    async def test_bad_input(self, store: ExportStore) -> None:
        with pytest.raises(LookupError):
            await self._stream(store, "no_such_table")
        with pytest.raises(LookupError):
            await self._stream(store, 'sessions"; DROP TABLE users; --')
        with pytest.raises(ValueError):
            await self._stream(store, "sessions", limit=-1)
        assert "users" in await store.tables()

    async def test_closed_database_is_a_storage_error(self, store: ExportStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.tables()
        with pytest.raises(StorageError):
            await self._stream(store, "sessions")


class TestSqliteExportStore(ExportStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresExportStore(ExportStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db


@pytest.mark.postgres
def test_export_and_db_stats_read_postgresql_when_it_is_configured(tmp_path: Any) -> None:
    """`nura export` and `nura db stats` read the configured PostgreSQL database, not a data dir's
    SQLite file (the data dir holds none)."""
    from conftest import fresh_pg_database
    from typer.testing import CliRunner

    from nura_appliance.cli.main import app as cli
    from nura_appliance.storage.stores import open_pg_database

    with fresh_pg_database() as url:
        db = open_pg_database(url)
        try:
            seed_rows(db, "sessions", [{"id": "pg-only", "token_hash": "secret-hash", "created_at": DAY1,
                                        "updated_at": DAY1}])  # fmt: skip
        finally:
            db.close()
        runner = CliRunner()
        env = {"NURA_DATABASE_URL": url}
        data = str(tmp_path / "data")
        out = runner.invoke(cli, ["export", "sessions", "--format", "json", "--data-dir", data], env=env)
        assert out.exit_code == 0, out.output
        rows = json.loads(out.stdout)
        assert [r["id"] for r in rows] == ["pg-only"] and "token_hash" not in rows[0]
        stats = runner.invoke(cli, ["db", "stats", "--json", "--data-dir", data], env=env)
        assert stats.exit_code == 0, stats.output
        assert json.loads(stats.stdout)["tables"]["sessions"] == 1
        assert not (tmp_path / "data" / "nura.db").exists()
