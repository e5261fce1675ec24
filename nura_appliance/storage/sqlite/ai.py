"""The AI feature's rows on SQLite: the token and cost ledger and the AI switch (see
:class:`~nura_appliance.storage.base.AiStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import apsw

from nura_appliance.storage.base import LedgerRow
from nura_appliance.storage.sqlite.db import Database

SWITCH_KEY = "ai_enabled"
_WHERE = "created_at >= ? AND created_at < ?"


class SqliteAiStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, row: LedgerRow) -> int:
        params = row.row_values()

        def run(conn: apsw.Connection) -> int:
            conn.execute(
                "INSERT INTO llm_usage_logs (session_id, message_id, provider, model, purpose, prompt_tokens,"
                " completion_tokens, total_tokens, latency_ms, cost_usd, ok, error, outcome, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                params,
            )
            return conn.last_insert_rowid()

        return await self.db.write(run)

    async def set_outcome(self, row_id: int, outcome: str) -> None:
        await self.db.write(
            lambda c: c.execute("UPDATE llm_usage_logs SET outcome = ? WHERE id = ?", (outcome, row_id))
        )

    async def link_message(self, row_ids: Sequence[int], message_id: int) -> None:
        if not row_ids:
            return
        marks = ",".join("?" * len(row_ids))
        await self.db.write(
            lambda c: c.execute(
                f"UPDATE llm_usage_logs SET message_id = ? WHERE id IN ({marks})", (message_id, *row_ids)
            )
        )

    async def session_cost(self, session_id: str) -> dict[str, Any]:
        row = await self.db.fetchone(
            "SELECT count(*) AS calls, coalesce(sum(total_tokens), 0) AS tokens,"
            " coalesce(sum(cost_usd), 0) AS cost_usd FROM llm_usage_logs WHERE session_id = ?",
            (session_id,),
        )
        return {"session_id": session_id, **(row or {"calls": 0, "tokens": 0, "cost_usd": 0.0})}

    async def usage(self, since: float, until: float) -> dict[str, Any]:
        args = (since, until)

        def run(conn: apsw.Connection) -> dict[str, Any]:
            total = list(
                conn.execute(
                    "SELECT count(*) AS calls, coalesce(sum(prompt_tokens), 0) AS prompt_tokens,"
                    " coalesce(sum(completion_tokens), 0) AS completion_tokens, coalesce(sum(total_tokens), 0)"
                    " AS total_tokens, coalesce(sum(cost_usd), 0) AS cost_usd, coalesce(sum(1 - ok), 0) AS failed,"
                    f" count(DISTINCT session_id) AS sessions FROM llm_usage_logs WHERE {_WHERE}",
                    args,
                )
            )[0]
            resolved = list(
                conn.execute(
                    "SELECT count(DISTINCT u.session_id) AS sessions, coalesce(sum(u.cost_usd), 0) AS cost_usd"
                    " FROM llm_usage_logs u JOIN sessions s ON s.id = u.session_id"
                    " WHERE s.status = 'resolved' AND u.created_at >= ? AND u.created_at < ?",
                    args,
                )
            )[0]
            by_provider = list(
                conn.execute(
                    "SELECT provider, model, count(*) AS calls, sum(total_tokens) AS tokens, sum(cost_usd) AS cost_usd,"
                    " avg(latency_ms) AS avg_latency_ms, sum(1 - ok) AS failed"
                    f" FROM llm_usage_logs WHERE {_WHERE} GROUP BY provider, model ORDER BY calls DESC",
                    args,
                )
            )
            by_purpose = list(
                conn.execute(
                    "SELECT purpose, count(*) AS calls, sum(total_tokens) AS tokens, sum(cost_usd) AS cost_usd"
                    f" FROM llm_usage_logs WHERE {_WHERE} GROUP BY purpose ORDER BY calls DESC",
                    args,
                )
            )
            by_outcome = list(
                conn.execute(
                    "SELECT coalesce(outcome, CASE ok WHEN 1 THEN 'answered' ELSE 'failed' END) AS outcome,"
                    f" count(*) AS calls FROM llm_usage_logs WHERE {_WHERE} AND purpose = 'chat' GROUP BY 1"
                    " ORDER BY calls DESC",
                    args,
                )
            )
            return {
                "total": total,
                "resolved": resolved,
                "by_provider": by_provider,
                "by_purpose": by_purpose,
                "by_outcome": by_outcome,
            }

        return await self.db.read(run)

    async def switch(self) -> bool | None:
        row = await self.db.fetchone("SELECT value FROM ai_state WHERE key = ?", (SWITCH_KEY,))
        return None if row is None else row["value"] == "1"

    async def set_switch(self, enabled: bool, actor: str | None, now: float) -> None:
        await self.db.write(
            lambda c: c.execute(
                "INSERT INTO ai_state (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by,"
                " updated_at = excluded.updated_at",
                (SWITCH_KEY, "1" if enabled else "0", actor, now),
            )
        )
