"""Load: 200 concurrent widget sessions and a few agents against one real ``nura serve``.

Each widget session loads the widget config and topic tree, opens its event stream, sends a
few messages with think time and, for one session in ten, asks for a person. Agents poll the
queue and session list, accept waiting sessions, answer and resolve them. Every request must
succeed (an agent losing an accept race to another agent gets 409 by design and is counted
apart); the run prints p50/p99 per request kind and the ratio to a baseline measured in the
same run: the same message sent by one customer on an idle server.

Run: .venv/bin/python tests/bench/bench_load.py [--sessions 200 --agents 3 --messages 4]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import ssl
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from common import save, start_nura, stop  # noqa: E402

API_KEY = "bench-automation-key-7Qm2vX9pL4tR8sWz"
QUESTIONS = [
    "ما هي الباقات المتاحة؟",
    "كيف أشحن رصيدي؟",
    "How do I check my balance?",
    "Çawa ez bikarim internetê çalak bikim?",
    "الانترنت بطيء عندي",
    "what are your working hours?",
]
HUMAN = "أريد التحدث مع موظف خدمة العملاء"
# A person reads the answer and types the next question: seconds, not milliseconds. With 200
# customers this offers the server ~60 messages per second.
THINK_SECONDS = (2.0, 5.0)


class Recorder:
    """Latencies per request kind, errors and expected conflicts."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.conflicts = 0
        self.events = 0

    async def call(
        self, http: httpx.AsyncClient, kind: str, method: str, url: str, *, allow: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            resp = await http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.errors.append(f"{kind}: {type(exc).__name__} {exc}")
            return None
        self.latency[kind].append((time.perf_counter() - started) * 1000)
        if resp.status_code in allow:
            self.conflicts += 1
            return resp
        if resp.status_code >= 400:
            self.errors.append(f"{kind}: {resp.status_code} {resp.text[:200]}")
            return None
        return resp


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 1),
        "p99": round(pick(0.99), 1),
        "max": round(ordered[-1], 1),
    }


async def read_stream(http: httpx.AsyncClient, url: str, token: str, rec: Recorder, stop: asyncio.Event) -> None:
    """Hold the session's SSE stream open and count the events it delivers."""
    try:
        async with http.stream("GET", url, headers={"X-Session-Token": token}, timeout=None) as resp:
            if resp.status_code != 200:
                rec.errors.append(f"stream: {resp.status_code}")
                return
            async for line in resp.aiter_lines():
                if line.startswith("event:"):
                    rec.events += 1
                if stop.is_set():
                    return
    except (httpx.HTTPError, asyncio.CancelledError):
        return


async def widget_session(
    http: httpx.AsyncClient,
    number: int,
    messages: int,
    rec: Recorder,
    stop: asyncio.Event,
    streams: list[asyncio.Task[None]] | None,
) -> None:
    """One customer's browser with its own connections, like a real browser: one shared pool for
    200 customers made the load generator's pool, not the server, the bottleneck."""
    await asyncio.sleep(random.uniform(0, 2.0))  # customers arrive over two seconds, not in one instant
    async with http:
        await _widget_conversation(http, number, messages, rec, stop, streams)


async def _widget_conversation(
    http: httpx.AsyncClient,
    number: int,
    messages: int,
    rec: Recorder,
    stop: asyncio.Event,
    streams: list[asyncio.Task[None]] | None,
) -> None:
    await rec.call(http, "widget_config", "GET", "/v1/widget/config")
    await rec.call(http, "topic_tree", "GET", "/v1/topic-tree", params={"lang": "ar"})
    session: dict[str, Any] | None = None
    for n in range(messages):
        body: dict[str, Any] = {
            "session_id": None,
            "customer_id": f"bench-{number}",
            "channel": "web",
            "message": QUESTIONS[(number + n) % len(QUESTIONS)],
        }
        if n == messages - 1 and number % 10 == 0:
            body["message"] = HUMAN
        if session:
            body.update(session_id=session["session_id"], session_token=session["session_token"])
        resp = await rec.call(http, "message", "POST", "/v1/message", json=body)
        if resp is None:
            return
        if session is None:
            session = resp.json()
            if streams is not None:
                streams.append(
                    asyncio.create_task(
                        read_stream(
                            http, f"/v1/session/{session['session_id']}/stream", session["session_token"], rec, stop
                        )
                    )
                )
        await asyncio.sleep(random.uniform(*THINK_SECONDS))


