"""PostgreSQL implementation of :class:`~nura_appliance.storage.base.HandoffStore`: native SQL
(``%s``, ``lower()`` for SQLite's ``COLLATE NOCASE``, ``RETURNING``, one ``INSERT … SELECT`` for the
stale flags, the desk detail in one pipelined snapshot)."""

from __future__ import annotations

from typing import Any

from nura_appliance.errors import Conflict, NotFound
from nura_appliance.storage.base import INBOX_TABLES, SessionRecord, Transaction, like_contains
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase, own


class PgHandoffStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    @staticmethod
    def display_name_in(conn: Transaction, username: str) -> str | None:
        conn = own(conn)
        row = conn.sql("SELECT display_name FROM users WHERE username = %s", (username,)).fetchone()
        return ((row["display_name"] or "").strip() or None) if row else None

    @staticmethod
    def article_exists_in(conn: Transaction, article_id: str) -> bool:
        conn = own(conn)
        return conn.sql("SELECT 1 FROM articles WHERE id = %s", (article_id,)).fetchone() is not None

    @staticmethod
    def insert_outcome_in(conn: Transaction, row: dict[str, Any]) -> int:
        conn = own(conn)
        inserted = conn.sql(
            f"INSERT INTO session_outcomes ({', '.join(row)}) VALUES ({', '.join('%s' for _ in row)}) RETURNING id",
            tuple(row.values()),
        ).fetchone()
        assert inserted is not None
        return int(inserted["id"])

    @staticmethod
    def event_in(
        conn: Transaction, session_id: str, action: str, agent: str | None, detail: str | None, at: float
    ) -> None:
        conn = own(conn)
        conn.sql(
            "INSERT INTO handoff_events (session_id, action, agent, detail, created_at) VALUES (%s, %s, %s, %s, %s)",
            (session_id, action, agent, detail, at),
        )

    @staticmethod
    def capacity_in(conn: Transaction, agent: str) -> int | None:
        conn = own(conn)
        row = conn.sql("SELECT capacity FROM agent_capacity WHERE agent = %s", (agent,)).fetchone()
        return int(row["capacity"]) if row else None

    @staticmethod
    def active_count_in(conn: Transaction, agent: str) -> int:
        conn = own(conn)
        row = conn.sql(
            "SELECT count(*) AS n FROM sessions WHERE status = 'human_active' AND lower(assigned_agent) = lower(%s)",
            (agent,),
        ).fetchone()
        return int(row["n"]) if row else 0

    @staticmethod
    def known_agent_in(conn: Transaction, agent: str) -> bool:
        conn = own(conn)
        row = conn.sql(
            "SELECT NOT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM users WHERE username = %s"
            " AND active = 1 AND role IN ('agent', 'admin')) AS ok",
            (agent,),
        ).fetchone()
        return bool(row and row["ok"])

    async def set_capacity(self, agent: str, capacity: int | None, at: float) -> int | None:
        def run(conn: PgConnection) -> int | None:
            if capacity is None:
                conn.sql("DELETE FROM agent_capacity WHERE agent = %s", (agent,))
                return None
            row = conn.sql(
                "INSERT INTO agent_capacity (agent, capacity, updated_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (agent) DO UPDATE SET capacity = EXCLUDED.capacity, updated_at = EXCLUDED.updated_at"
                " RETURNING capacity",
                (agent, capacity, at),
            ).fetchone()
            return int(row["capacity"]) if row else None

        return await self.db.write(run)

    async def queue(self) -> list[tuple[SessionRecord, str | None, bool]]:
        rows = await self.db.read(
            lambda conn: conn.sql(
                "SELECT s.*, (SELECT text FROM chat_turns t WHERE t.session_id = s.id AND t.role = 'customer'"
                " ORDER BY t.id DESC LIMIT 1) AS last_customer_message,"
                " EXISTS (SELECT 1 FROM handoff_events e WHERE e.session_id = s.id AND e.action = 'stale_pending'"
                " AND e.created_at >= s.handoff_at) AS stale"
                " FROM sessions s WHERE s.status IN ('pending_handoff', 'human_active')"
                " ORDER BY s.handoff_at, s.id"
            ).fetchall()
        )
        return [(SessionRecord.from_row(r), r["last_customer_message"], bool(r["stale"])) for r in rows]

    async def detail(self, session_id: str) -> tuple[SessionRecord | None, dict[str, Any] | None, list[dict[str, Any]]]:
        def run(conn: PgConnection) -> list[list[dict[str, Any]]]:
            return conn.sql_pipeline(
                [
                    ("SELECT * FROM sessions WHERE id = %s", (session_id,)),
                    ("SELECT * FROM session_outcomes WHERE session_id = %s ORDER BY id DESC LIMIT 1", (session_id,)),
                    (
                        "SELECT action, agent, detail, created_at FROM handoff_events WHERE session_id = %s ORDER BY id",
                        (session_id,),
                    ),
                ],
                snapshot=True,
            )

        sessions, outcome, events = await self.db.read(run)
        if not sessions:
            return None, None, []
        return SessionRecord.from_row(sessions[0]), (outcome[0] if outcome else None), events

    async def close_idle(self, cutoff: float, now: float) -> list[SessionRecord]:
        rows = await self.db.write(
            lambda conn: conn.sql(
                "UPDATE sessions SET status = 'closed', closed_at = %s, updated_at = %s, version = version + 1"
                " WHERE status = 'bot' AND updated_at < %s RETURNING *",
                (now, now, cutoff),
            ).fetchall()
        )
        return [SessionRecord.from_row(r) for r in rows]

    async def record_feedback(
        self, session_id: str, message_id: int, value: str, comment: str | None, at: float, since: float
    ) -> tuple[str | None, int]:
        params = {"sid": session_id, "mid": message_id, "value": value, "comment": comment, "at": at, "since": since}

        def run(conn: PgConnection) -> tuple[str | None, int]:
            found = conn.sql(
                "SELECT role FROM chat_turns WHERE id = %(mid)s AND session_id = %(sid)s", params
            ).fetchone()
            role = found["role"] if found else None
            if role in ("bot", "agent"):
                # the old vote out and the new one in: one statement
                conn.sql(
                    "WITH gone AS (DELETE FROM message_feedback WHERE session_id = %(sid)s AND message_id = %(mid)s)"
                    " INSERT INTO message_feedback (session_id, message_id, value, comment, created_at)"
                    " VALUES (%(sid)s, %(mid)s, %(value)s, %(comment)s, %(at)s)",
                    params,
                )
            row = conn.sql(
                "SELECT count(*) AS n FROM message_feedback WHERE session_id = %(sid)s AND value = 'down'"
                " AND created_at > %(since)s",
                params,
            ).fetchone()
            return role, int(row["n"]) if row else 0

        return await self.db.write(run)

    async def flag_stale(self, cutoff: float, now: float) -> list[dict[str, Any]]:
        return await self.db.write(
            lambda conn: conn.sql(
                "WITH stale AS (SELECT id, handoff_at, handoff_reason FROM sessions s"
                " WHERE status = 'pending_handoff' AND handoff_at < %(cutoff)s AND NOT EXISTS (SELECT 1"
                " FROM handoff_events e WHERE e.session_id = s.id AND e.action = 'stale_pending'"
                " AND e.created_at >= s.handoff_at)),"
                " flagged AS (INSERT INTO handoff_events (session_id, action, agent, detail, created_at)"
                " SELECT id, 'stale_pending', NULL, 'waiting ' || round(%(now)s - handoff_at) || ' s', %(now)s"
                " FROM stale)"
                " SELECT id, handoff_at, handoff_reason FROM stale ORDER BY id",
                {"cutoff": cutoff, "now": now},
            ).fetchall()
        )


