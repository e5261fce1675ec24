"""``LLMService`` (``ctx.llm``): which provider answers, the AI switch, breakers,
health probes, the ledger, and intent classification.

Provider choice (``NURA_LLM_PROVIDER``): ``openai`` or ``local`` use only that provider; ``auto``
tries OpenAI (or the configured OpenAI-compatible server) when configured, then the local GGUF
model when one is present; ``off`` never generates. A provider whose breaker is open is skipped
without a network call; when its cool-down ends a background probe decides whether it is back.
When the AI switch is off nothing is generated and no customer text leaves the machine.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any

from nura_appliance.ai.breaker import CircuitBreaker
from nura_appliance.ai.ledger import UsageLedger, UsageRecord, parse_prices
from nura_appliance.ai.local import LocalLlamaProvider, find_local_model, llama_available
from nura_appliance.ai.providers import ChatProvider, ChatResult, Message, OpenAIProvider, ProviderError, TokenCallback
from nura_appliance.settings import Settings
from nura_appliance.storage.base import AiStore

log = logging.getLogger(__name__)
_PROBE_TIMEOUT = 5.0
SENTIMENTS = ("positive", "neutral", "negative")


def openai_configured(settings: Settings) -> bool:
    return bool(settings.openai_api_key or settings.openai_base_url)


def build_providers(settings: Settings) -> tuple[list[ChatProvider], dict[str, str]]:
    """The providers to try, in order, and why the others are absent."""
    choice = settings.nura_llm_provider
    providers: list[ChatProvider] = []
    absent: dict[str, str] = {}
    if choice in ("auto", "openai"):
        if openai_configured(settings):
            providers.append(
                OpenAIProvider(
                    api_key=settings.openai_api_key, base_url=settings.openai_base_url, model=settings.openai_model
                )
            )
        else:
            absent["openai"] = "not configured (set OPENAI_API_KEY or OPENAI_BASE_URL)"
    else:
        absent["openai"] = f"NURA_LLM_PROVIDER={choice}"
    if choice in ("auto", "local"):
        path = find_local_model(settings)
        if not llama_available():
            absent["local"] = "llama-cpp-python is not installed (pip install 'nura-appliance[local]')"
        elif path is None:
            absent["local"] = (
                f"no model: NURA_LOCAL_MODEL={settings.nura_local_model!r} is not a file"
                if settings.nura_local_model
                else f"no *.gguf in {settings.data_dir / 'models'} (add one with `nura models add`)"
            )
        else:
            providers.append(
                LocalLlamaProvider(
                    path,
                    n_ctx=settings.local_llm_context,
                    n_threads=settings.local_llm_threads,
                    queue_size=settings.local_llm_queue_size,
                )
            )
    else:
        absent["local"] = f"NURA_LLM_PROVIDER={choice}"
    return providers, absent


class LLMService:
    """The one entry point to generation for every feature."""

    def __init__(
        self,
        settings: Settings,
        store: AiStore,
        *,
        providers: list[ChatProvider] | None = None,
        absent: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.ledger = UsageLedger(store, parse_prices(settings.llm_prices))
        if providers is None:
            providers, absent = build_providers(settings)
        self.providers = providers
        self.absent = absent or {}
        self.breakers = {p.name: CircuitBreaker(settings.llm_breaker_cooldown_seconds) for p in providers}
        self.health: dict[str, dict[str, Any]] = {}
        self.enabled = bool(settings.ai_enabled)
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- life cycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Load the persisted AI switch; probe remote providers in the background."""
        switch = await self.store.switch()
        if switch is not None:
            self.enabled = switch
        for provider in self.providers:
            if provider.remote and self.enabled:
                self._spawn(self._probe(provider))

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for provider in self.providers:
            try:
                await provider.aclose()
            except Exception:  # noqa: BLE001 - shutting down must go on
                log.exception("closing provider %s failed", provider.name)

    def close(self) -> None:
        for provider in self.providers:
            provider.close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- the AI switch ---------------------------------------------------------------------------
    async def set_enabled(self, enabled: bool, actor: str | None = None) -> None:
        await self.store.set_switch(enabled, actor, time.time())
        self.enabled = enabled

    # -- choosing -----------------------------------------------------------------------------
    def usable(self) -> list[ChatProvider]:
        """Providers customer traffic may use now, in order (kicks probes of cooled-down ones)."""
        if not self.enabled or self.settings.nura_llm_provider == "off":
            return []
        out = []
        for provider in self.providers:
            breaker = self.breakers[provider.name]
            if breaker.allows_traffic():
                out.append(provider)
            elif breaker.probe_due():
                breaker.probing = True
                self._spawn(self._probe(provider))
        return out

    def may_answer(self) -> bool:
        """Whether any provider could be asked at all (switch on, a provider configured). No side
        effects, safe from any thread: callers use it to skip preparing an LLM call."""
        return bool(self.enabled and self.settings.nura_llm_provider != "off" and self.providers)

    def decision(self) -> tuple[str | None, str]:
        """Which provider would answer the next message, and why (for status and ``nura doctor``)."""
        if not self.enabled:
            return None, "the AI switch is off: extractive answers only, no customer text leaves the machine"
        if self.settings.nura_llm_provider == "off":
            return None, "NURA_LLM_PROVIDER=off: extractive answers only"
        skipped: list[str] = []
        for provider in self.providers:
            snap = self.breakers[provider.name].snapshot()
            if snap.state == "closed":
                why = "configured" if provider.name == "openai" else f"model {provider.model}"
                if skipped:
                    why += f" ({'; '.join(skipped)})"
                return provider.name, why
            skipped.append(f"{provider.name} skipped: {snap.last_kind} — {snap.last_error}")
        reasons = skipped + [f"{name}: {why}" for name, why in self.absent.items()]
        return None, "no LLM available, extractive answers only (" + "; ".join(reasons) + ")"

    async def _probe(self, provider: ChatProvider) -> None:
        breaker = self.breakers[provider.name]
        started = time.perf_counter()
        try:
            detail = await provider.probe(min(_PROBE_TIMEOUT, self.settings.llm_timeout_seconds))
        except ProviderError as exc:
            breaker.record_failure(exc)
            self.health[provider.name] = {"ok": False, "detail": str(exc), "checked_at": time.time()}
        except Exception as exc:  # noqa: BLE001 - a probe never raises into the loop
            breaker.record_failure(ProviderError(str(exc), kind="bad_response"))
            self.health[provider.name] = {"ok": False, "detail": str(exc)[:200], "checked_at": time.time()}
        else:
            breaker.record_success()
            self.health[provider.name] = {
                "ok": True,
                "detail": detail,
                "checked_at": time.time(),
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            }
        finally:
            breaker.probing = False

    # -- calls ----------------------------------------------------------------------------------
    async def chat(
        self,
        messages: list[Message],
        *,
        purpose: str = "chat",
        session_id: str | None = None,
        message_id: int | None = None,
        on_token: TokenCallback | None = None,
        max_tokens: int | None = None,
        on_restart: Any = None,
    ) -> tuple[ChatResult, int] | None:
        """Try the usable providers in order; returns the first result and its ledger row id, or
        None when nothing could generate. Every attempt, failed or not, is written to the ledger.
        ``on_restart()`` is called before a fallback provider starts streaming again."""
        attempted = False
        for provider in self.usable():
            if attempted and on_restart is not None:
                on_restart()
            attempted = True
            breaker = self.breakers[provider.name]
            started = time.perf_counter()
            try:
                result = await provider.chat(
                    messages,
                    max_tokens=max_tokens or self.settings.llm_max_tokens,
                    temperature=self.settings.llm_temperature,
                    timeout=self.settings.llm_timeout_seconds,
                    on_token=on_token,
                )
            except ProviderError as exc:
                breaker.record_failure(exc)
                log.warning("%s provider failed (%s): %s", provider.name, exc.kind, exc)
                await self._record_safely(
                    UsageRecord(
                        provider.name,
                        provider.model,
                        purpose,
                        latency_ms=(time.perf_counter() - started) * 1000,
                        ok=False,
                        error=f"{exc.kind}: {exc}",
                        outcome="failed",
                        session_id=session_id,
                        message_id=message_id,
                    )
                )
                continue
            breaker.record_success()
            row_id = await self._record_safely(
                UsageRecord(
                    provider.name,
                    result.model,
                    purpose,
                    result.prompt_tokens,
                    result.completion_tokens,
                    result.latency_ms,
                    session_id=session_id,
                    message_id=message_id,
                    requested_model=provider.model,
                )
            )
            return result, row_id
        return None

    async def record_usage(self, usage: UsageRecord) -> int:
        """Ledger entry for an LLM call made outside this service (e.g. OpenAI embeddings by the
        knowledge feature: ``UsageRecord("openai", model, "embedding", prompt_tokens=n)``)."""
        return await self._record_safely(usage)

    async def _record_safely(self, usage: UsageRecord) -> int:
        try:
            return await self.ledger.record(usage)
        except Exception:  # noqa: BLE001 - the ledger must never cost the customer an answer
            log.exception("writing the LLM ledger failed")
            return 0

    async def classify(
        self, text: str, lang: str, labels: list[str], *, session_id: str | None = None, message_id: int | None = None
    ) -> dict[str, Any] | None:
        """``{intent, sentiment, confidence}`` by the LLM, or None when no LLM is available or its
        answer is unusable (callers then use their local classifier)."""
        if not labels or not self.usable():
            return None
        prompt = (
            "Classify the customer support message. Reply with one JSON object only, like "
            '{"intent": "...", "sentiment": "neutral", "confidence": 0.8}. '
            f"intent is one of: {', '.join(labels)}. sentiment is one of: positive, neutral, negative. "
            "confidence is a number from 0 to 1."
        )
        outcome = await self.chat(
            [{"role": "system", "content": prompt}, {"role": "user", "content": text[:2000]}],
            purpose="classify",
            session_id=session_id,
            message_id=message_id,
            max_tokens=60,
        )
        if outcome is None:
            return None
        result, row_id = outcome
        parsed = parse_classification(result.text, labels)
        if row_id:
            try:
                await self.ledger.set_outcome(row_id, "answered" if parsed else "rejected:unparsable")
            except Exception:  # noqa: BLE001 - bookkeeping only
                log.exception("updating the ledger outcome failed")
        return parsed

    async def status(self) -> dict[str, Any]:
        """What the admin sees at ``GET /v1/ai/status``; refreshes stale health probes."""
        stale = [
            p
            for p in self.providers
            if time.time() - self.health.get(p.name, {}).get("checked_at", 0) > self.settings.llm_health_ttl_seconds
            and not self.breakers[p.name].probing
            and (self.enabled or not p.remote)
            # an open breaker is left alone until its cool-down (e.g. a 429's Retry-After) ends
            and (self.breakers[p.name].allows_traffic() or self.breakers[p.name].probe_due())
        ]
        for provider in stale:
            self.breakers[provider.name].probing = True
        if stale:
            await asyncio.gather(*(self._probe(p) for p in stale))
        active, reason = self.decision()
        providers: dict[str, Any] = {}
        for provider in self.providers:
            snap = self.breakers[provider.name].snapshot()
            info: dict[str, Any] = {
                "available": True,
                "model": provider.model,
                "remote": provider.remote,
                "breaker": snap.state,
                "failures": snap.failures,
                "last_error": snap.last_error,
                "retry_in_s": snap.open_until,
                "health": self.health.get(provider.name),
            }
            if isinstance(provider, OpenAIProvider):
                info["base_url"] = provider.base_url
            if isinstance(provider, LocalLlamaProvider):
                info.update(
                    path=str(provider.model_path),
                    loaded=provider.loaded_at is not None,
                    queue_depth=provider.queue_depth,
                    load_error=provider.load_error,
                )
            providers[provider.name] = info
        for name, why in self.absent.items():
            providers[name] = {"available": False, "reason": why}
        return {
            "enabled": self.enabled,
            "provider_setting": self.settings.nura_llm_provider,
            "active_provider": active,
            "reason": reason,
            "streaming": bool(self.settings.llm_stream),
            "providers": providers,
        }


_JSON_OBJECT = re.compile(r"\{.*?\}", re.S)


def parse_classification(text: str, labels: list[str]) -> dict[str, Any] | None:
    """Read ``{intent, sentiment, confidence}`` out of a model's reply; None when it is unusable."""
    for match in _JSON_OBJECT.finditer(text or ""):
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        intent = str(data.get("intent", "")).strip()
        lookup = {label.lower(): label for label in labels}
        if intent.lower() not in lookup:
            continue
        sentiment = str(data.get("sentiment", "neutral")).strip().lower()
        try:
            confidence = min(1.0, max(0.0, float(data.get("confidence", 0.5))))
        except (TypeError, ValueError):
            confidence = 0.5
        return {
            "intent": lookup[intent.lower()],
            "sentiment": sentiment if sentiment in SENTIMENTS else "neutral",
            "confidence": round(confidence, 3),
        }
    return None
