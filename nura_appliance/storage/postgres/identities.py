"""The ``session_identities`` rows on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.IdentityStore`)."""

from __future__ import annotations

from typing import Any

from nura_appliance.storage.base import CustomerIdentity
from nura_appliance.storage.postgres.db import PgDatabase

_UPSERT = (
    "INSERT INTO session_identities (session_id, customer_id, verified, name, phone, email, attributes, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (session_id) DO UPDATE SET"
    " customer_id = EXCLUDED.customer_id, verified = EXCLUDED.verified, name = EXCLUDED.name,"
    " phone = EXCLUDED.phone, email = EXCLUDED.email, attributes = EXCLUDED.attributes,"
    " updated_at = EXCLUDED.updated_at"
)


class PgIdentityStore:
    """Session identities on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def save(self, identity: CustomerIdentity) -> None:
        params = identity.row_values()
        await self.db.write(lambda conn: conn.sql(_UPSERT, params))

    async def get(self, session_id: str) -> CustomerIdentity | None:
        row = await self.db.read(
            lambda c: c.sql("SELECT * FROM session_identities WHERE session_id = %s", (session_id,)).fetchone()
        )
        return CustomerIdentity.from_row(row) if row else None

    async def for_sessions(self, session_ids: list[str]) -> dict[str, CustomerIdentity]:
        ids = list(dict.fromkeys(session_ids))
        if not ids:
            return {}
        rows = await self.db.read(
            lambda c: c.sql("SELECT * FROM session_identities WHERE session_id = ANY(%s)", (ids,)).fetchall()
        )
        return {r["session_id"]: CustomerIdentity.from_row(r) for r in rows}

    async def sessions_of(self, customer_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
        return await self.db.read(
            lambda c: c.sql(
                "SELECT s.id AS session_id, s.status, s.channel, s.lang, s.created_at, s.updated_at"
                " FROM session_identities i JOIN sessions s ON s.id = i.session_id"
                " WHERE i.customer_id = %s AND i.verified = 1 ORDER BY s.updated_at DESC LIMIT %s",
                (customer_id, limit),
            ).fetchall()
        )
