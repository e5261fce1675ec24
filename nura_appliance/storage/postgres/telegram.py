"""The Telegram channel's rows on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.TelegramStore`)."""

from __future__ import annotations

import time
from typing import Any

from nura_appliance.storage.postgres.channel_turns import TREE_CLICK, claim_turn_sql, pending_turns_sql
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase

_PENDING = pending_turns_sql("telegram_chats", "c.chat_id, c.last_turn_id")
_CLAIM = claim_turn_sql("telegram_chats", "chat_id")

OFFSET_KEY = "poll_offset"


class PgTelegramStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def chat(self, chat_id: str) -> dict[str, Any] | None:
        return await self.db.read(
            lambda c: c.sql("SELECT * FROM telegram_chats WHERE chat_id = %s", (chat_id,)).fetchone()
        )

    async def remember(self, chat_id: str, session_id: str | None, token: str | None, lang: str) -> None:
        now = time.time()

        def run(conn: PgConnection) -> None:
            # One statement: a new chat is inserted; a chat pointed at another session starts its
            # delivery from that session's beginning; the same session only changes its language.
            conn.sql(
                "INSERT INTO telegram_chats AS c (chat_id, session_id, session_token, lang, last_turn_id,"
                " created_at, updated_at) VALUES (%(chat)s, %(session)s, %(token)s, %(lang)s, 0, %(now)s, %(now)s)"
                " ON CONFLICT (chat_id) DO UPDATE SET lang = EXCLUDED.lang, updated_at = EXCLUDED.updated_at,"
                " session_id = CASE WHEN c.session_id IS DISTINCT FROM EXCLUDED.session_id"
                "   THEN EXCLUDED.session_id ELSE c.session_id END,"
                " session_token = CASE WHEN c.session_id IS DISTINCT FROM EXCLUDED.session_id"
                "   THEN EXCLUDED.session_token ELSE c.session_token END,"
                " last_turn_id = CASE WHEN c.session_id IS DISTINCT FROM EXCLUDED.session_id"
                "   THEN 0 ELSE c.last_turn_id END",
                {"chat": chat_id, "session": session_id, "token": token, "lang": lang, "now": now},
            )

        await self.db.write(run)

    async def first_time(self, update_id: int) -> bool:
        def run(conn: PgConnection) -> bool:
            fresh = bool(
                conn.sql(
                    "INSERT INTO telegram_updates (update_id, received_at) VALUES (%s, %s)"
                    " ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
                    (update_id, time.time()),
                ).fetchall()
            )
            if fresh and update_id % 500 == 0:  # keep the table small
                conn.sql("DELETE FROM telegram_updates WHERE update_id < %s", (update_id - 100_000,))
            return fresh

        return await self.db.write(run)

    async def tree_click(
        self, session_id: str | None, customer_id: str, article_id: str, label: str | None, lang: str
    ) -> None:
        params = (session_id, customer_id, article_id, label, lang, "telegram", time.time())
        await self.db.write(lambda c: c.sql(TREE_CLICK, params))

    async def pending_turns(self, since: float, limit: int = 200) -> list[dict[str, Any]]:
        return await self.db.read(lambda c: c.sql(_PENDING, (since, limit)).fetchall())

    async def claim_turn(self, chat_id: str, turn_id: int) -> bool:
        def run(conn: PgConnection) -> bool:
            conn.sql(_CLAIM, (turn_id, chat_id, turn_id))
            return conn.changes() == 1

        return await self.db.write(run)

    async def offset(self) -> int | None:
        row = await self.db.read(
            lambda c: c.sql("SELECT value FROM telegram_state WHERE key = %s", (OFFSET_KEY,)).fetchone()
        )
        return int(row["value"]) if row else None

    async def save_offset(self, offset: int) -> None:
        await self.db.write(
            lambda c: c.sql(
                "INSERT INTO telegram_state (key, value) VALUES (%s, %s)"
                " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                (OFFSET_KEY, str(offset)),
            )
        )
