"""LLM paths: the local model's time to first token and tokens/s (SmolLM2-135M-Instruct via the
in-process llama.cpp provider), and the latency the OpenAI path adds to ``POST /v1/message``.

Baselines measured in the same run:

* local model — prompts of the same size through plain ``llama_cpp.Llama`` in the calling thread
  of a separate process (no worker thread, queue or event loop; see ``direct_runs`` for why a
  separate process): the provider's overhead is the ratio;
* OpenAI client — a raw ``httpx`` POST of the same body to the same scripted server: the
  official client's overhead is the ratio;
* ``/v1/message`` — the same handbook question with the AI switch off (extractive answer, same
  retrieval): what the LLM path adds is the difference.

Run: ``.venv/bin/python tests/bench/bench_llm.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ for the shared AI test support

from ai_support import ScriptedOpenAI, seed_handbook, smollm_path  # noqa: E402
from common import save  # noqa: E402
from conftest import make_settings, start_app, stop_app  # noqa: E402

from nura_appliance.ai.local import LocalLlamaProvider  # noqa: E402
from nura_appliance.ai.prompts import Passage, build_messages, compress  # noqa: E402
from nura_appliance.ai.providers import OpenAIProvider  # noqa: E402
from nura_appliance.app import create_app  # noqa: E402

RUNS_LOCAL = 5
RUNS_HTTP = 40
MAX_TOKENS = 64
QUESTION = "How do I redeem Priority Club points?"


def _prompt(run: int = 0) -> list[dict[str, str]]:
    """The grounded prompt; ``run`` makes its first words unique so that llama.cpp's prompt-prefix
    cache never serves one run from the previous one (every run pays the full prompt)."""
    from ai_support import HANDBOOK

    passages = compress([Passage("chunk", str(i), h, t, 0.9 - i / 10) for i, (h, _, t) in enumerate(HANDBOOK)], 800)
    messages = build_messages(
        question=QUESTION,
        lang="en",
        passages=passages,
        memory=[],
        company="Sanad Telecom",
        agent="Nura",
        scope="I can only help with Sanad Telecom services.",
    )
    messages[0]["content"] = f"Conversation {run}. " + messages[0]["content"]
    return messages


def _ms(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "median": round(statistics.median(values), 2),
        "p90": round(values[int(len(values) * 0.9) - 1], 2),
        "min": round(values[0], 2),
    }


def direct_runs() -> dict[str, Any]:
    """The baseline: plain ``llama_cpp.Llama`` in the calling thread. Run in a process of its own
    (``bench_llm.py --direct``): two llama.cpp instances in one process each keep an OpenMP team,
    and once the teams together outnumber the cores libgomp stops spinning between the tiny
    per-token kernels; both then generate at 29 instead of 72–76 tokens/s on 2 cores. The
    appliance only ever holds one."""
    from llama_cpp import Llama

    threads = os.cpu_count() or 1
    llm = Llama(model_path=str(smollm_path()), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)

    def direct(messages: list[dict[str, str]]) -> tuple[float, float]:
        started = time.perf_counter()
        first = None
        count = 0
        for chunk in llm.create_chat_completion(messages=messages, max_tokens=MAX_TOKENS, temperature=0.0, stream=True):
            if chunk["choices"][0]["delta"].get("content"):
                count += 1
                first = first or time.perf_counter()
        end = time.perf_counter()
        return ((first or end) - started) * 1000, count / max(1e-6, end - (first or end))

    out: dict[str, Any] = {
        "prompt_tokens": len(llm.tokenize("\n".join(m["content"] for m in _prompt()).encode())),
        "direct_ttft": [],
        "direct_tps": [],
    }
    try:
        direct(_prompt(998))  # warm-up
        for run in range(RUNS_LOCAL):  # the provider gets the odd prompts: every prompt unique
            ttft, tps = direct(_prompt(2 * run))
            out["direct_ttft"].append(ttft)
            out["direct_tps"].append(tps)
    finally:
        llm.close()
    return out


def bench_local() -> dict[str, Any]:
    threads = os.cpu_count() or 1
    done = subprocess.run(
        [sys.executable, __file__, "--direct"], capture_output=True, text=True, check=True, timeout=900
    )
    baseline = json.loads(done.stdout.strip().splitlines()[-1])
    prompt_tokens = baseline["prompt_tokens"]

    async def runs() -> dict[str, list[float]]:
        out: dict[str, list[float]] = {
            "direct_ttft": baseline["direct_ttft"],
            "direct_tps": baseline["direct_tps"],
            "ttft": [],
            "tps": [],
        }
        provider = LocalLlamaProvider(smollm_path(), n_ctx=2048, n_threads=threads, queue_size=4)
        try:
            await provider.chat(_prompt(999), max_tokens=2, temperature=0.0, timeout=300)  # load the model
            for run in range(RUNS_LOCAL):
                result = await provider.chat(
                    _prompt(2 * run + 1),
                    max_tokens=MAX_TOKENS,
                    temperature=0.0,
                    timeout=300,
                    on_token=lambda _delta: None,
                )
                out["ttft"].append(result.first_token_ms or result.latency_ms)
                generating_s = (result.latency_ms - (result.first_token_ms or 0)) / 1000
                out["tps"].append(max(0, result.completion_tokens - 1) / max(1e-6, generating_s))
        finally:
            provider.close()
        return out

    out = asyncio.run(runs())
    return {
        "model": smollm_path().name,
        "threads": threads,
        "prompt_tokens": prompt_tokens,
        "max_tokens": MAX_TOKENS,
        "baseline_direct_llama": {
            "ttft_ms": _ms(out["direct_ttft"]),
            "tokens_per_s": round(statistics.median(out["direct_tps"]), 1),
        },
        "provider": {"ttft_ms": _ms(out["ttft"]), "tokens_per_s": round(statistics.median(out["tps"]), 1)},
        "ttft_ratio_vs_direct": round(statistics.median(out["ttft"]) / statistics.median(out["direct_ttft"]), 3),
    }


async def bench_openai_path(server: ScriptedOpenAI) -> dict[str, Any]:
    messages = _prompt()
    body = {"model": "gpt-4o-mini", "messages": messages, "max_tokens": MAX_TOKENS, "temperature": 0.2}
    raw, client_ms = [], []
    async with httpx.AsyncClient() as http:
        for _ in range(5):
            await http.post(f"{server.base_url}/chat/completions", json=body)
        for _ in range(RUNS_HTTP):
            started = time.perf_counter()
            resp = await http.post(f"{server.base_url}/chat/completions", json=body)
            resp.json()
            raw.append((time.perf_counter() - started) * 1000)
    provider = OpenAIProvider(api_key="", base_url=server.base_url, model="gpt-4o-mini")
    for _ in range(5):
        await provider.chat(messages, max_tokens=MAX_TOKENS, temperature=0.2, timeout=10)
    for _ in range(RUNS_HTTP):
        started = time.perf_counter()
        await provider.chat(messages, max_tokens=MAX_TOKENS, temperature=0.2, timeout=10)
        client_ms.append((time.perf_counter() - started) * 1000)
    await provider.aclose()

    data = Path(tempfile.mkdtemp(prefix="nura-bench-llm-"))
    app = create_app(
        make_settings(
            data,
            LOAD_DEFAULT_KNOWLEDGE=False,
            BACKGROUND_JOBS_ENABLED=False,
            OPENAI_BASE_URL=server.base_url,
            NURA_LLM_PROVIDER="openai",
            LLM_STREAM=False,
            RATE_LIMIT_MESSAGES_PER_MINUTE=1_000_000,
            RATE_LIMIT_IP_PER_MINUTE=1_000_000,
            RATE_LIMIT_NEW_SESSIONS_PER_MINUTE=1_000_000,
        )
    )
    await start_app(app)
    ctx = app.ctx.nura
    # the seeded handbook is searched lexically, as in the tests
    ctx.retriever = ctx.pipeline.retrieval.retriever = None
    seed_handbook(ctx.db)
    llm = ctx.llm
    timings: dict[str, list[float]] = {"extractive": [], "openai": []}
    sources: dict[str, set[str]] = {"extractive": set(), "openai": set()}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)), base_url="http://testserver"
    ) as client:
        for round_ in range(RUNS_HTTP + 5):
            for mode in ("extractive", "openai"):  # interleaved so load changes hit both alike
                llm.enabled = mode == "openai"
                started = time.perf_counter()
                resp = await client.post("/v1/message", json={"message": QUESTION, "lang": "en"})
                elapsed = (time.perf_counter() - started) * 1000
                if round_ >= 5:
                    timings[mode].append(elapsed)
                    sources[mode].add(resp.json()["source"])
    await stop_app(app)
    extractive, generated = statistics.median(timings["extractive"]), statistics.median(timings["openai"])
    return {
        "baseline_raw_httpx_ms": _ms(raw),
        "openai_client_ms": _ms(client_ms),
        "client_ratio_vs_raw": round(statistics.median(client_ms) / statistics.median(raw), 3),
        "message_extractive_ms": _ms(timings["extractive"]),
        "message_openai_ms": _ms(timings["openai"]),
        "message_added_ms": round(generated - extractive, 2),
        "message_ratio_vs_extractive": round(generated / extractive, 3),
        "sources": {k: sorted(v) for k, v in sources.items()},
    }


def main() -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    local = bench_local()
    server = ScriptedOpenAI(
        default={"text": "Dial *155# to redeem Priority Club points for data bundles [1].", "usage": (300, 14)}
    )
    try:
        http = asyncio.run(bench_openai_path(server))
    finally:
        server.stop()
    result = {
        "local": local,
        "openai_path": http,
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    save("bench_llm", result)
    lp, ld = local["provider"], local["baseline_direct_llama"]
    print(f"local {local['model']} ({local['prompt_tokens']} prompt tokens, {local['threads']} threads):")
    print(f"  provider  TTFT median {lp['ttft_ms']['median']} ms, {lp['tokens_per_s']} tokens/s")
    print(
        f"  direct    TTFT median {ld['ttft_ms']['median']} ms, {ld['tokens_per_s']} tokens/s "
        f"(provider/direct TTFT ratio {local['ttft_ratio_vs_direct']})"
    )
    print("openai path against the scripted server:")
    print(
        f"  raw httpx {http['baseline_raw_httpx_ms']['median']} ms, openai client "
        f"{http['openai_client_ms']['median']} ms (ratio {http['client_ratio_vs_raw']})"
    )
    print(
        f"  /v1/message extractive {http['message_extractive_ms']['median']} ms, with the LLM "
        f"{http['message_openai_ms']['median']} ms: +{http['message_added_ms']} ms "
        f"(ratio {http['message_ratio_vs_extractive']}); sources {http['sources']}"
    )
    print(f"load average (1 min) before/after: {result['load_average_1m']}")
    return result


if __name__ == "__main__":
    if sys.argv[1:] == ["--direct"]:
        print(json.dumps(direct_runs()))
    else:
        main()
