"""The outbox's life cycle on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.OutboxStore` and ``storage/sqlite/outbox.py`` for the
claim-token rules, which are the same). Every write runs on the one serialised writer
(``PgDatabase``), so a read-then-update inside one write sees no other writer in between."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from nura_appliance.storage.base import DeliveryAttempt, OutboxItem, OutcomeWrite, Recorded, Transaction
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase, own

_CLAIMABLE = (
    "((status = 'pending' AND next_attempt_at <= %(due)s)"
    " OR (status = 'running' AND coalesce(lease_until, 0) < %(now)s)"
    " OR (status = 'running' AND claim_token = %(token)s))"
)
_DELIVERY = (
    "INSERT INTO webhook_deliveries (delivery_id, url, event, attempt, status_code, ok, error, duration_ms,"
    " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def _delivery_params(attempt: DeliveryAttempt) -> tuple[Any, ...]:
    return (
        attempt.delivery_id,
        attempt.url,
        attempt.event,
        attempt.attempt,
        attempt.status_code,
        int(attempt.ok),
        attempt.error,
        attempt.duration_ms,
        attempt.created_at,
    )


class PgOutboxStore:
    """``outbox`` and ``webhook_deliveries`` on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    # -- rows written inside a caller's transaction -----------------------------------------------
    @staticmethod
    def insert_in(conn: Transaction, item: OutboxItem, *, max_attempts: int, dispatched: bool = False) -> int:
        conn = own(conn)
        now = time.time()
        row = conn.sql(
            "INSERT INTO outbox (kind, payload, status, attempts, max_attempts, next_attempt_at, created_at,"
            " updated_at, dispatched_at) VALUES (%s, %s, 'pending', 0, %s, %s, %s, %s, %s) RETURNING id",
            (
                item.kind,
                json.dumps(item.payload, ensure_ascii=False),
                max_attempts,
                now,
                now,
                now,
                now if dispatched else None,
            ),
        ).fetchone()
        assert row is not None
        return int(row["id"])

    # -- claims and leases -------------------------------------------------------------------------
    async def claim(self, row_ids: Sequence[int], token: str, lease_seconds: float) -> list[dict[str, Any]]:
        now = time.time()
        params = {
            "ids": [int(i) for i in row_ids],
            "now": now,
            "due": now + 0.001,
            "token": token,
            "lease": now + lease_seconds,
        }

        def run(conn: PgConnection) -> list[dict[str, Any]]:
            return conn.sql(
                "UPDATE outbox SET status = 'running', lease_until = %(lease)s, updated_at = %(now)s,"
                " attempts = CASE WHEN status = 'running' AND claim_token = %(token)s THEN attempts"
                " ELSE attempts + 1 END, claim_token = %(token)s"
                f" WHERE id = ANY(%(ids)s) AND {_CLAIMABLE} RETURNING *",
                params,
            ).fetchall()

        return await self.db.write(run)

    def extend_leases(self, row_ids: Sequence[int], until: float) -> None:
        ids = [int(i) for i in row_ids]
        self.db.write_sync(
            lambda c: c.sql(
                "UPDATE outbox SET lease_until = %s WHERE status = 'running' AND id = ANY(%s)", (until, ids)
            )
        )

    def pick_due(self, now: float, stale_before: float, lease_seconds: float, limit: int = 500) -> list[int]:
        params = {"now": now, "stale": stale_before, "redispatch": now - lease_seconds, "limit": limit}
        rows = self.db.write_sync(
            lambda c: c.sql(
                "UPDATE outbox SET dispatched_at = %(now)s WHERE id IN (SELECT id FROM outbox WHERE"
                " (status = 'pending' AND next_attempt_at <= %(now)s AND coalesce(dispatched_at, 0) < %(stale)s)"
                " OR (status = 'running' AND coalesce(lease_until, 0) < %(now)s"
                " AND coalesce(dispatched_at, 0) < %(redispatch)s)"
                " ORDER BY id LIMIT %(limit)s) RETURNING id",
                params,
            ).fetchall()
        )
        return sorted(int(r["id"]) for r in rows)

    async def due_ids(self, now: float, limit: int = 100) -> list[int]:
        rows = await self.db.read(
            lambda c: c.sql(
                "SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= %s)"
                " OR (status = 'running' AND coalesce(lease_until, 0) < %s) ORDER BY id LIMIT %s",
                (now, now, limit),
            ).fetchall()
        )
        return [int(r["id"]) for r in rows]

    # -- outcomes ----------------------------------------------------------------------------------
    async def _record(
        self, row_id: int, token: str, assignments: str, params: dict[str, Any], writes: Sequence[OutcomeWrite]
    ) -> Recorded:
        def run(conn: PgConnection) -> Recorded:
            conn.sql(
                f"UPDATE outbox SET {assignments}"
                " WHERE id = %(row_id)s AND claim_token = %(token)s AND status = 'running'",
                {**params, "row_id": row_id, "token": token},
            )
            if conn.changes():
                outcome: Recorded = "recorded"
            else:
                held = conn.sql("SELECT claim_token FROM outbox WHERE id = %s", (row_id,)).fetchone()
                outcome = "already" if held and held["claim_token"] == token else "lost"
            if outcome != "already":
                for write in writes:
                    write(conn)
            return outcome

        return await self.db.write(run)

    async def progress(
        self, row_id: int, token: str, handlers_done: list[str], writes: Sequence[OutcomeWrite]
    ) -> Recorded:
        return await self._record(
            row_id, token, "handlers_done = %(done)s", {"done": json.dumps(handlers_done)}, writes
        )

    async def finish(self, row_id: int, token: str, writes: Sequence[OutcomeWrite]) -> Recorded:
        return await self._record(
            row_id,
            token,
            "status = 'done', done_at = %(now)s, updated_at = %(now)s, lease_until = NULL, last_error = NULL",
            {"now": time.time()},
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
        params = {"error": error, "now": time.time(), "max": max_attempts, "retry_at": retry_at}
        if retry_at is None:
            assignments = (
                "status = 'failed', last_error = %(error)s, updated_at = %(now)s, lease_until = NULL,"
                " max_attempts = %(max)s"
            )
        else:
            assignments = (
                "status = 'pending', last_error = %(error)s, updated_at = %(now)s, lease_until = NULL,"
                " next_attempt_at = %(retry_at)s, dispatched_at = %(now)s, max_attempts = %(max)s"
            )
        return await self._record(row_id, token, assignments, params, writes)

    # -- the failed list ---------------------------------------------------------------------------
    async def failed(self, limit: int, offset: int) -> dict[str, Any]:
        def run(conn: PgConnection) -> dict[str, Any]:
            total, rows = conn.sql_pipeline(
                [
                    ("SELECT count(*) AS n FROM outbox WHERE status = 'failed'", None),
                    (
                        "SELECT id, kind, payload, attempts, max_attempts, last_error, created_at, updated_at"
                        " FROM outbox WHERE status = 'failed' ORDER BY updated_at DESC, id DESC LIMIT %s OFFSET %s",
                        (limit, offset),
                    ),
                ],
                snapshot=True,
            )
            return {"jobs": [{**r, "payload": json.loads(r["payload"])} for r in rows], "total": total[0]["n"]}

        return await self.db.read(run)

    async def retry(self, row_id: int, max_attempts: int) -> dict[str, Any] | None:
        now = time.time()

        def run(conn: PgConnection) -> dict[str, Any] | None:
            row = conn.sql("SELECT id, kind, status FROM outbox WHERE id = %s", (row_id,)).fetchone()
            if row is None:
                return None
            if row["status"] == "failed":
                conn.sql(
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = %s, updated_at = %s,"
                    " dispatched_at = %s, lease_until = NULL, max_attempts = %s WHERE id = %s",
                    (now, now, now, max_attempts, row_id),
                )
            return row

        return await self.db.write(run)

    async def counts(self) -> dict[str, int]:
        rows = await self.db.read(
            lambda c: c.sql("SELECT status, count(*) AS n FROM outbox GROUP BY status").fetchall()
        )
        return {r["status"]: int(r["n"]) for r in rows}

    async def purge_done(self, before: float, limit: int) -> int:
        return await self.db.write(
            lambda c: (
                c.sql(
                    "DELETE FROM outbox WHERE id IN"
                    " (SELECT id FROM outbox WHERE status = 'done' AND done_at < %s LIMIT %s)",
                    (before, limit),
                ),
                c.changes(),
            )[1]
        )

    # -- the webhook delivery log ------------------------------------------------------------------
    @staticmethod
    def delivery_write(attempt: DeliveryAttempt) -> OutcomeWrite:
        params = _delivery_params(attempt)

        def insert(conn: Transaction) -> None:
            own(conn).sql(_DELIVERY, params)

        return insert

    async def log_deliveries(self, attempts: Sequence[DeliveryAttempt]) -> None:
        rows = [_delivery_params(a) for a in attempts]
        if rows:
            await self.db.write(lambda c: c.sql_many(_DELIVERY, rows))
