"""What ``GET /v1/metrics`` reads, on PostgreSQL (see :class:`~nura_appliance.storage.base.MetricsStore`):
the shared statements (``storage/metric_queries.py``) in one snapshot and one round trip."""

from __future__ import annotations

from typing import Any

from nura_appliance.storage.metric_queries import METRIC_QUERIES
from nura_appliance.storage.postgres.db import PgDatabase


class PgMetricsStore:
    """Metric figures on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def figures(self) -> dict[str, list[dict[str, Any]]]:
        statements: list[tuple[str, Any]] = [(statement, None) for statement in METRIC_QUERIES.values()]
        results = await self.db.read(lambda c: c.sql_pipeline(statements, snapshot=True))
        return dict(zip(METRIC_QUERIES, results, strict=True))
