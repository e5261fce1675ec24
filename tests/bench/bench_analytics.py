"""Dashboard and reports latency at 10k and 1M logged messages: daily aggregates vs raw rows.

Synthetic history over 30 days (messages, sessions, insights, feedback, gaps, outcomes, LLM
usage, widget events), generated inside SQLite. For each size: raw-only reads, one aggregate
refresh, then aggregate reads (past days from ``analytics_daily``, today raw). Prints medians and
the raw/aggregate ratio measured in the same run, and checks both give identical figures.

Run: ``.venv/bin/python tests/bench/bench_analytics.py [--sizes 10000,1000000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common import save  # noqa: E402

from nura_appliance.analytics.service import parse_query  # noqa: E402
from nura_appliance.context import build_context  # noqa: E402
from nura_appliance.settings import load_settings  # noqa: E402

DAYS = 30


def populate(conn: Any, messages: int, now: float) -> None:
    """``messages`` conversation_logs rows spread evenly over DAYS days, plus the other sources
    in proportion (a session per 4 messages, an insight per message, …)."""
    span = DAYS * 86400.0
    start = now - span + 60
    conn.execute(f"""
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {messages // 4 - 1})
        INSERT INTO sessions (id, token_hash, customer_id, channel, lang, status, handoff_reason, handoff_at,
                              message_count, rating, created_at, updated_at)
        SELECT 's' || i, 'x', 'c' || (i % 5000), CASE i % 3 WHEN 0 THEN 'telegram' ELSE 'web' END,
               CASE i % 3 WHEN 0 THEN 'ar' WHEN 1 THEN 'ku' ELSE 'en' END, 'bot',
               CASE WHEN i % 7 = 0 THEN 'explicit_request' END,
               CASE WHEN i % 7 = 0 THEN {start} + i * {span} / {messages // 4} END,
               4, CASE WHEN i % 5 = 0 THEN 1 + i % 5 END,
               {start} + i * {span} / {messages // 4}, {start} + i * {span} / {messages // 4} FROM n""")
    conn.execute(f"""
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {messages - 1})
        INSERT INTO conversation_logs (session_id, customer_id, channel, lang, customer_message, response, source,
                                       confidence, escalated, customer_turn_id, bot_turn_id, latency_ms, created_at)
        SELECT 's' || (i / 4), 'c', CASE (i / 4) % 3 WHEN 0 THEN 'telegram' ELSE 'web' END,
               CASE (i / 4) % 3 WHEN 0 THEN 'ar' WHEN 1 THEN 'ku' ELSE 'en' END, 'question ' || (i % 300), 'answer',
               CASE i % 5 WHEN 0 THEN 'fallback' WHEN 1 THEN 'rag' WHEN 2 THEN 'rules' ELSE 'article' END,
               (i % 100) / 100.0, (i % 29 = 0), 2 * i, 2 * i + 1, 20 + i % 50, {start} + i * {span} / {messages}
        FROM n""")
    conn.execute("""
        INSERT INTO message_insights (session_id, message_id, intent, sentiment, confidence_bucket, knowledge_gap,
                                      classifier, lang, created_at)
        SELECT session_id, customer_turn_id, CASE id % 4 WHEN 0 THEN 'billing' WHEN 1 THEN 'internet'
               WHEN 2 THEN 'sim' ELSE 'out_of_scope' END, 'neutral',
               CASE WHEN confidence >= 0.75 THEN 'high' WHEN confidence >= 0.5 THEN 'medium' ELSE 'low' END,
               source = 'fallback', 'local', lang, created_at + 1 FROM conversation_logs""")
    conn.execute("""
        INSERT INTO message_feedback (session_id, message_id, value, created_at)
        SELECT session_id, bot_turn_id, CASE id % 3 WHEN 0 THEN 'down' ELSE 'up' END, created_at + 2
        FROM conversation_logs WHERE id % 10 = 0""")
    conn.execute("""
        INSERT INTO knowledge_gaps (question, normalized, lang, reason, session_id, message_id, group_key, created_at)
        SELECT customer_message, customer_message, lang, 'out_of_scope', session_id, customer_turn_id,
               'g' || (id % 300), created_at + 3 FROM conversation_logs WHERE source = 'fallback' AND id % 20 = 0""")
    conn.execute("""
        INSERT INTO session_outcomes (session_id, status, issue_category, root_cause, resolved_by, handoff_reason,
                                      handoff_at, resolved_at, time_to_accept_s, time_to_resolve_s, channel, lang,
                                      created_at)
        SELECT id, CASE rowid % 3 WHEN 0 THEN 'unsolved' ELSE 'solved' END, 'billing', 'apn', 'agent' || (rowid % 4),
               handoff_reason, handoff_at, handoff_at + 600, 30 + rowid % 60, 600, channel, lang, handoff_at + 600
        FROM sessions WHERE handoff_at IS NOT NULL""")
    conn.execute("""
        INSERT INTO llm_usage_logs (session_id, provider, model, purpose, prompt_tokens, completion_tokens,
                                    total_tokens, cost_usd, created_at)
        SELECT session_id, 'openai', 'gpt-4o-mini', 'answer', 400, 80, 480, 0.00011, created_at
        FROM conversation_logs WHERE source = 'rag'""")
    conn.execute("""
        INSERT INTO widget_events (session_id, event_type, channel, lang, created_at)
        SELECT id, 'open', channel, lang, created_at FROM sessions""")


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def run_size(messages: int, repeat: int) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="nura-bench-analytics-"))
    settings = load_settings(overrides={"APP_ENV": "test", "LOAD_DEFAULT_KNOWLEDGE": False}, data_dir=data, environ={})
    ctx = build_context(settings)
    loop = asyncio.new_event_loop()
    try:
        from nura_appliance.analytics.service import AnalyticsService

        service = AnalyticsService(ctx)
        now = time.time()
        started = time.perf_counter()
        ctx.db.write_sync(lambda c: populate(c, messages, now))
        populate_s = time.perf_counter() - started
        query = parse_query({"days": str(DAYS)})

        def both(use: bool) -> tuple[dict[str, Any], dict[str, Any]]:
            dash = loop.run_until_complete(service.dashboard(query, use_aggregates=use, now=now))
            rep = loop.run_until_complete(service.reports(query, use_aggregates=use, now=now))
            return dash, rep

        raw_dash_ms, _ = timed(
            lambda: loop.run_until_complete(service.dashboard(query, use_aggregates=False, now=now)), repeat
        )
        raw_rep_ms, _ = timed(
            lambda: loop.run_until_complete(service.reports(query, use_aggregates=False, now=now)), repeat
        )
        started = time.perf_counter()
        refreshed = loop.run_until_complete(service.refresh(now=now))
        refresh_s = time.perf_counter() - started
        agg_dash_ms, _ = timed(lambda: loop.run_until_complete(service.dashboard(query, now=now)), repeat)
        agg_rep_ms, _ = timed(lambda: loop.run_until_complete(service.reports(query, now=now)), repeat)
        raw_views, agg_views = both(False), both(True)
        for raw_view, agg_view in zip(raw_views, agg_views, strict=True):
            raw_view.pop("read")
            read = agg_view.pop("read")
            assert raw_view == agg_view, "aggregate and raw reports differ"
        assert read["aggregated_days"] >= DAYS - 1
        return {
            "messages": messages,
            "populate_s": round(populate_s, 2),
            "refresh_s": round(refresh_s, 2),
            "refreshed_days": len(refreshed["days"]),
            "dashboard_raw_ms": round(raw_dash_ms, 1),
            "dashboard_aggregate_ms": round(agg_dash_ms, 1),
            "dashboard_speedup": round(raw_dash_ms / agg_dash_ms, 1),
            "reports_raw_ms": round(raw_rep_ms, 1),
            "reports_aggregate_ms": round(agg_rep_ms, 1),
            "reports_speedup": round(raw_rep_ms / agg_rep_ms, 1),
            "identical": True,
        }
    finally:
        loop.close()
        ctx.close()
        shutil.rmtree(data, ignore_errors=True)


def main(sizes: tuple[int, ...] = (10_000, 1_000_000), repeat: int = 5) -> dict[str, Any]:
    results = []
    for size in sizes:
        result = run_size(size, repeat)
        results.append(result)
        print(
            f"{size:>9} messages: dashboard raw {result['dashboard_raw_ms']} ms vs aggregate"
            f" {result['dashboard_aggregate_ms']} ms ({result['dashboard_speedup']}x); reports raw"
            f" {result['reports_raw_ms']} ms vs aggregate {result['reports_aggregate_ms']} ms"
            f" ({result['reports_speedup']}x); refresh {result['refresh_s']} s for {result['refreshed_days']} days;"
            f" identical figures",
            flush=True,
        )
    data = {"days": DAYS, "repeat": repeat, "results": results}
    save("bench_analytics", data)
    return data


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    main(tuple(int(s) for s in args.sizes.split(",")), args.repeat)
