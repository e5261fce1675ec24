"""The ``session_identities`` rows (:class:`~nura_appliance.storage.base.IdentityStore`).

SQLite's side; ``storage/postgres/identities.py`` is the PostgreSQL twin.
"""

from __future__ import annotations

from typing import Any

from nura_appliance.storage.base import CustomerIdentity
from nura_appliance.storage.sqlite.db import Database

_UPSERT = (
    "INSERT INTO session_identities (session_id, customer_id, verified, name, phone, email, attributes, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET customer_id = excluded.customer_id,"
    " verified = excluded.verified, name = excluded.name, phone = excluded.phone, email = excluded.email,"
    " attributes = excluded.attributes, updated_at = excluded.updated_at"
)


class SqlIdentityStore:
    """Session identities on the app's SQLite ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, identity: CustomerIdentity) -> None:
        params = identity.row_values()
        await self.db.write(lambda conn: conn.execute(_UPSERT, params))

    async def get(self, session_id: str) -> CustomerIdentity | None:
        row = await self.db.fetchone("SELECT * FROM session_identities WHERE session_id = ?", (session_id,))
        return CustomerIdentity.from_row(row) if row else None

    async def for_sessions(self, session_ids: list[str]) -> dict[str, CustomerIdentity]:
        found: dict[str, CustomerIdentity] = {}
        ids = list(dict.fromkeys(session_ids))
        for start in range(0, len(ids), 500):  # stay far below any bound-parameter limit
            chunk = ids[start : start + 500]
            rows = await self.db.fetchall(
                f"SELECT * FROM session_identities WHERE session_id IN ({', '.join('?' for _ in chunk)})",
                tuple(chunk),
            )
            found.update({r["session_id"]: CustomerIdentity.from_row(r) for r in rows})
        return found

    async def sessions_of(self, customer_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
        return await self.db.fetchall(
            "SELECT s.id AS session_id, s.status, s.channel, s.lang, s.created_at, s.updated_at"
            " FROM session_identities i JOIN sessions s ON s.id = i.session_id"
            " WHERE i.customer_id = ? AND i.verified = 1 ORDER BY s.updated_at DESC LIMIT ?",
            (customer_id, limit),
        )
