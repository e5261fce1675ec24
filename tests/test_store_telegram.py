"""Contract of :class:`~nura_appliance.storage.base.TelegramStore` (chats, handled updates, agent
reply delivery, the poller's offset): one mixin, run on SQLite and on a real PostgreSQL (missing
PostgreSQL skips locally and fails under CI=true)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from conftest import query_rows, seed_rows

from nura_appliance.errors import StorageError
from nura_appliance.storage.base import TelegramStore
from nura_appliance.storage.stores import stores_for


def _session(sid: str, status: str, updated_at: float) -> dict[str, Any]:
    return {"id": sid, "token_hash": "h", "status": status, "created_at": 1.0, "updated_at": updated_at}


def _turn(sid: str, role: str, text: str, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"session_id": sid, "role": role, "text": text, "meta": json.dumps(meta or {}), "created_at": time.time()}


class TelegramStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> TelegramStore:
        return stores_for(db).telegram

    async def test_remember_a_chat(self, store: TelegramStore) -> None:
        assert await store.chat("7") is None
        await store.remember("7", "s1", "tok1", "ar")
        chat = await store.chat("7")
        assert chat is not None and (chat["session_id"], chat["session_token"], chat["lang"], chat["last_turn_id"]) == (
            "s1",
            "tok1",
            "ar",
            0,
        )
        assert await store.claim_turn("7", 5)
        await store.remember("7", "s1", "other-token", "en")  # same session: only the language
        chat = await store.chat("7")
        assert chat is not None and (chat["session_token"], chat["lang"], chat["last_turn_id"]) == ("tok1", "en", 5)
        await store.remember("7", "s2", "tok2", "ku")  # a new session: delivery starts again
        chat = await store.chat("7")
        assert chat is not None and (chat["session_id"], chat["session_token"], chat["last_turn_id"]) == (
            "s2",
            "tok2",
            0,
        )
        await store.remember("8", None, None, "ckb")
        await store.remember("8", None, None, "ar")
        chat = await store.chat("8")
        assert chat is not None and chat["session_id"] is None and chat["lang"] == "ar"

    async def test_updates_are_handled_once(self, store: TelegramStore, db: Any) -> None:
        assert await store.first_time(1)
        assert not await store.first_time(1)
        assert await store.first_time(2)
        await store.first_time(100_400)
        assert await store.first_time(100_500)  # a multiple of 500: ids 100,000 older are dropped
        ids = [r["update_id"] for r in query_rows(db, "SELECT update_id FROM telegram_updates ORDER BY update_id")]
        assert ids == [100_400, 100_500]
        results = await asyncio.gather(*(store.first_time(42) for _ in range(10)))
        assert results.count(True) == 1

    async def test_offset_and_tree_clicks(self, store: TelegramStore, db: Any) -> None:
        assert await store.offset() is None
        await store.save_offset(10)
        await store.save_offset(11)
        assert await store.offset() == 11
        await store.tree_click("s1", "tg:7", "a1", "Title", "ar")
        await store.tree_click(None, "tg:8", "a2", None, "en")
        rows = query_rows(
            db, "SELECT session_id, customer_id, topic_id, article_id, label, lang, channel FROM tree_clicks"
        )
        assert sorted(rows, key=lambda r: r["article_id"]) == [
            {"session_id": "s1", "customer_id": "tg:7", "topic_id": None, "article_id": "a1", "label": "Title",
             "lang": "ar", "channel": "telegram"},
            {"session_id": None, "customer_id": "tg:8", "topic_id": None, "article_id": "a2", "label": None,
             "lang": "en", "channel": "telegram"},
        ]  # fmt: skip

    async def test_pending_turns_and_claims(self, store: TelegramStore, db: Any) -> None:
        now = time.time()
        seed_rows(
            db,
            "sessions",
            [_session("live", "human_active", 1.0), _session("old", "resolved", 1.0), _session("new", "bot", now)],
        )
        seed_rows(
            db,
            "chat_turns",
            [
                _turn("live", "customer", "hi"),
                _turn("live", "agent", "hello"),
                _turn("live", "system", "accepted", {"kind": "status"}),
                _turn("live", "system", "note", {"kind": "other"}),
                _turn("old", "agent", "too old"),
                _turn("new", "agent", "recent"),
                _turn("new", "bot", "bot answer"),
            ],
        )
        for chat, sid in (("1", "live"), ("2", "old"), ("3", "new")):
            await store.remember(chat, sid, "t", "ar")
        pending = await store.pending_turns(now - 60)
        assert [(r["chat_id"], r["role"], r["text"]) for r in pending] == [
            ("1", "agent", "hello"),
            ("1", "system", "accepted"),
            ("3", "agent", "recent"),
        ]
        assert set(pending[0]) >= {"chat_id", "last_turn_id", "id", "session_id", "role", "text", "sender_name", "meta"}
        assert len(await store.pending_turns(now - 60, limit=1)) == 1
        first = pending[0]
        assert await store.claim_turn("1", first["id"])
        assert not await store.claim_turn("1", first["id"])  # delivered already
        assert not await store.claim_turn("1", first["id"] - 1)  # never backwards
        assert not await store.claim_turn("nobody", first["id"])
        assert [r["text"] for r in await store.pending_turns(now - 60)] == ["accepted", "recent"]
        claims = await asyncio.gather(*(store.claim_turn("3", pending[2]["id"]) for _ in range(8)))
        assert claims.count(True) == 1  # a reply goes out once however many loops race

    async def test_closed_database_is_a_storage_error(self, store: TelegramStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.chat("1")
        with pytest.raises(StorageError):
            await store.save_offset(1)


class TestSqliteTelegramStore(TelegramStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresTelegramStore(TelegramStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
