"""The AI feature's rows on PostgreSQL, in PostgreSQL's own SQL (see
:class:`~nura_appliance.storage.base.AiStore`). The usage report's five queries go to the server
in one pipeline (one round trip) inside one snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nura_appliance.storage.base import LedgerRow
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase

SWITCH_KEY = "ai_enabled"
_WHERE = "created_at >= %(since)s AND created_at < %(until)s"
_USAGE = {
    "total": "SELECT count(*) AS calls, coalesce(sum(prompt_tokens), 0) AS prompt_tokens,"
    " coalesce(sum(completion_tokens), 0) AS completion_tokens, coalesce(sum(total_tokens), 0) AS total_tokens,"
    " coalesce(sum(cost_usd), 0) AS cost_usd, coalesce(sum(1 - ok), 0) AS failed,"
    f" count(DISTINCT session_id) AS sessions FROM llm_usage_logs WHERE {_WHERE}",
    "resolved": "SELECT count(DISTINCT u.session_id) AS sessions, coalesce(sum(u.cost_usd), 0) AS cost_usd"
    " FROM llm_usage_logs u JOIN sessions s ON s.id = u.session_id"
    " WHERE s.status = 'resolved' AND u.created_at >= %(since)s AND u.created_at < %(until)s",
    "by_provider": "SELECT provider, model, count(*) AS calls, sum(total_tokens) AS tokens,"
    " sum(cost_usd) AS cost_usd, avg(latency_ms) AS avg_latency_ms, sum(1 - ok) AS failed"
    f" FROM llm_usage_logs WHERE {_WHERE} GROUP BY provider, model ORDER BY calls DESC",
    "by_purpose": "SELECT purpose, count(*) AS calls, sum(total_tokens) AS tokens, sum(cost_usd) AS cost_usd"
    f" FROM llm_usage_logs WHERE {_WHERE} GROUP BY purpose ORDER BY calls DESC",
    "by_outcome": "SELECT coalesce(outcome, CASE ok WHEN 1 THEN 'answered' ELSE 'failed' END) AS outcome,"
    f" count(*) AS calls FROM llm_usage_logs WHERE {_WHERE} AND purpose = 'chat' GROUP BY 1 ORDER BY calls DESC",
}


class PgAiStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def record(self, row: LedgerRow) -> int:
        params = row.row_values()

        def run(conn: PgConnection) -> int:
            inserted = conn.sql(
                "INSERT INTO llm_usage_logs (session_id, message_id, provider, model, purpose, prompt_tokens,"
                " completion_tokens, total_tokens, latency_ms, cost_usd, ok, error, outcome, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                params,
            ).fetchone()
            assert inserted is not None
            return int(inserted["id"])

        return await self.db.write(run)

    async def set_outcome(self, row_id: int, outcome: str) -> None:
        await self.db.write(lambda c: c.sql("UPDATE llm_usage_logs SET outcome = %s WHERE id = %s", (outcome, row_id)))

    async def link_message(self, row_ids: Sequence[int], message_id: int) -> None:
        if not row_ids:
            return
        ids = [int(i) for i in row_ids]
        await self.db.write(
            lambda c: c.sql("UPDATE llm_usage_logs SET message_id = %s WHERE id = ANY(%s)", (message_id, ids))
        )

    async def session_cost(self, session_id: str) -> dict[str, Any]:
        row = await self.db.read(
            lambda c: c.sql(
                "SELECT count(*) AS calls, coalesce(sum(total_tokens), 0) AS tokens,"
                " coalesce(sum(cost_usd), 0) AS cost_usd FROM llm_usage_logs WHERE session_id = %s",
                (session_id,),
            ).fetchone()
        )
        return {"session_id": session_id, **(row or {"calls": 0, "tokens": 0, "cost_usd": 0.0})}

    async def usage(self, since: float, until: float) -> dict[str, Any]:
        args = {"since": since, "until": until}

        def run(conn: PgConnection) -> dict[str, Any]:
            results = conn.sql_pipeline([(text, args) for text in _USAGE.values()], snapshot=True)
            data = dict(zip(_USAGE, results, strict=True))
            return {**data, "total": data["total"][0], "resolved": data["resolved"][0]}

        return await self.db.read(run)

    async def switch(self) -> bool | None:
        row = await self.db.read(lambda c: c.sql("SELECT value FROM ai_state WHERE key = %s", (SWITCH_KEY,)).fetchone())
        return None if row is None else row["value"] == "1"

    async def set_switch(self, enabled: bool, actor: str | None, now: float) -> None:
        await self.db.write(
            lambda c: c.sql(
                "INSERT INTO ai_state (key, value, updated_by, updated_at) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by,"
                " updated_at = EXCLUDED.updated_at",
                (SWITCH_KEY, "1" if enabled else "0", actor, now),
            )
        )
