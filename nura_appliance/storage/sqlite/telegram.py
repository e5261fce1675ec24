"""The Telegram channel's rows on SQLite (see :class:`~nura_appliance.storage.base.TelegramStore`)."""

from __future__ import annotations

import time
from typing import Any

from nura_appliance.storage.sqlite.channel_turns import TREE_CLICK, claim_turn_sql, pending_turns_sql
from nura_appliance.storage.sqlite.db import Connection, Database

_PENDING = pending_turns_sql("telegram_chats", "c.chat_id, c.last_turn_id")
_CLAIM = claim_turn_sql("telegram_chats", "chat_id")

OFFSET_KEY = "poll_offset"


class SqliteTelegramStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def chat(self, chat_id: str) -> dict[str, Any] | None:
        return await self.db.fetchone("SELECT * FROM telegram_chats WHERE chat_id = ?", (chat_id,))

    async def remember(self, chat_id: str, session_id: str | None, token: str | None, lang: str) -> None:
        now = time.time()

        def run(conn: Connection) -> None:
            row = conn.execute("SELECT session_id FROM telegram_chats WHERE chat_id = ?", (chat_id,)).fetchall()
            if not row:
                conn.execute(
                    "INSERT INTO telegram_chats (chat_id, session_id, session_token, lang, last_turn_id,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
                    (chat_id, session_id, token, lang, now, now),
                )
            elif row[0]["session_id"] != session_id:
                conn.execute(
                    "UPDATE telegram_chats SET session_id = ?, session_token = ?, lang = ?, last_turn_id = 0,"
                    " updated_at = ? WHERE chat_id = ?",
                    (session_id, token, lang, now, chat_id),
                )
            else:
                conn.execute(
                    "UPDATE telegram_chats SET lang = ?, updated_at = ? WHERE chat_id = ?", (lang, now, chat_id)
                )

        await self.db.write(run)

    async def first_time(self, update_id: int) -> bool:
        def run(conn: Connection) -> bool:
            conn.execute(
                "INSERT OR IGNORE INTO telegram_updates (update_id, received_at) VALUES (?, ?)",
                (update_id, time.time()),
            )
            fresh = conn.changes() == 1
            if fresh and update_id % 500 == 0:  # keep the table small
                conn.execute("DELETE FROM telegram_updates WHERE update_id < ?", (update_id - 100_000,))
            return fresh

        return await self.db.write(run)

    async def tree_click(
        self, session_id: str | None, customer_id: str, article_id: str, label: str | None, lang: str
    ) -> None:
        await self.db.execute(TREE_CLICK, (session_id, customer_id, article_id, label, lang, "telegram", time.time()))

    async def pending_turns(self, since: float, limit: int = 200) -> list[dict[str, Any]]:
        return await self.db.fetchall(_PENDING, (since, limit))

    async def claim_turn(self, chat_id: str, turn_id: int) -> bool:
        def run(conn: Connection) -> bool:
            conn.execute(_CLAIM, (turn_id, chat_id, turn_id))
            return conn.changes() == 1

        return await self.db.write(run)

    async def offset(self) -> int | None:
        row = await self.db.fetchone("SELECT value FROM telegram_state WHERE key = ?", (OFFSET_KEY,))
        return int(row["value"]) if row else None

    async def save_offset(self, offset: int) -> None:
        await self.db.execute(
            "INSERT INTO telegram_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (OFFSET_KEY, str(offset)),
        )
