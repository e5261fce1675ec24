"""Handbook ingestion runs (``ingestion_logs``) on SQLite
(:class:`~nura_appliance.storage.base.IngestionRunStore`); ``storage/postgres/ingestion_runs.py`` is
the PostgreSQL twin."""

from __future__ import annotations

from typing import Any

from nura_appliance.storage.sqlite.db import Connection, Database


class SqliteIngestionRunStore:
    """Ingestion runs on the app's SQLite ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def start(self, source: str, status: str, at: float) -> int:
        def run(conn: Connection) -> int:
            conn.execute(
                "INSERT INTO ingestion_logs (source, status, started_at) VALUES (?, ?, ?)", (source, status, at)
            )
            return int(conn.last_insert_rowid())

        return await self.db.write(run)

    async def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        return await self.db.fetchall("SELECT * FROM ingestion_logs ORDER BY id DESC LIMIT ?", (limit,))

    async def run(self, run_id: int) -> dict[str, Any] | None:
        return await self.db.fetchone("SELECT status, detail FROM ingestion_logs WHERE id = ?", (run_id,))

    async def set_running(self, run_id: int, detail: str) -> None:
        await self.db.execute("UPDATE ingestion_logs SET status = 'running', detail = ? WHERE id = ?", (detail, run_id))

    async def quarantine(self, run_id: int, error: str, at: float) -> None:
        await self.db.execute(
            "UPDATE ingestion_logs SET status = 'quarantined', error = ?, finished_at = ? WHERE id = ?",
            (error, at, run_id),
        )

    async def requeue(self, run_id: int) -> None:
        await self.db.execute("UPDATE ingestion_logs SET status = 'queued', detail = NULL WHERE id = ?", (run_id,))

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
        await self.db.execute(
            "UPDATE ingestion_logs SET status = ?, files = ?, skipped = ?, chunks = ?, error = ?,"
            " detail = ?, finished_at = ? WHERE id = ?",
            (status, files, skipped, chunks, error, detail, at, run_id),
        )

    async def uploads(self) -> dict[str, str]:
        rows = await self.db.fetchall("SELECT path, source_name FROM handbook_docs WHERE path LIKE 'upload:%'")
        return {r["path"].removeprefix("upload:"): r["source_name"] for r in rows}
