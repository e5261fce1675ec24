"""Handbook ingestion runs (``ingestion_logs``) on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.IngestionRunStore`): ``RETURNING`` for a new run's id."""

from __future__ import annotations

from typing import Any

from nura_appliance.storage.postgres.db import PgConnection, PgDatabase


class PgIngestionRunStore:
    """Ingestion runs on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def _write(self, statement: str, params: tuple[Any, ...]) -> None:
        def run(conn: PgConnection) -> None:
            conn.sql(statement, params)

        await self.db.write(run)

    async def start(self, source: str, status: str, at: float) -> int:
        def run(conn: PgConnection) -> int:
            rows = conn.sql(
                "INSERT INTO ingestion_logs (source, status, started_at) VALUES (%s, %s, %s) RETURNING id",
                (source, status, at),
            ).fetchall()
            return int(rows[0]["id"])

        return await self.db.write(run)

    async def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        return await self.db.read(
            lambda c: c.sql("SELECT * FROM ingestion_logs ORDER BY id DESC LIMIT %s", (limit,)).fetchall()
        )

    async def run(self, run_id: int) -> dict[str, Any] | None:
        return await self.db.read(
            lambda c: c.sql("SELECT status, detail FROM ingestion_logs WHERE id = %s", (run_id,)).fetchone()
        )

    async def set_running(self, run_id: int, detail: str) -> None:
        await self._write("UPDATE ingestion_logs SET status = 'running', detail = %s WHERE id = %s", (detail, run_id))

    async def quarantine(self, run_id: int, error: str, at: float) -> None:
        await self._write(
            "UPDATE ingestion_logs SET status = 'quarantined', error = %s, finished_at = %s WHERE id = %s",
            (error, at, run_id),
        )

    async def requeue(self, run_id: int) -> None:
        await self._write("UPDATE ingestion_logs SET status = 'queued', detail = NULL WHERE id = %s", (run_id,))

    async def finish(
        self,
        run_id: int,
        *,
        status: str,
        files: int,
        skipped: int,
        chunks: int,
        error: str | None,
        detail: str,
        at: float,
    ) -> None:
        await self._write(
            "UPDATE ingestion_logs SET status = %s, files = %s, skipped = %s, chunks = %s, error = %s,"
            " detail = %s, finished_at = %s WHERE id = %s",
            (status, files, skipped, chunks, error, detail, at, run_id),
        )

    async def uploads(self) -> dict[str, str]:
        # ILIKE: SQLite's LIKE ignores ASCII case
        rows = await self.db.read(
            lambda c: c.sql("SELECT path, source_name FROM handbook_docs WHERE path ILIKE %s", ("upload:%",)).fetchall()
        )
        return {r["path"].removeprefix("upload:"): r["source_name"] for r in rows}
