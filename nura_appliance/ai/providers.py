"""LLM providers behind one interface: the OpenAI-compatible HTTP provider lives here, the
in-process llama.cpp one in :mod:`nura_appliance.ai.local`.

A provider only talks to a model. Choosing one, breakers, the ledger and the answer guard
belong to :class:`nura_appliance.ai.service.LLMService`. Every failure is raised as
:class:`ProviderError` with a ``kind`` the breaker understands, never as a library exception,
so no provider problem can reach a request handler as a 500.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TypedDict

if TYPE_CHECKING:
    import openai
    from openai.types import CompletionUsage
    from openai.types.chat import ChatCompletionMessageParam

TokenCallback = Callable[[str], None]
Role = Literal["system", "user", "assistant"]


class Message(TypedDict):
    """One chat message, as the prompts build it and every provider takes it."""

    role: Role
    content: str


# Failure kinds. The first group means "the provider is not there": the breaker opens at once so
# an outage costs one timeout, not one per message.
TRIPPING = frozenset({"timeout", "unavailable", "rate_limited", "rejected", "no_model"})
FAILURE_KINDS = TRIPPING | {"server_error", "bad_response", "busy"}


class ProviderError(Exception):
    """A provider could not produce an answer."""

    def __init__(self, message: str, *, kind: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind if kind in FAILURE_KINDS else "bad_response"
        self.retry_after = retry_after

    @property
    def trips(self) -> bool:
        """Whether one such failure should open the circuit breaker right away."""
        return self.kind in TRIPPING


@dataclass
class ChatResult:
    """One completed chat call."""

    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    model: str
    provider: str
    latency_ms: float
    first_token_ms: float | None = None
    estimated_usage: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ChatProvider(Protocol):
    """What :class:`~nura_appliance.ai.service.LLMService` needs from a provider."""

    name: str  # "openai" | "local"
    source: str  # the answer's ``source``: "openai" | "local_llm"
    model: str
    remote: bool  # whether customer text leaves the machine

    async def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        temperature: float,
        timeout: float,
        on_token: TokenCallback | None = None,
    ) -> ChatResult: ...

    async def probe(self, timeout: float) -> str: ...

    async def aclose(self) -> None: ...

    def close(self) -> None: ...


def estimate_tokens(text: str) -> int:
    """Rough token count when a server reports no usage: BPE vocabularies spend about four
    Latin characters per token and about two per Arabic-script character."""
    latin = sum(1 for ch in text if ch.isascii())
    other = len(text) - latin
    return max(1, math.ceil(latin / 4 + other / 2)) if text else 0


def _retry_after(exc: openai.APIStatusError) -> float | None:
    try:
        value = exc.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


def _translate(exc: BaseException) -> ProviderError:
    """Map the openai client's exceptions onto our failure kinds."""
    if isinstance(exc, ProviderError):
        return exc
    import openai  # already loaded: only an OpenAIProvider raises these

    if isinstance(exc, TimeoutError | openai.APITimeoutError):
        return ProviderError("the OpenAI-compatible server did not answer in time", kind="timeout")
    if isinstance(exc, openai.RateLimitError):
        return ProviderError(
            "rate limited by the OpenAI-compatible server (429)", kind="rate_limited", retry_after=_retry_after(exc)
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status >= 500:
            return ProviderError(f"the OpenAI-compatible server failed ({status})", kind="server_error")
        # 401/403/404: wrong key or model — retrying every message would not help.
        return ProviderError(f"the OpenAI-compatible server refused the request ({status})", kind="rejected")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(f"cannot reach the OpenAI-compatible server: {exc}", kind="unavailable")
    return ProviderError(
        f"unusable answer from the OpenAI-compatible server: {type(exc).__name__}: {exc}"[:300], kind="bad_response"
    )


def _openai_messages(messages: list[Message]) -> list[ChatCompletionMessageParam]:
    """The messages as the openai client types them: one message type per role."""
    out: list[ChatCompletionMessageParam] = []
    for message in messages:
        if message["role"] == "system":
            out.append({"role": "system", "content": message["content"]})
        elif message["role"] == "user":
            out.append({"role": "user", "content": message["content"]})
        else:
            out.append({"role": "assistant", "content": message["content"]})
    return out


class OpenAIProvider:
    """OpenAI, or any OpenAI-compatible server (Ollama, vLLM, ``llama_cpp.server``) via base URL."""

    name = "openai"
    source = "openai"

    def __init__(self, *, api_key: str, base_url: str, model: str) -> None:
        self.model = model
        self.base_url = base_url or "https://api.openai.com/v1"
        # Loopback and private servers need no key, but the client insists on one.
        # max_retries=0: our own timeout is the whole budget and the breaker decides on retries.
        # Imported here: the openai package costs about a second at start-up, and an appliance
        # without an OpenAI-compatible server configured never needs it.
        import openai

        self.client = openai.AsyncOpenAI(api_key=api_key or "not-needed", base_url=base_url or None, max_retries=0)
        self.remote = True

    async def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        temperature: float,
        timeout: float,
        on_token: TokenCallback | None = None,
    ) -> ChatResult:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                if on_token is None:
                    return await self._complete(messages, max_tokens, temperature, timeout, started)
                return await self._stream(messages, max_tokens, temperature, timeout, started, on_token)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a ProviderError for the breaker
            raise _translate(exc) from exc

    async def _complete(
        self, messages: list[Message], max_tokens: int, temperature: float, timeout: float, started: float
    ) -> ChatResult:
        resp = await self.client.chat.completions.create(
            model=self.model,
            messages=_openai_messages(messages),
            max_tokens=max_tokens,
            temperature=temperature,
            timeout=timeout,
        )
        choice = resp.choices[0]
        text = choice.message.content or ""
        usage = resp.usage
        estimated = usage is None
        prompt = usage.prompt_tokens if usage else estimate_tokens(" ".join(m["content"] for m in messages))
        completion = usage.completion_tokens if usage else estimate_tokens(text)
        elapsed = (time.perf_counter() - started) * 1000
        return ChatResult(
            text,
            choice.finish_reason,
            prompt,
            completion,
            resp.model or self.model,
            self.name,
            elapsed,
            first_token_ms=elapsed,
            estimated_usage=estimated,
        )

    async def _stream(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float,
        timeout: float,
        started: float,
        on_token: TokenCallback,
    ) -> ChatResult:
        stream = await self.client.chat.completions.create(
            model=self.model,
            messages=_openai_messages(messages),
            max_tokens=max_tokens,
            temperature=temperature,
            stream=True,
            stream_options={"include_usage": True},
            timeout=timeout,
        )
        parts: list[str] = []
        finish: str | None = None
        first: float | None = None
        usage: CompletionUsage | None = None
        model = self.model
        async for chunk in stream:
            model = chunk.model or model
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices or ():
                delta = choice.delta.content if choice.delta else None
                if delta:
                    if first is None:
                        first = (time.perf_counter() - started) * 1000
                    parts.append(delta)
                    on_token(delta)
                if choice.finish_reason:
                    finish = choice.finish_reason
        if finish is None:
            # The connection ended without a finish reason: the stream was cut, the text is partial.
            raise ProviderError("the answer stream ended before the model finished", kind="bad_response")
        text = "".join(parts)
        estimated = usage is None
        prompt = usage.prompt_tokens if usage else estimate_tokens(" ".join(m["content"] for m in messages))
        completion = usage.completion_tokens if usage else estimate_tokens(text)
        return ChatResult(
            text,
            finish,
            prompt,
            completion,
            model,
            self.name,
            (time.perf_counter() - started) * 1000,
            first_token_ms=first,
            estimated_usage=estimated,
        )

    async def probe(self, timeout: float) -> str:
        """Cheap reachability check (``GET /models``); returns a short description."""
        try:
            async with asyncio.timeout(timeout):
                models = await self.client.models.list(timeout=timeout)
                names = [m.id for m in models.data][:5]
        except Exception as exc:  # noqa: BLE001 - reported as a failure kind
            raise _translate(exc) from exc
        return f"reachable; models: {', '.join(names) or 'none listed'}"

    async def aclose(self) -> None:
        await self.client.close()

    def close(self) -> None:
        """Nothing to do synchronously; the HTTP client is closed by :meth:`aclose`."""