async def agent(http: httpx.AsyncClient, name: str, token: str, rec: Recorder, done: asyncio.Event) -> int:
    """Poll the queue, take waiting sessions, answer and resolve them; returns sessions resolved."""
    headers = {"Authorization": f"Bearer {token}"}
    resolved = 0
    while not done.is_set():
        queue = await rec.call(http, "agent_queue", "GET", "/v1/queue", headers=headers)
        await rec.call(http, "agent_sessions", "GET", "/v1/sessions/list", params={"limit": 20}, headers=headers)
        for item in (queue.json().get("pending", []) if queue is not None else [])[:2]:
            session_id = item.get("session_id") or item.get("id")
            accepted = await rec.call(
                http, "agent_accept", "POST", f"/v1/handoff/{session_id}/accept", headers=headers, allow=(409,)
            )
            if accepted is None or accepted.status_code == 409:
                continue
            await rec.call(
                http,
                "agent_message",
                "POST",
                f"/v1/session/{session_id}/agent-message",
                json={"message": "مرحبا، كيف أساعدك؟", "agent_name": name},
                headers=headers,
            )
            done_resp = await rec.call(
                http,
                "agent_resolve",
                "POST",
                f"/v1/handoff/{session_id}/resolve",
                json={
                    "status": "solved",
                    "issue_category": "billing",
                    "root_cause": "question",
                    "resolution_notes": "answered",
                    "resolved_by": name,
                },
                headers=headers,
            )
            resolved += done_resp is not None
        await asyncio.sleep(0.3)
    return resolved


async def baseline(base: str, rounds: int = 20) -> list[float]:
    """One customer, idle server: the same message path without any concurrency."""
    latencies = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for i in range(rounds):
            started = time.perf_counter()
            resp = await http.post(
                "/v1/message",
                json={"session_id": None, "customer_id": "baseline", "message": QUESTIONS[i % len(QUESTIONS)]},
            )
            resp.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def run(base: str, sessions: int, agents: int, messages: int) -> dict[str, Any]:
    rec = Recorder()
    limits = httpx.Limits(max_connections=sessions * 2 + 50, max_keepalive_connections=sessions * 2 + 50)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        tokens = []
        for i in range(agents):
            name = f"bench-agent-{i}"
            await http.post(
                "/v1/users",
                json={"username": name, "role": "agent", "password": "bench-pass-2024!x", "display_name": f"Agent {i}"},
                headers={"Authorization": f"Bearer {API_KEY}"},
            )
            login = await http.post("/v1/auth/login", json={"username": name, "password": "bench-pass-2024!x"})
            login.raise_for_status()
            tokens.append((name, login.json()["access_token"]))
        base_latency = await baseline(base)
        stop_streams, done = asyncio.Event(), asyncio.Event()
        streams: list[asyncio.Task[None]] = []
        agent_tasks = [asyncio.create_task(agent(http, n, t, rec, done)) for n, t in tokens]
        started = time.perf_counter()
        # Clients are built before the clock starts: building one costs the load generator ~20 ms of
        # CPU (TLS context), which would otherwise be measured as server latency.
        tls = ssl.create_default_context()
        browsers = [httpx.AsyncClient(base_url=base, timeout=60, verify=tls) for _ in range(sessions)]
        await asyncio.gather(
            *(widget_session(browsers[i], i, messages, rec, stop_streams, streams) for i in range(sessions))
        )
        customers_done = time.perf_counter() - started
        await asyncio.sleep(3)  # let the agents drain the queue
        done.set()
        resolved = sum(await asyncio.gather(*agent_tasks))
        stop_streams.set()
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
    table = {kind: percentiles(values) for kind, values in sorted(rec.latency.items())}
    base_p50 = statistics.median(base_latency)
    return {
        "sessions": sessions,
        "agents": agents,
        "messages_per_session": messages,
        "seconds": round(customers_done, 1),
        "requests": sum(len(v) for v in rec.latency.values()),
        "errors": len(rec.errors),
        "error_samples": rec.errors[:5],
        "accept_conflicts": rec.conflicts,
        "stream_events": rec.events,
        "handoffs_resolved": resolved,
        "baseline_message": percentiles(base_latency),
        "latency_ms": table,
        "message_p50_vs_idle": round(table.get("message", {}).get("p50", 0) / base_p50, 2) if base_p50 else None,
    }


def main(sessions: int = 200, agents: int = 3, messages: int = 4) -> dict[str, Any]:
    proc, base, _, _ = start_nura(
        env={
            "API_KEY": API_KEY,
            "BUSINESS_HOURS": "",
            "AGENT_CAPACITY": "50",
            "RATE_LIMIT_EVENTS_PER_MINUTE": "1000000",
        }
    )
    try:
        result = asyncio.run(run(base, sessions, agents, messages))
    finally:
        stop(proc)
    print(
        f"{result['sessions']} widget sessions + {result['agents']} agents: {result['requests']} requests in "
        f"{result['seconds']} s, errors {result['errors']}, accept races {result['accept_conflicts']}, "
        f"stream events {result['stream_events']}, hand-offs resolved {result['handoffs_resolved']}"
    )
    print(f"{'request':16} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind, p in result["latency_ms"].items():
        print(f"{kind:16} {p['n']:>6} {p.get('p50', 0):>8} {p.get('p99', 0):>8} {p.get('max', 0):>8}")
    idle = result["baseline_message"]
    print(
        f"baseline (one customer, idle server) message p50 {idle['p50']} ms p99 {idle['p99']} ms; "
        f"loaded/idle p50 ratio {result['message_p50_vs_idle']}"
    )
    for sample in result["error_samples"]:
        print("error:", sample)
    save("bench_load", result)
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} errors under load")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--messages", type=int, default=4)
    args = parser.parse_args()
    main(args.sessions, args.agents, args.messages)
