"""The outbox's life cycle in SQL: claims, leases, outcomes, the failed list and the webhook
delivery log, on SQLite (``storage/postgres/outbox.py`` is the PostgreSQL twin).

Every claim carries a random ``claim_token``. An outcome (progress, done, retry or failed) is
recorded only for the claim that holds the row, and the handler's own rows that go with it (the
webhook delivery log) are written in the same transaction. That makes an outcome safe to write
again after a database error that left unclear whether the first try committed: the second try
finds the row already carries this claim's outcome and writes nothing twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from nura_appliance.storage.base import DeliveryAttempt, OutboxItem, OutcomeWrite, Recorded, Transaction
from nura_appliance.storage.sqlite.db import Connection, Database, own
from nura_appliance.storage.sqlite.sessions import insert_outbox

_CLAIMABLE = (
    "((status = 'pending' AND next_attempt_at <= :due) OR (status = 'running' AND coalesce(lease_until, 0) < :now)"
    " OR (status = 'running' AND claim_token = :token))"
)


class SqliteOutboxStore:
    """``outbox`` and ``webhook_deliveries`` on a SQLite ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- rows written inside a caller's transaction -----------------------------------------------
    @staticmethod
    def insert_in(conn: Transaction, item: OutboxItem, *, max_attempts: int, dispatched: bool = False) -> int:
        conn = own(conn)
        row_id = insert_outbox(conn, item, max_attempts=max_attempts)
        if dispatched:
            SqliteOutboxStore.mark_dispatched(conn, row_id)
        return row_id

    # -- claims and leases -------------------------------------------------------------------------
    async def claim(self, row_ids: Sequence[int], token: str, lease_seconds: float) -> list[dict[str, Any]]:
        """Claim the claimable rows of ``row_ids`` for ``token`` (running, one more attempt, a lease).

        Claiming again with the same token returns the rows this token holds without counting
        another attempt, so a claim whose commit was not seen can simply be retried."""
        now = time.time()
        marks = ", ".join(f":id{n}" for n in range(len(row_ids)))
        params: dict[str, Any] = {f"id{n}": row_id for n, row_id in enumerate(row_ids)}
        params.update(now=now, due=now + 0.001, token=token, lease=now + lease_seconds)

        def run(conn: Connection) -> list[dict[str, Any]]:
            return conn.execute(
                "UPDATE outbox SET status = 'running', lease_until = :lease, updated_at = :now,"
                " attempts = CASE WHEN status = 'running' AND claim_token = :token THEN attempts ELSE attempts + 1 END,"
                f" claim_token = :token WHERE id IN ({marks}) AND {_CLAIMABLE} RETURNING *",
                params,
            ).fetchall()

        return await self.db.write(run)

    def extend_leases(self, row_ids: Sequence[int], until: float) -> None:
        """Keep the leases of rows this process is running (the sweeper's heartbeat)."""
        marks = ", ".join("?" for _ in row_ids)
        self.db.write_sync(
            lambda c: c.execute(
                f"UPDATE outbox SET lease_until = ? WHERE status = 'running' AND id IN ({marks})", (until, *row_ids)
            )
        )

    def pick_due(self, now: float, stale_before: float, lease_seconds: float, limit: int = 500) -> list[int]:
        """Mark and return rows to hand to the queue: pending rows that are due and were not handed
        over since ``stale_before``, and running rows whose lease expired (their worker died)."""
        return self.db.write_sync(
            lambda c: [
                r["id"]
                for r in c.execute(
                    "UPDATE outbox SET dispatched_at = :now WHERE id IN (SELECT id FROM outbox WHERE"
                    " (status = 'pending' AND next_attempt_at <= :now AND coalesce(dispatched_at, 0) < :stale)"
                    " OR (status = 'running' AND coalesce(lease_until, 0) < :now"
                    "     AND coalesce(dispatched_at, 0) < :now - :lease)"
                    " ORDER BY id LIMIT :limit) RETURNING id",
                    {"now": now, "stale": stale_before, "lease": lease_seconds, "limit": limit},
                )
            ]
        )

    async def due_ids(self, now: float, limit: int = 100) -> list[int]:
        """Rows that may be claimed now (for running jobs without a consumer)."""
        rows = await self.db.fetchall(
            "SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= ?)"
            " OR (status = 'running' AND coalesce(lease_until, 0) < ?) ORDER BY id LIMIT ?",
            (now, now, limit),
        )
        return [r["id"] for r in rows]

    @staticmethod
    def mark_dispatched(conn: Connection, row_id: int) -> None:
        conn.execute("UPDATE outbox SET dispatched_at = ? WHERE id = ?", (time.time(), row_id))

    # -- outcomes ----------------------------------------------------------------------------------
    async def _record(
        self, row_id: int, token: str, assignments: str, params: dict[str, Any], writes: Sequence[OutcomeWrite]
    ) -> Recorded:
        def run(conn: Connection) -> Recorded:
            conn.execute(
                f"UPDATE outbox SET {assignments} WHERE id = :row_id AND claim_token = :token AND status = 'running'",
                {**params, "row_id": row_id, "token": token},
            )
            if conn.changes():
                outcome: Recorded = "recorded"
            else:
                held = conn.execute("SELECT claim_token FROM outbox WHERE id = ?", (row_id,)).fetchall()
                outcome = "already" if held and held[0]["claim_token"] == token else "lost"
            if outcome != "already":
                for write in writes:
                    write(conn)
            return outcome

        return await self.db.write(run)

    async def progress(
        self, row_id: int, token: str, handlers_done: list[str], writes: Sequence[OutcomeWrite]
    ) -> Recorded:
        """Remember which handlers of a row succeeded (a retry skips them)."""
        return await self._record(row_id, token, "handlers_done = :done", {"done": json.dumps(handlers_done)}, writes)

    async def finish(self, row_id: int, token: str, writes: Sequence[OutcomeWrite]) -> Recorded:
        now = time.time()
        return await self._record(
            row_id,
            token,
            "status = 'done', done_at = :now, updated_at = :now, lease_until = NULL, last_error = NULL",
            {"now": now},
            writes,
        )

    async def fail(
        self,
        row_id: int,
        token: str,
        error: str,
        max_attempts: int,
        retry_at: float | None,
        writes: Sequence[OutcomeWrite],
    ) -> Recorded:
        """A failed attempt: back to pending until ``retry_at``, or ``failed`` when None. The lease
        is released either way."""
        now = time.time()
        params = {"error": error, "now": now, "max": max_attempts, "retry_at": retry_at}
        if retry_at is None:
            assignments = (
                "status = 'failed', last_error = :error, updated_at = :now, lease_until = NULL, max_attempts = :max"
            )
        else:
            assignments = (
                "status = 'pending', last_error = :error, updated_at = :now, lease_until = NULL,"
                " next_attempt_at = :retry_at, dispatched_at = :now, max_attempts = :max"
            )
        return await self._record(row_id, token, assignments, params, writes)

    # -- the failed list ---------------------------------------------------------------------------
    async def failed(self, limit: int, offset: int) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            total = conn.execute("SELECT count(*) AS n FROM outbox WHERE status = 'failed'").fetchall()[0]["n"]
            rows = conn.execute(
                "SELECT id, kind, payload, attempts, max_attempts, last_error, created_at, updated_at FROM outbox"
                " WHERE status = 'failed' ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            return {"jobs": [{**r, "payload": json.loads(r["payload"])} for r in rows], "total": total}

        return await self.db.read(run)

    async def retry(self, row_id: int, max_attempts: int) -> dict[str, Any] | None:
        """Put a failed row back to pending with fresh attempts; the row as it was (id, kind,
        status), or None when there is no such row. Only a ``failed`` row changes."""
        now = time.time()

        def run(conn: Connection) -> dict[str, Any] | None:
            rows = conn.execute("SELECT id, kind, status FROM outbox WHERE id = ?", (row_id,)).fetchall()
            if not rows:
                return None
            if rows[0]["status"] == "failed":
                conn.execute(
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?,"
                    " dispatched_at = ?, lease_until = NULL, max_attempts = ? WHERE id = ?",
                    (now, now, now, max_attempts, row_id),
                )
            return rows[0]

        return await self.db.write(run)

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    async def purge_done(self, before: float, limit: int) -> int:
        def run(conn: Connection) -> int:
            conn.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 'done' AND done_at < ? LIMIT ?)",
                (before, limit),
            )
            return int(conn.changes())

        return await self.db.write(run)

    # -- the webhook delivery log ------------------------------------------------------------------
    @staticmethod
    def delivery_write(attempt: DeliveryAttempt) -> OutcomeWrite:
        """The write that adds ``attempt`` to ``webhook_deliveries`` (run inside a transaction:
        the job's outcome, or :meth:`log_deliveries`)."""

        def insert(conn: Transaction) -> None:
            own(conn).execute(
                "INSERT INTO webhook_deliveries (delivery_id, url, event, attempt, status_code, ok, error,"
                " duration_ms, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    attempt.delivery_id,
                    attempt.url,
                    attempt.event,
                    attempt.attempt,
                    attempt.status_code,
                    int(attempt.ok),
                    attempt.error,
                    attempt.duration_ms,
                    attempt.created_at,
                ),
            )

        return insert

    async def log_deliveries(self, attempts: Sequence[DeliveryAttempt]) -> None:
        """Write delivery attempts on their own (webhooks sent outside a job)."""
        writes = [self.delivery_write(a) for a in attempts]

        def run(conn: Connection) -> None:
            for write in writes:
                write(conn)

        await self.db.write(run)
