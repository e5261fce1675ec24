"""What ``GET /v1/metrics`` reads from the database (``ops/metrics.py`` turns the rows into
Prometheus families): one statement per figure, by name. Plain SQL that SQLite and PostgreSQL both
accept as written (no parameters); each backend's :class:`~nura_appliance.storage.base.MetricsStore`
runs them in one snapshot."""

from __future__ import annotations

_LAST_BACKUP = "SELECT * FROM backup_runs WHERE status = '{status}' ORDER BY finished_at DESC, id DESC LIMIT 1"

METRIC_QUERIES: dict[str, str] = {
    "messages": "SELECT coalesce(source, 'none') AS source, coalesce(channel, 'web') AS channel,"
    " count(*) AS n FROM conversation_logs GROUP BY 1, 2",
    "handoffs": "SELECT coalesce(handoff_reason, 'unknown') AS reason, count(*) AS n FROM sessions"
    " WHERE handoff_at IS NOT NULL GROUP BY 1",
    "queue": "SELECT status, count(*) AS n FROM sessions WHERE status IN ('pending_handoff', 'human_active')"
    " GROUP BY status",
    "jobs": "SELECT kind, status, count(*) AS n FROM outbox GROUP BY kind, status",
    "llm": "SELECT provider, purpose, ok, count(*) AS n, sum(prompt_tokens) AS p,"
    " sum(completion_tokens) AS c, sum(cost_usd) AS usd FROM llm_usage_logs GROUP BY provider, purpose, ok",
    "whatsapp": "SELECT status, count(*) AS n FROM whatsapp_outbound GROUP BY status",
    "articles": "SELECT count(*) AS n FROM articles",
    "backup_last_ok": _LAST_BACKUP.format(status="ok"),
    "backup_last_failed": _LAST_BACKUP.format(status="failed"),
    "backup_counts": "SELECT status, count(*) AS n FROM backup_runs WHERE status IN ('ok', 'failed') GROUP BY status",
}
