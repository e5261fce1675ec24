"""SQLite implementation of :class:`~nura_appliance.storage.base.SessionStore`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import apsw

from nura_appliance.storage.base import ExchangeLog, OutboxItem, SessionRecord, TurnRecord, like_contains
from nura_appliance.storage.sqlite.db import Database, Row

_SESSION_COLUMNS = [f.name for f in fields(SessionRecord)]
_INSERT_SESSION = (
    f"INSERT INTO sessions ({', '.join(_SESSION_COLUMNS)}) VALUES ({', '.join(':' + c for c in _SESSION_COLUMNS)})"
)
# Columns a whole-session save never overwrites: identity, and the customer's rating, which only
# ``set_rating`` writes (a message in flight holds a copy read before the rating came; saving that
# copy must not undo it). The saved copy gets the stored rating back (``RETURNING``), so what the
# caller caches next agrees with the row.
_KEPT_ON_SAVE = ("id", "created_at", "token_hash", "rating")
_UPSERT_SESSION = (
    _INSERT_SESSION
    + " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _SESSION_COLUMNS if c not in _KEPT_ON_SAVE)
    + " RETURNING rating"
)


def _session_params(session: SessionRecord) -> dict[str, Any]:
    params = session.to_dict()
    params["meta"] = json.dumps(session.meta, ensure_ascii=False)
    return params


def upsert_session(conn: apsw.Connection, session: SessionRecord) -> None:
    rows = conn.execute(_UPSERT_SESSION, _session_params(session)).fetchall()
    session.rating = rows[0]["rating"]


def session_from_row(row: Row) -> SessionRecord:
    data = dict(row)
    data["meta"] = json.loads(data.get("meta") or "{}")
    return SessionRecord.from_dict(data)


def turn_from_row(row: Row) -> TurnRecord:
    return TurnRecord(
        id=row["id"],
        session_id=row["session_id"],
        role=row["role"],
        text=row["text"],
        created_at=row["created_at"],
        source=row["source"],
        confidence=row["confidence"],
        article_id=row["article_id"],
        sources=json.loads(row["sources"]) if row["sources"] else None,
        sender_name=row["sender_name"],
        meta=json.loads(row["meta"] or "{}"),
    )


# Inserts hand back their id with RETURNING rather than a second statement (last_insert_rowid):
# the same in SQLite, one network round trip fewer per row in PostgreSQL mode.
def insert_turn(conn: apsw.Connection, turn: TurnRecord) -> int:
    rows = conn.execute(
        "INSERT INTO chat_turns (session_id, role, text, source, confidence, article_id, sources,"
        " sender_name, meta, created_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
        (
            turn.session_id,
            turn.role,
            turn.text,
            turn.source,
            turn.confidence,
            turn.article_id,
            json.dumps(turn.sources, ensure_ascii=False) if turn.sources is not None else None,
            turn.sender_name,
            json.dumps(turn.meta, ensure_ascii=False),
            turn.created_at,
        ),
    ).fetchall()
    return int(rows[0]["id"])


def insert_outbox(conn: apsw.Connection, item: OutboxItem, *, max_attempts: int = 5) -> int:
    now = time.time()
    rows = conn.execute(
        "INSERT INTO outbox (kind, payload, status, attempts, max_attempts, next_attempt_at, created_at,"
        " updated_at) VALUES (?, ?, 'pending', 0, ?, ?, ?, ?) RETURNING id",
        (item.kind, json.dumps(item.payload, ensure_ascii=False), max_attempts, now, now, now),
    ).fetchall()
    return int(rows[0]["id"])


class SqliteSessionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, session: SessionRecord) -> None:
        await self.db.write(lambda c: c.execute(_INSERT_SESSION, _session_params(session)))

    async def get(self, session_id: str) -> SessionRecord | None:
        row = await self.db.fetchone("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return session_from_row(row) if row else None

    async def save(self, session: SessionRecord) -> None:
        await self.db.write(lambda c: upsert_session(c, session))

    async def set_rating(self, session_id: str, score: int, at: float) -> None:
        """The customer's rating: the one write of that column (a whole-session save keeps it)."""
        await self.db.write(
            lambda c: c.execute("UPDATE sessions SET rating = ?, updated_at = ? WHERE id = ?", (score, at, session_id))
        )

    async def record(
        self,
        session: SessionRecord,
        turns: list[TurnRecord],
        log: ExchangeLog | None = None,
        outbox: list[OutboxItem] | None = None,
        *,
        after: Callable[[apsw.Connection, list[TurnRecord]], None] | None = None,
    ) -> list[TurnRecord]:
        def run(conn: apsw.Connection) -> list[TurnRecord]:
            upsert_session(conn, session)
            for turn in turns:
                turn.id = insert_turn(conn, turn)
            if log is not None:
                customer = next((t.id for t in turns if t.role == "customer"), None)
                bot = next((t.id for t in turns if t.role in ("bot", "system")), None)
                conn.execute(
                    "INSERT INTO conversation_logs (session_id, customer_id, channel, lang, customer_message,"
                    " response, source, confidence, escalated, article_id, customer_turn_id, bot_turn_id,"
                    " latency_ms, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        log.session_id,
                        log.customer_id,
                        log.channel,
                        log.lang,
                        log.customer_message,
                        log.response,
                        log.source,
                        log.confidence,
                        int(log.escalated),
                        log.article_id,
                        customer,
                        bot,
                        log.latency_ms,
                        log.created_at,
                    ),
                )
            first_id = turns[0].id if turns else None
            for item in outbox or []:
                item.payload.setdefault("message_id", first_id)
                insert_outbox(conn, item)
            if after is not None:
                after(conn, turns)
            return turns

        return await self.db.write(run)

    async def turns(self, session_id: str, *, after_id: int = 0, limit: int = 500) -> list[TurnRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM chat_turns WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?",
            (session_id, after_id, limit),
        )
        return [turn_from_row(r) for r in rows]

    async def recent_turns(self, session_id: str, limit: int) -> list[TurnRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM (SELECT * FROM chat_turns WHERE session_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
            (session_id, limit),
        )
        return [turn_from_row(r) for r in rows]

    async def list(
        self,
        *,
        status: str | None = None,
        statuses: tuple[str, ...] | None = None,
        customer_id: str | None = None,
        text: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
        offset: int = 0,
        search_messages: bool = True,
    ) -> tuple[list[SessionRecord], int]:
        where: list[str] = []
        params: list[Any] = []
        wanted = statuses or ((status,) if status else ())
        if wanted:
            where.append(f"status IN ({', '.join('?' for _ in wanted)})")
            params.extend(wanted)
        if customer_id:
            where.append("customer_id = ?")
            params.append(customer_id)
        if since is not None:
            where.append("updated_at >= ?")
            params.append(since)
        if until is not None:
            where.append("updated_at < ?")
            params.append(until)
        if text:
            like = like_contains(text)
            if search_messages:
                where.append(
                    "(id LIKE ? ESCAPE '\\' OR customer_id LIKE ? ESCAPE '\\'"
                    " OR id IN (SELECT session_id FROM chat_turns WHERE text LIKE ? ESCAPE '\\'))"
                )
                params.extend([like, like, like])
            else:
                where.append("(id LIKE ? ESCAPE '\\' OR customer_id LIKE ? ESCAPE '\\')")
                params.extend([like, like])
        clause = f"WHERE {' AND '.join(where)}" if where else ""

        def run(conn: apsw.Connection) -> tuple[list[SessionRecord], int]:
            total = conn.execute(f"SELECT count(*) AS n FROM sessions {clause}", params).fetchall()[0]["n"]
            rows = conn.execute(
                f"SELECT * FROM sessions {clause} ORDER BY updated_at DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
            return [session_from_row(r) for r in rows], total

        return await self.db.read(run)
