"""Contract of :class:`~nura_appliance.storage.base.MetricsStore` (what ``GET /v1/metrics`` reads):
one mixin, run on SQLite and on a real PostgreSQL (missing PostgreSQL skips locally and fails
under CI=true); the Prometheus families built from its rows are checked too."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import seed_rows
from prometheus_client.core import Metric

from nura_appliance.errors import StorageError
from nura_appliance.ops.metrics import read_database_metrics
from nura_appliance.storage.base import MetricsStore
from nura_appliance.storage.metric_queries import METRIC_QUERIES
from nura_appliance.storage.stores import stores_for


def _samples(families: list[Metric]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for family in families for s in family.samples}


class MetricsStoreContract:
    @pytest.fixture
    def db(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, db: Any) -> MetricsStore:
        return stores_for(db).metrics

    async def test_an_empty_database(self, store: MetricsStore) -> None:
        figures = await store.figures()
        assert set(figures) == set(METRIC_QUERIES)
        assert figures["articles"][0]["n"] == 0 and figures["backup_last_ok"] == [] and figures["jobs"] == []
        samples = _samples(read_database_metrics(figures))
        assert samples[("nura_backup_last_run_ok", ())] == 0
        assert samples[("nura_queue_depth", (("status", "pending_handoff"),))] == 0

    async def test_figures_and_families(self, store: MetricsStore, db: Any) -> None:
        seed_rows(
            db,
            "sessions",
            [
                {"id": f"s{n}", "token_hash": "h", "status": status, "handoff_reason": reason,
                 "handoff_at": 5.0 if reason else None, "created_at": 1.0, "updated_at": 1.0}
                for n, (status, reason) in enumerate((("pending_handoff", "asked"), ("bot", None), ("resolved", None)))
            ],
        )  # fmt: skip
        seed_rows(
            db,
            "conversation_logs",
            [
                {"session_id": "s1", "customer_message": "x", "source": src, "channel": ch, "created_at": 1.0}
                for src, ch in (("article", "web"), ("article", "web"), (None, "telegram"))
            ],
        )
        seed_rows(
            db,
            "outbox",
            [
                {"kind": "mail", "payload": "{}", "status": st, "next_attempt_at": 0.0, "created_at": 1.0,
                 "updated_at": 1.0}
                for st in ("failed", "failed", "done")
            ],
        )  # fmt: skip
        seed_rows(
            db,
            "llm_usage_logs",
            [
                {"provider": "openai", "purpose": "answer", "prompt_tokens": 10, "completion_tokens": 5,
                 "cost_usd": 0.5, "ok": ok, "created_at": 1.0}
                for ok in (1, 1, 0)
            ],
        )  # fmt: skip
        seed_rows(
            db,
            "backup_runs",
            [
                {"origin": "schedule", "status": st, "queued_at": 1.0, "finished_at": at, "bytes": size}
                for st, at, size in (("ok", 10.0, 100), ("ok", 20.0, 200), ("failed", 15.0, None))
            ],
        )
        seed_rows(db, "articles", [{"id": "a1", "updated_at": 1.0}])
        figures = await store.figures()
        assert figures["backup_last_ok"][0]["bytes"] == 200 and figures["backup_last_failed"][0]["finished_at"] == 15.0
        samples = _samples(read_database_metrics(figures))
        assert samples[("nura_messages_total", (("channel", "web"), ("source", "article")))] == 2
        assert samples[("nura_messages_total", (("channel", "telegram"), ("source", "none")))] == 1
        assert samples[("nura_handoffs_total", (("reason", "asked"),))] == 1
        assert samples[("nura_queue_depth", (("status", "pending_handoff"),))] == 1
        assert samples[("nura_jobs", (("kind", "mail"), ("state", "failed")))] == 2
        assert samples[("nura_job_failures", (("kind", "mail"),))] == 2
        assert (
            samples[("nura_llm_calls_total", (("outcome", "ok"), ("provider", "openai"), ("purpose", "answer")))] == 2
        )
        assert samples[("nura_llm_tokens_total", (("direction", "prompt"), ("provider", "openai")))] == 30
        assert samples[("nura_llm_cost_usd_total", (("provider", "openai"),))] == pytest.approx(1.5)
        assert samples[("nura_backup_last_success_bytes", ())] == 200
        assert samples[("nura_backup_last_run_ok", ())] == 1  # the newest run (20.0) succeeded
        assert samples[("nura_backups_total", (("result", "failed"),))] == 1
        assert samples[("nura_knowledge_articles", ())] == 1

    async def test_closed_database_is_a_storage_error(self, store: MetricsStore, db: Any) -> None:
        db.close()
        with pytest.raises(StorageError):
            await store.figures()


class TestSqliteMetricsStore(MetricsStoreContract):
    @pytest.fixture
    def db(self, sqlite_db: Any) -> Any:
        return sqlite_db


@pytest.mark.postgres
class TestPostgresMetricsStore(MetricsStoreContract):
    @pytest.fixture
    def db(self, pg_db: Any) -> Any:
        return pg_db
