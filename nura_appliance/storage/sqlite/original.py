"""The rows ``nura import-original`` writes (:class:`~nura_appliance.storage.base.OriginalImportStore`).

Every batch of converted rows is written in **one transaction together with its ledger rows**
(``original_import_rows``): a row of the original database is imported exactly once however often
the import runs or wherever it was interrupted, and the ledger accounts for every source row
(imported, merged, archived or skipped, with the reason). Sessions go in through the session
store's own row helpers, so their shape is the one the sessions feature writes.

PostgreSQL's twin is ``storage/postgres/original.py``; what both share is in
``storage/original_rows.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from nura_appliance.storage.original_rows import (
    DASHBOARD_TABLES,
    Insert,
    LedgerEntry,
    conversation_rows,
    insert_columns,
)
from nura_appliance.storage.sqlite.db import Connection, Database
from nura_appliance.storage.sqlite.sessions import insert_session, insert_turn

__all__ = ["Insert", "LedgerEntry", "SqliteOriginalImportStore"]

_LEDGER = (
    "INSERT INTO original_import_rows (source_table, source_key, outcome, target_table, target_key, data, imported_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_table, source_key) DO NOTHING"
)


def _insert(conn: Connection, table: str, row: dict[str, Any]) -> str:
    columns = insert_columns(table, row)
    marks = ", ".join("?" for _ in columns)
    key = "id"
    rows = conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) RETURNING {key}",
        tuple(row[c] for c in columns),
    ).fetchall()
    return str(rows[0][key])


def _forget_session(conn: Connection, session_id: str, item: Any) -> None:
    """Remove what an earlier run imported of one conversation (and those ledger rows), so that
    it is imported again whole: the original changed it since, and nobody here did."""
    for table in ("conversation_logs", "message_insights", "session_outcomes", "knowledge_gaps", "chat_turns"):
        conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
    conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
    keys = [("sessions", session_id), ("(sessions rebuilt from logs)", session_id)]
    keys += [(table, key) for table, key in item.source_keys()]
    conn.executemany("DELETE FROM original_import_rows WHERE source_table = ? AND source_key = ?", keys)


def _ledger(conn: Connection, entries: list[LedgerEntry], now: float) -> None:
    if entries:
        conn.executemany(
            _LEDGER,
            [(e.source_table, e.source_key, e.outcome, e.target_table, e.target_key, e.data, now) for e in entries],
        )


class SqliteOriginalImportStore:
    """Writes of the original-NURA import, and the ledger that makes it idempotent."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the ledger ------------------------------------------------------------------------------
    async def done_keys(self, source_table: str) -> set[str]:
        rows = await self.db.fetchall(
            "SELECT source_key FROM original_import_rows WHERE source_table = ?", (source_table,)
        )
        return {r["source_key"] for r in rows}

    async def ledger_counts(self) -> dict[tuple[str, str], int]:
        rows = await self.db.fetchall(
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
        rows = await self.db.fetchall(
            "SELECT r.source_key, r.data, s.updated_at,"
            " (SELECT count(*) FROM chat_turns t WHERE t.session_id = r.source_key) AS turns"
            " FROM original_import_rows r LEFT JOIN sessions s ON s.id = r.source_key"
            " WHERE r.target_table = 'sessions' AND r.source_key IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
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
        rows = await self.db.fetchall(
            "SELECT id FROM sessions WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
        )
        return {r["id"] for r in rows}

    async def usernames(self) -> set[str]:
        return {str(r["username"]).lower() for r in await self.db.fetchall("SELECT username FROM users")}

    async def canned_ids(self) -> set[str]:
        return {r["id"] for r in await self.db.fetchall("SELECT id FROM canned_replies")}

    async def bot_turn_before(self, session_id: str, at: float) -> int | None:
        """The last bot answer of a session at ``at``: what a thumbs up/down of then rated."""
        row = await self.db.fetchone(
            "SELECT id FROM chat_turns WHERE session_id = ? AND role = 'bot' AND created_at <= ?"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (session_id, at),
        )
        return int(row["id"]) if row else None

    # -- writes ----------------------------------------------------------------------------------
    async def write_rows(self, inserts: list[Insert], others: list[LedgerEntry]) -> None:
        """Insert rows into our tables and ledger each (and ``others``) in one transaction."""

        def run(conn: Connection) -> None:
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
        knowledge gaps their insights flagged, with every ledger row, in one transaction.

        ``plans`` are :class:`~nura_appliance.original.importer.WritablePlan` items (a session
        plan plus its converted rows and ledger keys). ``gaps(conn)`` gives the function that
        records one flagged gap in this transaction (the analytics feature's grouping)."""

        def run(conn: Connection) -> None:
            entries = list(others)
            record_gap = gaps(conn) if gaps is not None else None
            for item in plans:
                plan = item.plan
                if replace and plan.record.id in replace:
                    _forget_session(conn, plan.record.id, item)
                insert_session(conn, plan.record)
                entries.append(
                    LedgerEntry(item.session_table, plan.record.id, "imported", "sessions", plan.record.id, item.state)
                )
                turn_ids = [insert_turn(conn, turn) for turn in plan.turns]
                if replace and plan.record.id in replace:
                    # Feedback rates the answer given just before it: point it at the new turns.
                    conn.execute(
                        "UPDATE message_feedback SET message_id = (SELECT t.id FROM chat_turns t"
                        " WHERE t.session_id = message_feedback.session_id AND t.role = 'bot'"
                        " AND t.created_at <= message_feedback.created_at ORDER BY t.created_at DESC, t.id DESC"
                        " LIMIT 1) WHERE session_id = ?",
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

        def run(conn: Connection) -> None:
            entries = list(others)
            group = group_of(conn)
            for gap, key in gaps:
                rows = conn.execute(
                    "INSERT INTO knowledge_gaps (question, normalized, lang, reason, session_id, message_id,"
                    " group_key, status, answer, reviewed_by, reviewed_at, created_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
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
                ).fetchall()
                entries.append(
                    LedgerEntry("knowledge_gap_reviews", key, "imported", "knowledge_gaps", str(rows[0]["id"]))
                )
            _ledger(conn, entries, time.time())

        if gaps or others:
            await self.db.write(run)

    async def insight_turn(self, source_insight_key: str) -> tuple[str | None, int | None]:
        """The session and message an imported insight was linked to (by its ledger row)."""
        row = await self.db.fetchone(
            "SELECT i.session_id, i.message_id FROM original_import_rows r JOIN message_insights i"
            " ON CAST(i.id AS TEXT) = r.target_key WHERE r.source_table = 'message_insights' AND r.source_key = ?",
            (source_insight_key,),
        )
        return (row["session_id"], row["message_id"]) if row else (None, None)

    # -- after the import --------------------------------------------------------------------------
    async def imported_days(self) -> list[str]:
        """UTC days that received imported rows in any table the dashboard reads."""
        days: set[str] = set()
        for table in DASHBOARD_TABLES:
            key = "id" if table == "sessions" else "CAST(id AS TEXT)"
            rows = await self.db.fetchall(
                f"SELECT DISTINCT date(created_at, 'unixepoch') AS day FROM {table} WHERE {key} IN"
                " (SELECT target_key FROM original_import_rows WHERE target_table = ?)",
                (table,),
            )
            days.update(r["day"] for r in rows if r["day"])
        return sorted(days)