_NO_REPLY = ("no canned reply with this id", "canned_reply_not_found")
_REPLY_COLUMNS = frozenset(("lang", "title", "text", "updated_at"))


class PgCannedReplyStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def list(self, *, lang: str | None, query: str | None) -> list[dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {}
        if lang:
            where.append("lang = %(lang)s")
            params["lang"] = lang
        if query:
            # ILIKE: SQLite's LIKE ignores case too (like_contains escapes with a backslash)
            where.append("(title ILIKE %(like)s OR text ILIKE %(like)s)")
            params["like"] = like_contains(query)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        # the C collation: SQLite's BINARY order (a database's locale could order titles otherwise)
        text = f'SELECT * FROM canned_replies {clause} ORDER BY lang COLLATE "C", title COLLATE "C", id COLLATE "C"'
        return await self.db.read(lambda conn: conn.sql(text, params).fetchall())

    async def create(self, row: dict[str, Any]) -> dict[str, Any]:
        def run(conn: PgConnection) -> dict[str, Any]:
            inserted = conn.sql(
                "INSERT INTO canned_replies (id, lang, title, text, created_at, updated_at)"
                " VALUES (%(id)s, %(lang)s, %(title)s, %(text)s, %(created_at)s, %(updated_at)s)"
                " ON CONFLICT (id) DO NOTHING RETURNING id",
                row,
            ).fetchone()
            if inserted is None:
                raise Conflict("a canned reply with this id exists", code="duplicate_id")
            return row

        return await self.db.write(run)

    async def update(self, reply_id: str, values: dict[str, Any]) -> dict[str, Any]:
        unknown = set(values) - _REPLY_COLUMNS
        if unknown:
            raise ValueError(f"not a canned reply column: {sorted(unknown)}")

        def run(conn: PgConnection) -> dict[str, Any]:
            sets = ", ".join(f"{k} = %(v_{k})s" for k in values)
            row = conn.sql(
                f"UPDATE canned_replies SET {sets} WHERE id = %(id)s RETURNING *",
                {**{f"v_{k}": v for k, v in values.items()}, "id": reply_id},
            ).fetchone()
            if row is None:
                raise NotFound(_NO_REPLY[0], code=_NO_REPLY[1])
            return row

        return await self.db.write(run)

    async def delete(self, reply_id: str) -> None:
        def run(conn: PgConnection) -> None:
            if conn.sql("DELETE FROM canned_replies WHERE id = %s RETURNING id", (reply_id,)).fetchone() is None:
                raise NotFound(_NO_REPLY[0], code=_NO_REPLY[1])

        await self.db.write(run)


def _inbox_table(table: str) -> str:
    if table not in INBOX_TABLES:
        raise ValueError(f"not an inbox table: {table!r}")
    return table


class PgInboxRowStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def insert(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        name = _inbox_table(table)

        def run(conn: PgConnection) -> dict[str, Any]:
            inserted = conn.sql(
                f"INSERT INTO {name} ({', '.join(row)}) VALUES ({', '.join('%s' for _ in row)}) RETURNING id",
                tuple(row.values()),
            ).fetchone()
            assert inserted is not None
            return {"id": int(inserted["id"]), **row}

        return await self.db.write(run)

    async def page(self, table: str, status: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        name = _inbox_table(table)
        where, params = ("WHERE status = %(status)s", {"status": status}) if status else ("", {})
        page = {**params, "limit": limit, "offset": offset}

        def run(conn: PgConnection) -> tuple[list[dict[str, Any]], int]:
            total, rows = conn.sql_pipeline(
                [
                    (f"SELECT count(*) AS n FROM {name} {where}", params),
                    (f"SELECT * FROM {name} {where} ORDER BY id DESC LIMIT %(limit)s OFFSET %(offset)s", page),
                ],
                snapshot=True,
            )
            return rows, int(total[0]["n"])

        return await self.db.read(run)

    async def update(self, table: str, item_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
        name = _inbox_table(table)

        def run(conn: PgConnection) -> dict[str, Any] | None:
            sets = ", ".join(f"{k} = %(v_{k})s" for k in values)
            return conn.sql(
                f"UPDATE {name} SET {sets} WHERE id = %(id)s RETURNING *",
                {**{f"v_{k}": v for k, v in values.items()}, "id": item_id},
            ).fetchone()

        return await self.db.write(run)
