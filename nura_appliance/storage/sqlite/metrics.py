"""What ``GET /v1/metrics`` reads, on SQLite (:class:`~nura_appliance.storage.base.MetricsStore`);
``storage/postgres/metrics.py`` is the PostgreSQL twin. The statements are shared
(``storage/metric_queries.py``)."""

from __future__ import annotations

from typing import Any

import apsw

from nura_appliance.storage.metric_queries import METRIC_QUERIES
from nura_appliance.storage.sqlite.db import Connection, Database


class SqliteMetricsStore:
    """Metric figures on the app's SQLite ``Database`` (one reader transaction)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def figures(self) -> dict[str, list[dict[str, Any]]]:
        def run(conn: Connection) -> dict[str, list[dict[str, Any]]]:
            out: dict[str, list[dict[str, Any]]] = {}
            with conn:  # one snapshot for every figure
                for name, statement in METRIC_QUERIES.items():
                    try:
                        out[name] = list(conn.execute(statement))
                    except apsw.SQLError:  # a table another feature adds is not there in this install
                        out[name] = []
            return out

        return await self.db.read(run)
