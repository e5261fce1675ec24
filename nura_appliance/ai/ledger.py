"""The token and cost ledger: one ``llm_usage_logs`` row per LLM call (chat, classification,
embeddings), with tokens, latency, estimated cost from the ``LLM_PRICES`` table (local models cost
0), and the session and message it served. Also the cost queries reports need."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import apsw

from nura_appliance.errors import ConfigError
from nura_appliance.storage.sqlite.db import Database


def parse_prices(text: str) -> dict[str, tuple[float, float]]:
    """``"gpt-4o-mini=0.15/0.60, m2=1/2"`` → USD per million input/output tokens by model."""
    prices: dict[str, tuple[float, float]] = {}
    for part in str(text or "").split(","):
        part = part.strip()
        if not part:
            continue
        model, sep, rates = part.partition("=")
        inp, slash, out = rates.partition("/")
        try:
            if not sep or not model.strip():
                raise ValueError
            prices[model.strip()] = (float(inp), float(out) if slash else 0.0)
        except ValueError:
            raise ConfigError(
                f"LLM_PRICES: cannot read {part!r}; write model=input/output in USD per "
                "million tokens, e.g. gpt-4o-mini=0.15/0.60"
            ) from None
    return prices


@dataclass
class UsageRecord:
    provider: str
    model: str | None
    purpose: str  # chat | classify | embedding | probe
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float | None = None
    ok: bool = True
    error: str | None = None
    outcome: str | None = None
    session_id: str | None = None
    message_id: int | None = None
    requested_model: str | None = None  # priced when the server reports an alias we have no price for


class UsageLedger:
    def __init__(self, db: Database, prices: dict[str, tuple[float, float]]) -> None:
        self.db = db
        self.prices = prices

    def cost(self, provider: str, model: str | None, prompt_tokens: int, completion_tokens: int) -> float:
        """Estimated USD cost; the local model and unlisted models cost 0."""
        if provider == "local" or not model:
            return 0.0
        rates = self.prices.get(model)
        if rates is None:
            # Servers often report a dated variant ("gpt-4o-mini-2024-07-18"): use the longest prefix.
            matches = [m for m in self.prices if model.startswith(m)]
            if not matches:
                return 0.0
            rates = self.prices[max(matches, key=len)]
        return round((prompt_tokens * rates[0] + completion_tokens * rates[1]) / 1_000_000, 8)

    async def record(self, usage: UsageRecord) -> int:
        """Write one ledger row; returns its id."""
        cost = self.cost(usage.provider, usage.model, usage.prompt_tokens, usage.completion_tokens)
        if not cost and usage.requested_model and usage.requested_model != usage.model:
            cost = self.cost(usage.provider, usage.requested_model, usage.prompt_tokens, usage.completion_tokens)
        params = (
            usage.session_id,
            usage.message_id,
            usage.provider,
            usage.model,
            usage.purpose,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.prompt_tokens + usage.completion_tokens,
            usage.latency_ms,
            cost,
            int(usage.ok),
            (usage.error or None) and usage.error[:500],
            usage.outcome,
            time.time(),
        )

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

    async def link_message(self, row_ids: list[int], message_id: int) -> None:
        """Attach the persisted answer's message id to the calls that produced it."""
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

    async def summary(self, since: float, until: float | None = None) -> dict[str, Any]:
        """Totals, cost per session and per resolved session, and breakdowns, for ``[since, until)``."""
        until = until or time.time() + 1

        def run(conn: apsw.Connection) -> dict[str, Any]:
            where = "created_at >= ? AND created_at < ?"
            args = (since, until)
            total = list(
                conn.execute(
                    "SELECT count(*) AS calls, coalesce(sum(prompt_tokens), 0) AS prompt_tokens,"
                    " coalesce(sum(completion_tokens), 0) AS completion_tokens, coalesce(sum(total_tokens), 0)"
                    " AS total_tokens, coalesce(sum(cost_usd), 0) AS cost_usd, coalesce(sum(1 - ok), 0) AS failed,"
                    f" count(DISTINCT session_id) AS sessions FROM llm_usage_logs WHERE {where}",
                    args,
                )
            )[0]
            resolved = list(
                conn.execute(
                    "SELECT count(DISTINCT u.session_id) AS sessions, coalesce(sum(u.cost_usd), 0) AS cost_usd"
                    " FROM llm_usage_logs u JOIN sessions s ON s.id = u.session_id"
                    f" WHERE s.status = 'resolved' AND u.{where.replace(' AND ', ' AND u.')}",
                    args,
                )
            )[0]
            by_provider = list(
                conn.execute(
                    "SELECT provider, model, count(*) AS calls, sum(total_tokens) AS tokens, sum(cost_usd) AS cost_usd,"
                    " avg(latency_ms) AS avg_latency_ms, sum(1 - ok) AS failed"
                    f" FROM llm_usage_logs WHERE {where} GROUP BY provider, model ORDER BY calls DESC",
                    args,
                )
            )
            by_purpose = list(
                conn.execute(
                    "SELECT purpose, count(*) AS calls, sum(total_tokens) AS tokens, sum(cost_usd) AS cost_usd"
                    f" FROM llm_usage_logs WHERE {where} GROUP BY purpose ORDER BY calls DESC",
                    args,
                )
            )
            by_outcome = list(
                conn.execute(
                    "SELECT coalesce(outcome, CASE ok WHEN 1 THEN 'answered' ELSE 'failed' END) AS outcome,"
                    f" count(*) AS calls FROM llm_usage_logs WHERE {where} AND purpose = 'chat' GROUP BY 1"
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

        data = await self.db.read(run)
        total, resolved = data["total"], data["resolved"]
        return {
            "since": since,
            "until": until,
            **total,
            "cost_usd": round(total["cost_usd"], 6),
            "cost_per_session": round(total["cost_usd"] / total["sessions"], 6) if total["sessions"] else 0.0,
            "resolved_sessions": resolved["sessions"],
            "cost_per_resolved_session": round(resolved["cost_usd"] / resolved["sessions"], 6)
            if resolved["sessions"]
            else 0.0,
            "by_provider": data["by_provider"],
            "by_purpose": data["by_purpose"],
            "by_outcome": data["by_outcome"],
        }
