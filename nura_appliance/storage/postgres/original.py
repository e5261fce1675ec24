"""The rows ``nura import-original`` writes, on PostgreSQL
(:class:`~nura_appliance.storage.base.OriginalImportStore`; SQLite's twin is
``storage/sqlite/original.py``).

As on SQLite, every batch of converted rows is written in one transaction with its ledger rows
(``original_import_rows``), so a source row is imported exactly once however often the import
runs. Native PostgreSQL: ``%s`` parameters, ``= ANY(%s)`` for lists, ``RETURNING`` for the new
ids, ``ON CONFLICT DO NOTHING`` for the ledger, a session's turns in one ``unnest`` INSERT, and the
days the dashboard must recount from one pipeline of reads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from nura_appliance.storage.base import SessionChange, TurnRecord
from nura_appliance.storage.original_rows import (
    DASHBOARD_TABLES,
    Insert,
    LedgerEntry,
    conversation_rows,
    insert_columns,
)
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase
from nura_appliance.storage.postgres.sessions import insert_session

__all__ = ["Insert", "LedgerEntry", "PgOriginalImportStore"]

_LEDGER = (
    "INSERT INTO original_import_rows (source_table, source_key, outcome, target_table, target_key, data, imported_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (source_table, source_key) DO NOTHING"
)
_INSERT_TURNS = (
    "INSERT INTO chat_turns (session_id, role, text, source, confidence, article_id, sources, sender_name, meta,"
    " created_at) SELECT session_id, role, text, source, confidence, article_id, sources, sender_name, meta,"
    " created_at FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::float8[], %s::text[], %s::text[],"
    " %s::text[], %s::text[], %s::float8[]) WITH ORDINALITY AS v (session_id, role, text, source, confidence,"
    " article_id, sources, sender_name, meta, created_at, n) ORDER BY n RETURNING id"
)
_GAP = (
    "INSERT INTO knowledge_gaps (question, normalized, lang, reason, session_id, message_id, group_key, status,"
    " answer, reviewed_by, reviewed_at, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " RETURNING id"
)
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def _insert(conn: PgConnection, table: str, row: dict[str, Any]) -> str:
    columns = insert_columns(table, row)
    marks = ", ".join("%s" for _ in columns)
    found = conn.sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) RETURNING id", tuple(row[c] for c in columns)
    ).fetchone()
    assert found is not None
    return str(found["id"])


def _insert_turns(conn: PgConnection, turns: list[TurnRecord]) -> list[int]:
    """The turns of one conversation in one statement; their ids in the order given (the ids of
    one INSERT are drawn in the order its rows are written, ``ORDER BY n``)."""
    if not turns:
        return []
    rows = conn.sql(
        _INSERT_TURNS,
        (
            [t.session_id for t in turns],
            [t.role for t in turns],
            [t.text for t in turns],
            [t.source for t in turns],
            [t.confidence for t in turns],
            [t.article_id for t in turns],
            [_to_json(t.sources) if t.sources is not None else None for t in turns],
            [t.sender_name for t in turns],
            [_to_json(t.meta) for t in turns],
            [t.created_at for t in turns],
        ),
    ).fetchall()
    ids = sorted(int(r["id"]) for r in rows)
    for turn, turn_id in zip(turns, ids, strict=True):
        turn.id = turn_id
    return ids


def _forget_session(conn: PgConnection, session_id: str, item: Any) -> None:
    """Remove what an earlier run imported of one conversation (and those ledger rows), so that
    it is imported again whole: the original changed it since, and nobody here did."""
    statements: list[tuple[str, Any]] = [
        (f"DELETE FROM {table} WHERE session_id = %s", (session_id,))
        for table in ("conversation_logs", "message_insights", "session_outcomes", "knowledge_gaps", "chat_turns")
    ]
    statements.append(("DELETE FROM sessions WHERE id = %s", (session_id,)))
    conn.sql_pipeline(statements)
    keys = [("sessions", session_id), ("(sessions rebuilt from logs)", session_id)]
    keys += [(table, key) for table, key in item.source_keys()]
    conn.sql(
        "DELETE FROM original_import_rows r USING unnest(%s::text[], %s::text[]) AS k (source_table, source_key)"
        " WHERE r.source_table = k.source_table AND r.source_key = k.source_key",
        ([t for t, _ in keys], [k for _, k in keys]),
    )


def _ledger(conn: PgConnection, entries: list[LedgerEntry], now: float) -> None:
    if entries:
        conn.sql_many(
            _LEDGER,
            [(e.source_table, e.source_key, e.outcome, e.target_table, e.target_key, e.data, now) for e in entries],
        )


class PgOriginalImportStore:
    """Writes of the original-NURA import, and the ledger that makes it idempotent (PostgreSQL)."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def _rows(self, statement: str, params: Any = ()) -> list[dict[str, Any]]:
        return await self.db.read(lambda c: c.sql(statement, params).fetchall())

    # -- the ledger ------------------------------------------------------------------------------
    async def done_keys(self, source_table: str) -> set[str]:
        rows = await self._rows("SELECT source_key FROM original_import_rows WHERE source_table = %s", (source_table,))
        return {r["source_key"] for r in rows}

    async def ledger_counts(self) -> dict[tuple[str, str], int]:
        rows = await self._rows(
            "SELECT source_table, outcome, count(*) AS n FROM original_import_rows GROUP BY source_table, outcome"
        )
        return {(r["source_table"], r["outcome"]): int(r["n"]) for r in rows}

    async def record(self, entries: list[LedgerEntry]) -> None:
        """Ledger rows for source rows that write nothing else (merged, archived, skipped)."""
        if entries:
            now = time.time()
            await self.db.write(lambda conn: _ledger(conn, entries, now))

    async def session_states(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """For conversations an earlier run imported: what the ledger noted then (``recorded``)
        and their state here now (``updated_at``, number of ``turns``)."""
        if not ids:
            return {}
        rows = await self._rows(
            "SELECT r.source_key, r.data, s.updated_at,"
            " (SELECT count(*) FROM chat_turns t WHERE t.session_id = r.source_key) AS turns"
            " FROM original_import_rows r LEFT JOIN sessions s ON s.id = r.source_key"
            " WHERE r.target_table = 'sessions' AND r.source_key = ANY(%s::text[])",
            (list(ids),),
        )
        return {
            r["source_key"]: {
                "recorded": json.loads(r["data"]) if r["data"] else {},
                "updated_at": r["updated_at"],
                "turns": int(r["turns"]),
            }
            for r in rows
        }

    # -- what the target already has -------------------------------------------------------------
    async def existing_sessions(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = await self._rows("SELECT id FROM sessions WHERE id = ANY(%s::text[])", (list(ids),))
        return {r["id"] for r in rows}

    async def usernames(self) -> set[str]:
        return {str(r["username"]).lower() for r in await self._rows("SELECT username FROM users")}

    async def canned_ids(self) -> set[str]:
        return {r["id"] for r in await self._rows("SELECT id FROM canned_replies")}

    async def bot_turn_before(self, session_id: str, at: float) -> int | None:
        """The last bot answer of a session at ``at``: what a thumbs up/down of then rated."""
        rows = await self._rows(
            "SELECT id FROM chat_turns WHERE session_id = %s AND role = 'bot' AND created_at <= %s"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (session_id, at),
        )
        return int(rows[0]["id"]) if rows else None

    # -- writes ----------------------------------------------------------------------------------
    async def write_rows(self, inserts: list[Insert], others: list[LedgerEntry]) -> None:
        """Insert rows into our tables and ledger each (and ``others``) in one transaction."""

        def run(conn: PgConnection) -> None:
            entries = list(others)
            for item in inserts:
                target = _insert(conn, item.table, item.row)
                entries.append(LedgerEntry(item.source_table, item.source_key, "imported", item.table, target))
            _ledger(conn, entries, time.time())

        if inserts or others:
            await self.db.write(run)

    async def write_sessions(
        self,
        plans: list[Any],
        others: list[LedgerEntry],
        gaps: Callable[[Any], Callable[[dict[str, Any]], None]] | None = None,
        replace: set[str] | None = None,
    ) -> None:
        """Sessions with their transcript, logs linked to their turns, insights, outcomes and the
        knowledge gaps their insights flagged, with every ledger row, in one transaction (see
        the SQLite twin for ``plans``, ``gaps`` and ``replace``)."""

        def run(conn: PgConnection) -> None:
            entries = list(others)
            record_gap = gaps(conn) if gaps is not None else None
            for item in plans:
                plan = item.plan
                again = bool(replace) and plan.record.id in replace  # type: ignore[operator]
                if again:
                    _forget_session(conn, plan.record.id, item)
                insert_session(conn, plan.record, SessionChange())
                entries.append(
                    LedgerEntry(item.session_table, plan.record.id, "imported", "sessions", plan.record.id, item.state)
                )
                turn_ids = _insert_turns(conn, plan.turns)
                if again:
                    # Feedback rates the answer given just before it: point it at the new turns.
                    conn.sql(
                        "UPDATE message_feedback f SET message_id = (SELECT t.id FROM chat_turns t"
                        " WHERE t.session_id = f.session_id AND t.role = 'bot' AND t.created_at <= f.created_at"
                        " ORDER BY t.created_at DESC, t.id DESC LIMIT 1) WHERE f.session_id = %s",
                        (plan.record.id,),
                    )
                entries.extend(conversation_rows(item, turn_ids, lambda t, r: _insert(conn, t, r), record_gap))
            _ledger(conn, entries, time.time())

        if plans or others:
            await self.db.write(run)

    async def write_gaps(
        self,
        gaps: list[tuple[dict[str, Any], str]],
        others: list[LedgerEntry],
        group_of: Callable[[Any], Callable[[dict[str, Any]], str]],
    ) -> None:
        """Reviewed knowledge gaps (the original's review queue) with their review state;
        ``group_of(conn)`` gives each its group of similar questions."""

        def run(conn: PgConnection) -> None:
            entries = list(others)
            group = group_of(conn)
            for gap, key in gaps:
                found = conn.sql(
                    _GAP,
                    (
                        gap["question"][:2000],
                        gap["normalized"][:2000],
                        gap["lang"],
                        gap["reason"],
                        gap["session_id"],
                        gap["message_id"],
                        group(gap),
                        gap["status"],
                        gap["answer"],
                        gap["reviewed_by"],
                        gap["reviewed_at"],
                        gap["created_at"],
                    ),
                ).fetchone()
                assert found is not None
                entries.append(
                    LedgerEntry("knowledge_gap_reviews", key, "imported", "knowledge_gaps", str(found["id"]))
                )
            _ledger(conn, entries, time.time())

        if gaps or others:
            await self.db.write(run)

    async def insight_turn(self, source_insight_key: str) -> tuple[str | None, int | None]:
        """The session and message an imported insight was linked to (by its ledger row)."""
        rows = await self._rows(
            "SELECT i.session_id, i.message_id FROM original_import_rows r JOIN message_insights i"
            " ON i.id::text = r.target_key WHERE r.source_table = 'message_insights' AND r.source_key = %s",
            (source_insight_key,),
        )
        return (rows[0]["session_id"], rows[0]["message_id"]) if rows else (None, None)

    # -- after the import --------------------------------------------------------------------------
    async def imported_days(self) -> list[str]:
        """UTC days that received imported rows in any table the dashboard reads (one pipeline)."""
        statements: list[tuple[str, Any]] = []
        for table in DASHBOARD_TABLES:
            key = "id" if table == "sessions" else "id::text"
            statements.append(
                (
                    "SELECT DISTINCT to_char(to_timestamp(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day"
                    f" FROM {table} WHERE {key} IN"
                    " (SELECT target_key FROM original_import_rows WHERE target_table = %s)",
                    (table,),
                )
            )
        results = await self.db.read(lambda c: c.sql_pipeline(statements, snapshot=True))
        return sorted({r["day"] for rows in results for r in rows if r["day"]})
