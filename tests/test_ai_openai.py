"""The grounded LLM tier through the real ``openai`` client against a scripted OpenAI-compatible
server on loopback: normal answers, the guard, 429/500/timeouts/malformed bodies/dropped streams,
the circuit breaker, the ledger, streaming and the AI switch."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from ai_support import ScriptedOpenAI, ledger_when_linked, seed_handbook
from conftest import make_settings, start_app, stop_app

from nura_appliance.ai.breaker import CircuitBreaker
from nura_appliance.app import create_app
from nura_appliance.settings import Settings

ADMIN = {"Authorization": "Bearer test-api-key-123456"}
# The LLM timeout of every app here: far above any answer of the scripted server on loopback, so a
# loaded machine (a CI run beside other jobs) cannot turn an answer, or the start-up health probe
# (min(5 s, the timeout)), into a timeout and a fallback. The one test of the timeout itself
# shortens it for its own call (``short_llm_timeout``) against a server that waits much longer.
GENEROUS_TIMEOUT = 30


# One app and one scripted server serve the module (app start-up is the slow part of a test); the
# autouse fixture below resets what a test may change. Tests that need other settings start their own.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def scripted() -> Any:
    server = ScriptedOpenAI()
    yield server
    try:
        server.stop()
    except OSError:
        pass


async def _start(data_dir: Path, *, seed: bool = True, **overrides: Any) -> tuple[httpx.AsyncClient, Any]:
    settings = make_settings(
        data_dir,
        LOAD_DEFAULT_KNOWLEDGE=False,
        BACKGROUND_JOBS_ENABLED=False,
        API_KEY="test-api-key-123456",
        **overrides,
    )
    app = create_app(settings)
    await start_app(app)
    ctx = app.ctx.nura
    # These tests pin the built-in lexical search over the seeded handbook; the knowledge feature's
    # retriever has its own tests.
    ctx.retriever = ctx.pipeline.retrieval.retriever = None  # the tier was handed it at start-up
    if seed:
        seed_handbook(ctx.db)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)), base_url="http://testserver"
    )
    return client, app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(
    tmp_path_factory: pytest.TempPathFactory, scripted: ScriptedOpenAI
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    client, app = await _start(
        tmp_path_factory.mktemp("ai-openai") / "data",
        OPENAI_BASE_URL=scripted.base_url,
        NURA_LLM_PROVIDER="openai",
        LLM_TIMEOUT_SECONDS=GENEROUS_TIMEOUT,
        LLM_STREAM=False,
        OPENAI_MODEL="gpt-4o-mini",
    )
    await startup_probe_done(app)
    try:
        yield client, app
    finally:
        await client.aclose()
        await stop_app(app)


@pytest_asyncio.fixture(loop_scope="module")
async def ai(
    shared: tuple[httpx.AsyncClient, Any], scripted: ScriptedOpenAI
) -> AsyncIterator[tuple[httpx.AsyncClient, Any, ScriptedOpenAI]]:
    client, app = shared
    llm = app.ctx.nura.llm
    await asyncio.sleep(0.05)  # let the previous test's background work (probes, ledger links) finish
    scripted.script.clear()
    scripted.requests.clear()
    llm.breakers = {p.name: CircuitBreaker(llm.settings.llm_breaker_cooldown_seconds) for p in llm.providers}
    llm.health.clear()
    llm.enabled = True
    await app.ctx.nura.db.write(lambda c: c.execute("DELETE FROM llm_usage_logs"))
    yield client, app, scripted


async def startup_probe_done(app: Any) -> None:
    """Wait for the background health probe sent at start-up (its success would reset breakers)."""
    llm = app.ctx.nura.llm
    deadline = time.monotonic() + 30  # generous: a loaded CI machine starts slowly
    while "openai" not in llm.health:
        assert time.monotonic() < deadline, "the start-up health probe never finished"
        await asyncio.sleep(0.025)


async def ask(
    client: httpx.AsyncClient, text: str, session: dict[str, Any] | None = None, lang: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"message": text, "customer_id": "cust-ai"}
    if session:
        body.update(session_id=session["session_id"], session_token=session["session_token"])
    if lang:
        body["lang"] = lang
    resp = await client.post("/v1/message", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def ledger(app: Any) -> list[dict[str, Any]]:
    return await app.ctx.nura.db.fetchall("SELECT * FROM llm_usage_logs ORDER BY id")


async def test_grounded_answer_with_sources_and_ledger_row(ai: Any) -> None:
    client, app, server = ai
    server.push({"text": "Priority Club members earn 3 points for every 1000 IQD spent [1].", "usage": (420, 18)})
    answer = await ask(client, "How many points does the Priority Club give?", lang="en")
    assert answer["source"] == "openai"
    assert answer["kind"] == "rag"
    assert answer["response"] == "Priority Club members earn 3 points for every 1000 IQD spent."
    assert answer["sources"] and answer["sources"][0]["kind"] == "chunk"
    assert answer["source_doc"] == "loyalty-and-roaming.md"

    request = server.chat_requests()[-1]["body"]
    system = request["messages"][0]["content"]
    assert request["model"] == "gpt-4o-mini"
    assert "Sanad Telecom" in system and "Nura" in system
    assert "[1] (Priority Club)" in system and "*155#" in system
    assert request["messages"][-1] == {"role": "user", "content": "How many points does the Priority Club give?"}

    rows = await ledger_when_linked(app.ctx.nura.db)  # linked to the persisted message after the reply
    assert len(rows) == 1
    row = rows[0]
    assert (row["provider"], row["purpose"], row["ok"], row["outcome"]) == ("openai", "chat", 1, "answered")
    assert (row["prompt_tokens"], row["completion_tokens"], row["total_tokens"]) == (420, 18, 438)
    assert row["cost_usd"] == pytest.approx((420 * 0.15 + 18 * 0.60) / 1e6)
    assert row["session_id"] == answer["session_id"]
    assert row["message_id"] == answer["message_id"]


async def test_arabic_question_gets_arabic_prompt_and_memory(ai: Any) -> None:
    client, app, server = ai
    server.push({"text": "تنتهي صلاحية النقاط بعد 12 شهراً [1]."}, {"text": "يمكن استبدال النقاط بطلب *155# [1]."})
    first = await ask(client, "متى تنتهي صلاحية نقاط نادي الأولوية؟")
    assert first["source"] == "openai" and first["lang"] == "ar"
    second = await ask(client, "وكيف استبدل النقاط؟", session=first)
    assert second["source"] == "openai"
    body = server.chat_requests()[-1]["body"]
    assert "أنت Nura" in body["messages"][0]["content"]
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "user"]  # the first exchange is remembered
    assert body["messages"][1]["content"] == "متى تنتهي صلاحية نقاط نادي الأولوية؟"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ({"text": "The Priority Club gives 50 points per 1000 IQD [1]."}, "rejected:invented_number"),
        ({"text": "Points expire after 12 months [7]."}, "rejected:cites_nothing_retrieved"),
        ({"text": "نقاط النادي تنتهي بعد 12 شهرا [1]."}, "rejected:wrong_language"),
        ({"text": "   "}, "rejected:empty"),
        ({"text": "Members earn 3 points for every", "finish": "length"}, "rejected:cut_off"),
        ({"text": "Our shop sells lovely phones and friendly chargers today [1]."}, "rejected:low_overlap"),
    ],
)
async def test_guard_falls_back_to_extractive_answer(ai: Any, reply: dict[str, Any], reason: str) -> None:
    client, app, server = ai
    server.push(reply)
    answer = await ask(client, "How many points does the Priority Club give per 1000 IQD?", lang="en")
    assert answer["source"] == "rag"
    assert "3 points for every 1000 IQD" in answer["response"]
    assert answer["sources"][0]["title"] == "Priority Club"
    rows = await ledger(app)
    assert rows[-1]["outcome"] == reason


async def test_model_declining_gives_the_scope_message(ai: Any) -> None:
    client, app, server = ai
    scope = app.ctx.nura.pipeline.scope_message("en")
    server.push({"text": scope})
    answer = await ask(client, "Do Priority Club points work for roaming?", lang="en")
    assert answer["kind"] == "out_of_scope"
    assert answer["response"] == scope
    assert (await ledger(app))[-1]["outcome"] == "declined"


async def test_nothing_retrieved_means_no_llm_call(ai: Any) -> None:
    client, app, server = ai
    answer = await ask(client, "What is the capital of Mongolia?", lang="en")
    assert answer["kind"] == "out_of_scope"
    assert server.chat_requests() == []


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500},
        {"malformed": "{this is not json"},
        {"malformed": '{"unexpected": true}'},
    ],
)
async def test_server_errors_and_malformed_bodies_fall_back(ai: Any, failure: dict[str, Any]) -> None:
    client, app, server = ai
    server.push(failure)
    answer = await ask(client, "How do I redeem Priority Club points?", lang="en")
    assert answer["source"] == "rag"
    assert "*155#" in answer["response"]
    row = (await ledger(app))[-1]
    assert row["ok"] == 0 and row["outcome"] == "failed"
    # One soft failure does not open the breaker: the next message goes to the server again.
    server.push({"text": "Dial *155# to redeem points for data bundles [1]."})
    again = await ask(client, "How do I redeem Priority Club points?", lang="en")
    assert again["source"] == "openai"


async def test_rate_limit_opens_breaker_for_retry_after(ai: Any) -> None:
    client, app, server = ai
    server.push({"status": 429, "headers": {"Retry-After": "120"}})
    first = await ask(client, "How do I redeem Priority Club points?", lang="en")
    assert first["source"] == "rag"
    calls = len(server.chat_requests())
    second = await ask(client, "When do Priority Club points expire?", lang="en")
    assert second["source"] == "rag"
    assert len(server.chat_requests()) == calls  # skipped without a call while the breaker is open
    status = (await client.get("/v1/ai/status", headers=ADMIN)).json()
    assert status["providers"]["openai"]["breaker"] == "open"
    assert status["providers"]["openai"]["retry_in_s"] > 100
    assert status["active_provider"] is None


@contextlib.contextmanager
def short_llm_timeout(app: Any, seconds: float) -> Iterator[None]:
    """The shared app's LLM service with ``LLM_TIMEOUT_SECONDS=seconds`` for one test (its settings
    object replaced, not edited, and put back), so only the timeout test waits on a short timeout."""
    llm = app.ctx.nura.llm
    kept = llm.settings
    llm.settings = Settings(values={**kept.values, "LLM_TIMEOUT_SECONDS": seconds}, origins=kept.origins)
    try:
        yield
    finally:
        llm.settings = kept


async def test_timeout_costs_one_wait_then_breaker_skips(ai: Any) -> None:
    client, app, server = ai
    # The server answers only after 30 s, 20 times the timeout: however late a loaded machine fires
    # the 1.5 s timer, the answer cannot arrive first.
    server.push({"sleep": 30, "text": "late [1]."})
    with short_llm_timeout(app, 1.5):
        first = await ask(client, "How do I redeem Priority Club points?", lang="en")
        assert first["source"] == "rag"
        calls = len(server.chat_requests())
        second = await ask(client, "When do Priority Club points expire?", lang="en")
    assert second["source"] == "rag"
    assert len(server.chat_requests()) == calls  # the open breaker skipped the server: no second wait
    rows = await ledger(app)
    assert [r["ok"] for r in rows] == [0]
    assert rows[0]["error"].startswith("timeout")
    assert 1400 < rows[0]["latency_ms"] < 30_000  # the 1.5 s timeout ended the wait, not the server's 30 s


async def test_breaker_probe_brings_provider_back(data_dir: Path, scripted: ScriptedOpenAI) -> None:
    client, app = await _start(
        data_dir,
        OPENAI_BASE_URL=scripted.base_url,
        NURA_LLM_PROVIDER="openai",
        LLM_TIMEOUT_SECONDS=GENEROUS_TIMEOUT,
        LLM_STREAM=False,
        LLM_BREAKER_COOLDOWN_SECONDS=1,
    )
    await startup_probe_done(app)
    try:
        llm = app.ctx.nura.llm
        now = [time.monotonic()]
        llm.breakers["openai"].clock = lambda: now[0]  # the cool-down runs on a clock the test moves
        scripted.push({"status": 503})
        scripted.push({"status": 503})
        scripted.push({"status": 503})
        for _ in range(3):
            assert (await ask(client, "How do I redeem Priority Club points?", lang="en"))["source"] == "rag"
        assert llm.breakers["openai"].is_open  # three soft failures in a row
        now[0] += 0.5
        assert not llm.breakers["openai"].probe_due()  # still cooling down (1 s)
        now[0] += 0.6
        assert llm.breakers["openai"].probe_due()
        # The cooled-down breaker sends a background probe, not the customer's message.
        assert (await ask(client, "How do I redeem Priority Club points?", lang="en"))["source"] == "rag"
        deadline = time.monotonic() + 30  # the probe runs in the background
        while llm.breakers["openai"].is_open and time.monotonic() < deadline:
            await asyncio.sleep(0.025)
        assert not llm.breakers["openai"].is_open
        scripted.push({"text": "Dial *155# to redeem points [1]."})
        assert (await ask(client, "How do I redeem Priority Club points?", lang="en"))["source"] == "openai"
    finally:
        await client.aclose()
        await stop_app(app)


async def test_streaming_publishes_tokens_then_the_message(data_dir: Path, scripted: ScriptedOpenAI) -> None:
    client, app = await _start(
        data_dir,
        OPENAI_BASE_URL=scripted.base_url,
        NURA_LLM_PROVIDER="openai",
        LLM_TIMEOUT_SECONDS=GENEROUS_TIMEOUT,
        LLM_STREAM=True,
    )
    try:
        scripted.push({"text": "Dial *155# to redeem points for data bundles [1].", "usage": (300, 12)})
        answer = await ask(client, "How do I redeem Priority Club points?", lang="en")
        assert answer["source"] == "openai"
        events = app.ctx.nura.bus.replay(f"session:{answer['session_id']}", 0)
        tokens = [e.data for e in events if e.type == "token"]
        assert "".join(t.get("delta", "") for t in tokens) == "Dial *155# to redeem points for data bundles [1]."
        assert tokens[-1]["done"] is True and tokens[-1]["accepted"] is True
        assert [t["index"] for t in tokens if "delta" in t] == [0, 1]  # 9 tokens in batches of 8
        last_token = max(e.id for e in events if e.type == "token")
        bot = [e for e in events if e.type == "message" and e.data["message"]["role"] == "bot"]
        assert bot and bot[0].id > last_token  # the persisted answer follows the stream
        assert bot[0].data["message"]["text"] == "Dial *155# to redeem points for data bundles."
        assert scripted.chat_requests()[-1]["body"]["stream"] is True
        row = (await ledger(app))[-1]
        assert (row["prompt_tokens"], row["completion_tokens"]) == (300, 12)

        # A stream cut mid-answer: the tokens shown are withdrawn and the extractive answer is used.
        scripted.push({"text": "Dial *155# to redeem points for data bundles [1].", "drop_after": 3})
        cut = await ask(client, "How do I redeem Priority Club points?", session=answer, lang="en")
        assert cut["source"] == "rag" and "*155#" in cut["response"]
        later = app.ctx.nura.bus.replay(f"session:{answer['session_id']}", last_token)
        finals = [e.data for e in later if e.type == "token" and e.data.get("done")]
        assert finals and finals[-1]["accepted"] is False
        assert (await ledger(app))[-1]["ok"] == 0
    finally:
        await client.aclose()
        await stop_app(app)


async def test_ai_switch_is_admin_only_persisted_and_keeps_text_local(data_dir: Path, scripted: ScriptedOpenAI) -> None:
    client, app = await _start(
        data_dir,
        OPENAI_BASE_URL=scripted.base_url,
        NURA_LLM_PROVIDER="auto",
        LLM_TIMEOUT_SECONDS=GENEROUS_TIMEOUT,
        LLM_STREAM=False,
    )
    try:
        assert (await client.post("/v1/ai/disable")).status_code == 401
        assert (await client.get("/v1/ai/status")).status_code == 401
        await startup_probe_done(app)  # the start-up health probe (no customer text) finishes first
        resp = await client.post("/v1/ai/disable", headers=ADMIN)
        assert resp.status_code == 200 and resp.json()["enabled"] is False
        scripted.requests.clear()
        answer = await ask(client, "How do I redeem Priority Club points?", lang="en")
        assert answer["source"] == "rag"
        assert scripted.requests == []  # nothing left the machine
        assert await app.ctx.nura.llm.classify("hello", "en", ["billing", "other"]) is None
        status = (await client.get("/v1/ai/status", headers=ADMIN)).json()
        assert status["enabled"] is False and status["active_provider"] is None
        assert scripted.requests == []  # not even a health probe
    finally:
        await client.aclose()
        await stop_app(app)

    # The switch survives a restart.
    client, app = await _start(
        data_dir, seed=False, OPENAI_BASE_URL=scripted.base_url, NURA_LLM_PROVIDER="auto", LLM_STREAM=False
    )
    try:
        assert app.ctx.nura.llm.enabled is False
        resp = await client.post("/v1/ai/enable", headers=ADMIN)
        assert resp.json() == {"ok": True, "enabled": True, "active_provider": "openai", "reason": "configured"}
        scripted.push({"text": "Dial *155# to redeem points [1]."})
        assert (await ask(client, "How do I redeem Priority Club points?", lang="en"))["source"] == "openai"
    finally:
        await client.aclose()
        await stop_app(app)


async def test_classify_and_usage_report(ai: Any) -> None:
    client, app, server = ai
    llm = app.ctx.nura.llm
    server.push({"text": 'Sure: {"intent": "Billing", "sentiment": "negative", "confidence": 0.9}', "usage": (80, 20)})
    result = await llm.classify(
        "my bill is wrong!", "en", ["billing", "roaming", "other"], session_id="s-1", message_id=7
    )
    assert result == {"intent": "billing", "sentiment": "negative", "confidence": 0.9}
    server.push({"text": "I think it is about bills."})
    assert await llm.classify("my bill", "en", ["billing", "other"]) is None
    rows = await ledger(app)
    assert [(r["purpose"], r["session_id"], r["message_id"], r["outcome"]) for r in rows] == [
        ("classify", "s-1", 7, "answered"),
        ("classify", None, None, "rejected:unparsable"),
    ]

    usage = (await client.get("/v1/ai/usage?days=7", headers=ADMIN)).json()
    assert usage["calls"] == 2 and usage["total_tokens"] == 210
    assert usage["by_purpose"][0]["purpose"] == "classify"
    assert (await client.get("/v1/ai/usage?days=abc", headers=ADMIN)).status_code == 422
    assert (await client.get("/v1/ai/usage?days=0", headers=ADMIN)).status_code == 422
