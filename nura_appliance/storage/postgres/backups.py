"""``backup_runs`` and ``backup_schedule_state`` on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.BackupStore`). Read-then-write sequences run inside one
``db.write``: the writers' advisory lock makes them atomic across every process, which is what
makes a scheduled slot run once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nura_appliance.errors import Conflict
from nura_appliance.storage.base import BackupRun, RunEnqueue, record_from_row
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase


def _insert(conn: PgConnection, origin: str, slot: float | None, now: float, requested_by: str | None) -> int:
    row = conn.sql(
        "INSERT INTO backup_runs (origin, slot, status, queued_at, requested_by) VALUES (%s, %s, 'queued', %s, %s)"
        " RETURNING id",
        (origin, slot, now, requested_by),
    ).fetchone()
    assert row is not None
    return int(row["id"])


class PgBackupStore:
    """Backup runs on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def tick(
        self, schedule: str, now: float, owed: Callable[[float], float | None], enqueue: RunEnqueue
    ) -> int | None:
        def run(conn: PgConnection) -> int | None:
            state = conn.sql("SELECT schedule, checked_until FROM backup_schedule_state WHERE id = 1").fetchone()
            if state is None or state["schedule"] != schedule:
                # First check of this schedule: nothing is owed for the time before it existed.
                conn.sql(
                    "INSERT INTO backup_schedule_state (id, schedule, since, checked_until) VALUES (1, %s, %s, %s)"
                    " ON CONFLICT (id) DO UPDATE SET schedule = EXCLUDED.schedule, since = EXCLUDED.since,"
                    " checked_until = EXCLUDED.checked_until",
                    (schedule, now, now),
                )
                return None
            checked_until = float(state["checked_until"])
            if now <= checked_until:
                return None  # another process checked this stretch already
            conn.sql("UPDATE backup_schedule_state SET checked_until = %s WHERE id = 1", (now,))
            slot = owed(checked_until)
            if slot is None:
                return None
            run_id = _insert(conn, "schedule", slot, now, None)
            enqueue(conn, run_id)
            return run_id

        return await self.db.write(run)

    async def queue_manual(self, requested_by: str | None, now: float, enqueue: RunEnqueue) -> int:
        def run(conn: PgConnection) -> int:
            busy = conn.sql(
                "SELECT id, status FROM backup_runs WHERE status IN ('queued', 'running') ORDER BY id LIMIT 1"
            ).fetchone()
            if busy is not None:
                raise Conflict(
                    f"backup {busy['id']} is {busy['status']}; wait for it to finish",
                    code="backup_running",
                    details={"run_id": busy["id"], "status": busy["status"]},
                )
            run_id = _insert(conn, "manual", None, now, requested_by)
            enqueue(conn, run_id)
            return run_id

        return await self.db.write(run)

    async def start(self, run_id: int, now: float) -> BackupRun | None:
        row = await self.db.write(
            lambda c: c.sql(
                "UPDATE backup_runs SET status = 'running', started_at = %s"
                " WHERE id = %s AND status IN ('queued', 'running') RETURNING *",
                (now, run_id),
            ).fetchone()
        )
        return record_from_row(BackupRun, row) if row else None

    async def finish(self, run: BackupRun, after: Callable[[Any], None] | None = None) -> None:
        params = (
            run.status,
            run.finished_at,
            run.archive,
            run.bytes,
            run.files,
            run.database,
            run.pruned,
            run.error,
            run.id,
        )

        def write(conn: PgConnection) -> None:
            conn.sql(
                "UPDATE backup_runs SET status = %s, finished_at = %s, archive = %s, bytes = %s, files = %s,"
                " database = %s, pruned = %s, error = %s WHERE id = %s",
                params,
            )
            if after is not None:
                after(conn)

        await self.db.write(write)

    async def _one(self, statement: str, params: Any = None) -> BackupRun | None:
        row = await self.db.read(lambda c: c.sql(statement, params).fetchone())
        return record_from_row(BackupRun, row) if row else None

    async def get(self, run_id: int) -> BackupRun | None:
        return await self._one("SELECT * FROM backup_runs WHERE id = %s", (run_id,))

    async def recent(self, limit: int = 10) -> list[BackupRun]:
        rows = await self.db.read(
            lambda c: c.sql("SELECT * FROM backup_runs ORDER BY id DESC LIMIT %s", (limit,)).fetchall()
        )
        return [record_from_row(BackupRun, r) for r in rows]

    async def last_finished(self, status: str | None = None) -> BackupRun | None:
        # NULLS LAST: SQLite sorts NULL first in ascending order, so last in DESC; PostgreSQL would
        # put NULL first in DESC.
        if status is None:
            return await self._one(
                "SELECT * FROM backup_runs WHERE status IN ('ok', 'failed')"
                " ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1"
            )
        return await self._one(
            "SELECT * FROM backup_runs WHERE status = %s ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1",
            (status,),
        )

    async def schedule_since(self, schedule: str) -> float | None:
        row = await self.db.read(
            lambda c: c.sql("SELECT schedule, since FROM backup_schedule_state WHERE id = 1").fetchone()
        )
        return float(row["since"]) if row and row["schedule"] == schedule else None

    async def clear_schedule(self) -> None:
        await self.db.write(lambda c: c.sql("DELETE FROM backup_schedule_state WHERE id = 1"))
