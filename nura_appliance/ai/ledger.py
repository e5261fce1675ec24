"""The token and cost ledger: one ``llm_usage_logs`` row per LLM call (chat, classification,
embeddings), with tokens, latency, estimated cost from the ``LLM_PRICES`` table (local models cost
0), and the session and message it served. Also the cost queries reports need."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from nura_appliance.errors import ConfigError
from nura_appliance.storage.base import AiStore, LedgerRow


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
    def __init__(self, store: AiStore, prices: dict[str, tuple[float, float]]) -> None:
        self.store = store
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
        return await self.store.record(
            LedgerRow(
                provider=usage.provider,
                model=usage.model,
                purpose=usage.purpose,
                created_at=time.time(),
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                latency_ms=usage.latency_ms,
                cost_usd=cost,
                ok=usage.ok,
                error=usage.error,
                outcome=usage.outcome,
                session_id=usage.session_id,
                message_id=usage.message_id,
            )
        )

    async def set_outcome(self, row_id: int, outcome: str) -> None:
        await self.store.set_outcome(row_id, outcome)

    async def link_message(self, row_ids: list[int], message_id: int) -> None:
        """Attach the persisted answer's message id to the calls that produced it."""
        await self.store.link_message(row_ids, message_id)

    async def session_cost(self, session_id: str) -> dict[str, Any]:
        return await self.store.session_cost(session_id)

    async def summary(self, since: float, until: float | None = None) -> dict[str, Any]:
        """Totals, cost per session and per resolved session, and breakdowns, for ``[since, until)``."""
        until = until or time.time() + 1

        data = await self.store.usage(since, until)
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
