"""``backup_runs`` and ``backup_schedule_state`` (:class:`~nura_appliance.storage.base.BackupStore`).

SQLite's side (``storage/postgres/backups.py`` is the PostgreSQL twin). Read-then-write sequences
run inside one ``db.write``: the single writer makes them atomic, which is what makes a scheduled
slot run once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nura_appliance.errors import Conflict
from nura_appliance.storage.base import BackupRun, RunEnqueue, record_from_row
from nura_appliance.storage.sqlite.db import Connection, Database

_ACTIVE = ("queued", "running")
_LAST = "SELECT * FROM backup_runs WHERE status = ? ORDER BY finished_at DESC, id DESC LIMIT 1"


class SqlBackupStore:
    """Backup runs on the app's SQLite ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def _insert(conn: Connection, origin: str, slot: float | None, now: float, requested_by: str | None) -> int:
        rows = conn.execute(
            "INSERT INTO backup_runs (origin, slot, status, queued_at, requested_by) VALUES (?, ?, 'queued', ?, ?)"
            " RETURNING id",
            (origin, slot, now, requested_by),
        ).fetchall()
        return int(rows[0]["id"])

    async def tick(
        self, schedule: str, now: float, owed: Callable[[float], float | None], enqueue: RunEnqueue
    ) -> int | None:
        def run(conn: Connection) -> int | None:
            rows = conn.execute("SELECT schedule, checked_until FROM backup_schedule_state WHERE id = 1").fetchall()
            if not rows or rows[0]["schedule"] != schedule:
                # First check of this schedule: nothing is owed for the time before it existed.
                conn.execute("DELETE FROM backup_schedule_state WHERE id = 1")
                conn.execute(
                    "INSERT INTO backup_schedule_state (id, schedule, since, checked_until) VALUES (1, ?, ?, ?)",
                    (schedule, now, now),
                )
                return None
            checked_until = float(rows[0]["checked_until"])
            if now <= checked_until:
                return None  # another process checked this stretch already
            conn.execute("UPDATE backup_schedule_state SET checked_until = ? WHERE id = 1", (now,))
            slot = owed(checked_until)
            if slot is None:
                return None
            run_id = self._insert(conn, "schedule", slot, now, None)
            enqueue(conn, run_id)
            return run_id

        return await self.db.write(run)

    async def queue_manual(self, requested_by: str | None, now: float, enqueue: RunEnqueue) -> int:
        def run(conn: Connection) -> int:
            busy = conn.execute(
                "SELECT id, status FROM backup_runs WHERE status IN (?, ?) ORDER BY id LIMIT 1", _ACTIVE
            ).fetchall()
            if busy:
                raise Conflict(
                    f"backup {busy[0]['id']} is {busy[0]['status']}; wait for it to finish",
                    code="backup_running",
                    details={"run_id": busy[0]["id"], "status": busy[0]["status"]},
                )
            run_id = self._insert(conn, "manual", None, now, requested_by)
            enqueue(conn, run_id)
            return run_id

        return await self.db.write(run)

    async def start(self, run_id: int, now: float) -> BackupRun | None:
        def run(conn: Connection) -> BackupRun | None:
            rows = conn.execute(
                "UPDATE backup_runs SET status = 'running', started_at = ? WHERE id = ? AND status IN (?, ?)"
                " RETURNING *",
                (now, run_id, *_ACTIVE),
            ).fetchall()
            return record_from_row(BackupRun, rows[0]) if rows else None

        return await self.db.write(run)

    async def finish(self, run: BackupRun, after: Callable[[Any], None] | None = None) -> None:
        def write(conn: Connection) -> None:
            conn.execute(
                "UPDATE backup_runs SET status = ?, finished_at = ?, archive = ?, bytes = ?, files = ?, database = ?,"
                " pruned = ?, error = ? WHERE id = ?",
                (
                    run.status,
                    run.finished_at,
                    run.archive,
                    run.bytes,
                    run.files,
                    run.database,
                    run.pruned,
                    run.error,
                    run.id,
                ),
            )
            if after is not None:
                after(conn)

        await self.db.write(write)

    async def get(self, run_id: int) -> BackupRun | None:
        row = await self.db.fetchone("SELECT * FROM backup_runs WHERE id = ?", (run_id,))
        return record_from_row(BackupRun, row) if row else None

    async def recent(self, limit: int = 10) -> list[BackupRun]:
        rows = await self.db.fetchall("SELECT * FROM backup_runs ORDER BY id DESC LIMIT ?", (limit,))
        return [record_from_row(BackupRun, r) for r in rows]

    async def last_finished(self, status: str | None = None) -> BackupRun | None:
        if status is None:
            row = await self.db.fetchone(
                "SELECT * FROM backup_runs WHERE status IN ('ok', 'failed') ORDER BY finished_at DESC, id DESC LIMIT 1"
            )
        else:
            row = await self.db.fetchone(_LAST, (status,))
        return record_from_row(BackupRun, row) if row else None

    async def schedule_since(self, schedule: str) -> float | None:
        row = await self.db.fetchone("SELECT schedule, since FROM backup_schedule_state WHERE id = 1")
        return float(row["since"]) if row and row["schedule"] == schedule else None

    async def clear_schedule(self) -> None:
        await self.db.execute("DELETE FROM backup_schedule_state WHERE id = 1")
