"""`GET /v1/metrics`: Prometheus text for admins or the METRICS_TOKEN bearer; request counters and
latency histograms from the middleware, and durable totals read from the database."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_settings, new_session
from prometheus_client.parser import text_string_to_metric_families

from nura_appliance.ops import metrics as metrics_module
from nura_appliance.settings import Settings

TOKEN = "scrape-token-0123456789"
ADMIN = {"Authorization": "Bearer suite-api-key-Vb4Rz8Kq2Wn6Tx9M"}


@pytest.fixture
def settings(ready_data_dir: Path) -> Settings:
    # Always open, so a hand-off request queues the session whatever the time of day.
    return make_settings(ready_data_dir, METRICS_TOKEN=TOKEN, BUSINESS_HOURS="")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = await client.get("/v1/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain; version=")
    return samples(resp.text)


async def test_metrics_need_admin_or_the_metrics_token(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/v1/metrics")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
    wrong = await client.get("/v1/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert (await client.get("/v1/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200
    assert (await client.get("/v1/metrics", headers=ADMIN)).status_code == 200


async def test_requests_are_counted_by_route_pattern_and_status(client: httpx.AsyncClient) -> None:
    answer = await new_session(client, "ما هي الباقات المتاحة؟")
    await client.get(
        f"/v1/session/{answer['session_id']}/messages", headers={"X-Session-Token": answer["session_token"]}
    )
    await client.get("/v1/no-such-route")
    await client.post("/v1/message", content=b"{oops", headers={"Content-Type": "application/json"})
    found = await scrape(client)
    assert value(found, "nura_http_requests_total", route="/v1/message", method="POST", status="200") == 1
    assert value(found, "nura_http_requests_total", route="/v1/message", method="POST", status="400") == 1
    assert value(found, "nura_http_requests_total", route="unmatched", method="GET", status="404") == 1
    # Ids never become labels: the session route is counted under its pattern.
    routes = {dict(labels).get("route") for (name, labels) in found if name == "nura_http_requests_total"}
    assert not any(answer["session_id"] in (r or "") for r in routes)
    assert any(r and r.startswith("/v1/session/<") for r in routes)
    assert value(found, "nura_http_request_duration_seconds_count", route="/v1/message", method="POST") == 2
    assert value(found, "nura_http_request_duration_seconds_bucket", route="/v1/message", method="POST", le="+Inf") == 2
    assert value(found, "process_resident_memory_bytes") > 0


async def test_database_totals_tiers_handoffs_queue_jobs_and_llm_cost(
    client: httpx.AsyncClient, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics_module, "SNAPSHOT_SECONDS", 0.0)
    await new_session(client, "ما هي الباقات المتاحة؟")
    await new_session(client, "مرحبا")
    await new_session(client, "أريد التحدث مع موظف")
    now = time.time()

    def seed(conn: Any) -> None:
        conn.execute(
            "INSERT INTO llm_usage_logs (provider, model, purpose, prompt_tokens, completion_tokens,"
            " total_tokens, cost_usd, ok, created_at) VALUES ('openai', 'gpt-4o-mini', 'answer', 900, 100,"
            " 1000, 0.0002, 1, ?), ('openai', 'gpt-4o-mini', 'answer', 50, 0, 50, 0, 0, ?)",
            (now, now),
        )
        conn.execute(
            "INSERT INTO outbox (kind, payload, status, attempts, next_attempt_at, created_at, updated_at)"
            " VALUES ('webhook', '{}', 'failed', 5, ?, ?, ?)",
            (now, now, now),
        )

    await app.ctx.nura.db.write(seed)
    found = await scrape(client)
    logs = await app.ctx.nura.db.fetchall("SELECT source, count(*) AS n FROM conversation_logs GROUP BY source")
    for row in logs:
        assert value(found, "nura_messages_total", source=row["source"], channel="web") == row["n"]
    assert sum(v for (n, _), v in found.items() if n == "nura_messages_total") == 3
    assert value(found, "nura_handoffs_total", reason="explicit_request") == 1
    assert value(found, "nura_queue_depth", status="pending_handoff") == 1
    assert value(found, "nura_queue_depth", status="human_active") == 0
    assert value(found, "nura_job_failures", kind="webhook") == 1
    assert value(found, "nura_llm_calls_total", provider="openai", purpose="answer", outcome="ok") == 1
    assert value(found, "nura_llm_calls_total", provider="openai", purpose="answer", outcome="error") == 1
    assert value(found, "nura_llm_tokens_total", provider="openai", direction="prompt") == 950
    assert value(found, "nura_llm_tokens_total", provider="openai", direction="completion") == 100
    assert value(found, "nura_llm_cost_usd_total", provider="openai") == pytest.approx(0.0002)
    assert value(found, "nura_knowledge_articles") > 0


def test_request_counting_keeps_one_child_per_label_set() -> None:
    """The counter and histogram children are looked up once per (route, method, status); every
    request is still counted under its own labels."""
    metrics = metrics_module.RequestMetrics()
    for status in (200, 200, 200, 404):
        metrics.observe("/v1/message", "POST", status, 0.003)
    counted = metrics.registry.get_sample_value
    assert counted("nura_http_requests_total", {"route": "/v1/message", "method": "POST", "status": "200"}) == 3
    assert counted("nura_http_requests_total", {"route": "/v1/message", "method": "POST", "status": "404"}) == 1
    samples = {s.name: s.value for s in next(iter(metrics.latency.collect())).samples if not s.labels.get("le")}
    assert samples["nura_http_request_duration_seconds_count"] == 4
