"""SQLite implementation of :class:`~nura_appliance.storage.base.HandoffStore`."""

from __future__ import annotations

from typing import Any

from nura_appliance.errors import Conflict, NotFound
from nura_appliance.storage.base import INBOX_TABLES, SessionRecord, Transaction, like_contains
from nura_appliance.storage.sqlite.db import Connection, Database, own

_STALE = (
    "SELECT id, handoff_at, handoff_reason FROM sessions s WHERE status = 'pending_handoff'"
    " AND handoff_at < ? AND NOT EXISTS (SELECT 1 FROM handoff_events e WHERE e.session_id = s.id"
    " AND e.action = 'stale_pending' AND e.created_at >= s.handoff_at)"
)


class SqliteHandoffStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def display_name_in(conn: Transaction, username: str) -> str | None:
        conn = own(conn)
        rows = conn.execute("SELECT display_name FROM users WHERE username = ?", (username,)).fetchall()
        return ((rows[0]["display_name"] or "").strip() or None) if rows else None

    @staticmethod
    def article_exists_in(conn: Transaction, article_id: str) -> bool:
        conn = own(conn)
        return bool(conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchall())

    @staticmethod
    def insert_outcome_in(conn: Transaction, row: dict[str, Any]) -> int:
        conn = own(conn)
        inserted = conn.execute(
            f"INSERT INTO session_outcomes ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)}) RETURNING id",
            tuple(row.values()),
        ).fetchall()
        return int(inserted[0]["id"])

    @staticmethod
    def event_in(
        conn: Transaction, session_id: str, action: str, agent: str | None, detail: str | None, at: float
    ) -> None:
        conn = own(conn)
        conn.execute(
            "INSERT INTO handoff_events (session_id, action, agent, detail, created_at) VALUES (?,?,?,?,?)",
            (session_id, action, agent, detail, at),
        )

    @staticmethod
    def capacity_in(conn: Transaction, agent: str) -> int | None:
        conn = own(conn)
        rows = conn.execute("SELECT capacity FROM agent_capacity WHERE agent = ?", (agent,)).fetchall()
        return int(rows[0]["capacity"]) if rows else None

    @staticmethod
    def active_count_in(conn: Transaction, agent: str) -> int:
        conn = own(conn)
        rows = conn.execute(
            "SELECT count(*) AS n FROM sessions WHERE status = 'human_active' AND assigned_agent = ? COLLATE NOCASE",
            (agent,),
        ).fetchall()
        return int(rows[0]["n"])

    @staticmethod
    def known_agent_in(conn: Transaction, agent: str) -> bool:
        conn = own(conn)
        if not conn.execute("SELECT 1 FROM users LIMIT 1").fetchall():
            return True
        return bool(
            conn.execute(
                "SELECT 1 FROM users WHERE username = ? AND active = 1 AND role IN ('agent', 'admin')", (agent,)
            ).fetchall()
        )

    async def set_capacity(self, agent: str, capacity: int | None, at: float) -> int | None:
        def run(conn: Connection) -> int | None:
            if capacity is None:
                conn.execute("DELETE FROM agent_capacity WHERE agent = ?", (agent,))
            else:
                conn.execute(
                    "INSERT INTO agent_capacity (agent, capacity, updated_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (agent) DO UPDATE SET capacity = excluded.capacity,"
                    " updated_at = excluded.updated_at",
                    (agent, capacity, at),
                )
            return self.capacity_in(conn, agent)

        return await self.db.write(run)

    async def queue(self) -> list[tuple[SessionRecord, str | None, bool]]:
        rows = await self.db.fetchall(
            "SELECT s.*, (SELECT text FROM chat_turns t WHERE t.session_id = s.id AND t.role = 'customer'"
            " ORDER BY t.id DESC LIMIT 1) AS last_customer_message,"
            " EXISTS (SELECT 1 FROM handoff_events e WHERE e.session_id = s.id AND e.action = 'stale_pending'"
            " AND e.created_at >= s.handoff_at) AS stale"
            " FROM sessions s WHERE s.status IN ('pending_handoff', 'human_active')"
            " ORDER BY s.handoff_at, s.id"
        )
        return [(SessionRecord.from_row(r), r["last_customer_message"], bool(r["stale"])) for r in rows]

    async def detail(self, session_id: str) -> tuple[SessionRecord | None, dict[str, Any] | None, list[dict[str, Any]]]:
        def run(conn: Connection) -> tuple[SessionRecord | None, dict[str, Any] | None, list[dict[str, Any]]]:
            rows = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchall()
            if not rows:
                return None, None, []
            outcome = conn.execute(
                "SELECT * FROM session_outcomes WHERE session_id = ? ORDER BY id DESC LIMIT 1", (session_id,)
            ).fetchall()
            events = conn.execute(
                "SELECT action, agent, detail, created_at FROM handoff_events WHERE session_id = ? ORDER BY id",
                (session_id,),
            ).fetchall()
            return SessionRecord.from_row(rows[0]), (dict(outcome[0]) if outcome else None), [dict(e) for e in events]

        return await self.db.read(run)

    async def close_idle(self, cutoff: float, now: float) -> list[SessionRecord]:
        def run(conn: Connection) -> list[SessionRecord]:
            rows = conn.execute(
                "UPDATE sessions SET status = 'closed', closed_at = ?, updated_at = ?, version = version + 1"
                " WHERE status = 'bot' AND updated_at < ? RETURNING *",
                (now, now, cutoff),
            ).fetchall()
            return [SessionRecord.from_row(r) for r in rows]

        return await self.db.write(run)

    async def record_feedback(
        self, session_id: str, message_id: int, value: str, comment: str | None, at: float, since: float
    ) -> tuple[str | None, int]:
        def run(conn: Connection) -> tuple[str | None, int]:
            found = conn.execute(
                "SELECT role FROM chat_turns WHERE id = ? AND session_id = ?", (message_id, session_id)
            ).fetchall()
            role = found[0]["role"] if found else None
            if role in ("bot", "agent"):
                conn.execute(
                    "DELETE FROM message_feedback WHERE session_id = ? AND message_id = ?", (session_id, message_id)
                )
                conn.execute(
                    "INSERT INTO message_feedback (session_id, message_id, value, comment, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (session_id, message_id, value, comment, at),
                )
            downs = conn.execute(
                "SELECT count(*) AS n FROM message_feedback WHERE session_id = ? AND value = 'down' AND created_at > ?",
                (session_id, since),
            ).fetchall()[0]["n"]
            return role, int(downs)

        return await self.db.write(run)

    async def flag_stale(self, cutoff: float, now: float) -> list[dict[str, Any]]:
        def run(conn: Connection) -> list[dict[str, Any]]:
            stale = [dict(r) for r in conn.execute(_STALE, (cutoff,)).fetchall()]
            for row in stale:
                conn.execute(
                    "INSERT INTO handoff_events (session_id, action, agent, detail, created_at)"
                    " VALUES (?, 'stale_pending', NULL, ?, ?)",
                    (row["id"], f"waiting {now - row['handoff_at']:.0f} s", now),
                )
            return stale

        return await self.db.write(run)


_NO_REPLY = ("no canned reply with this id", "canned_reply_not_found")


class SqliteCannedReplyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self, *, lang: str | None, query: str | None) -> list[dict[str, Any]]:
        where: list[str] = []
        params: list[Any] = []
        if lang:
            where.append("lang = ?")
            params.append(lang)
        if query:
            where.append("(title LIKE ? ESCAPE '\\' OR text LIKE ? ESCAPE '\\')")
            params.extend([like_contains(query), like_contains(query)])
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self.db.fetchall(f"SELECT * FROM canned_replies {clause} ORDER BY lang, title, id", params)
        return [dict(r) for r in rows]

    async def create(self, row: dict[str, Any]) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            if conn.execute("SELECT 1 FROM canned_replies WHERE id = ?", (row["id"],)).fetchall():
                raise Conflict("a canned reply with this id exists", code="duplicate_id")
            conn.execute(
                "INSERT INTO canned_replies (id, lang, title, text, created_at, updated_at)"
                " VALUES (:id, :lang, :title, :text, :created_at, :updated_at)",
                row,
            )
            return row

        return await self.db.write(run)

    async def update(self, reply_id: str, values: dict[str, Any]) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            rows = conn.execute(
                f"UPDATE canned_replies SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ? RETURNING *",
                (*values.values(), reply_id),
            ).fetchall()
            if not rows:
                raise NotFound(_NO_REPLY[0], code=_NO_REPLY[1])
            return dict(rows[0])

        return await self.db.write(run)

    async def delete(self, reply_id: str) -> None:
        def run(conn: Connection) -> None:
            conn.execute("DELETE FROM canned_replies WHERE id = ?", (reply_id,))
            if conn.changes() == 0:
                raise NotFound(_NO_REPLY[0], code=_NO_REPLY[1])

        await self.db.write(run)


def _inbox_table(table: str) -> str:
    if table not in INBOX_TABLES:
        raise ValueError(f"not an inbox table: {table!r}")
    return table


class SqliteInboxRowStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        name = _inbox_table(table)

        def run(conn: Connection) -> dict[str, Any]:
            rows = conn.execute(
                f"INSERT INTO {name} ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)}) RETURNING id",
                tuple(row.values()),
            ).fetchall()
            return {"id": int(rows[0]["id"]), **row}

        return await self.db.write(run)

    async def page(self, table: str, status: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        name = _inbox_table(table)
        where, params = ("WHERE status = ?", [status]) if status else ("", [])

        def run(conn: Connection) -> tuple[list[dict[str, Any]], int]:
            total = conn.execute(f"SELECT count(*) AS n FROM {name} {where}", params).fetchall()[0]["n"]
            rows = conn.execute(
                f"SELECT * FROM {name} {where} ORDER BY id DESC LIMIT ? OFFSET ?", [*params, limit, offset]
            ).fetchall()
            return [dict(r) for r in rows], int(total)

        return await self.db.read(run)

    async def update(self, table: str, item_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
        name = _inbox_table(table)

        def run(conn: Connection) -> dict[str, Any] | None:
            sets = ", ".join(f"{k} = ?" for k in values)
            rows = conn.execute(
                f"UPDATE {name} SET {sets} WHERE id = ? RETURNING *", (*values.values(), item_id)
            ).fetchall()
            return dict(rows[0]) if rows else None

        return await self.db.write(run)
