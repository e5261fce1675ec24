"""The ``attachments`` rows (:class:`~nura_appliance.storage.base.AttachmentStore`).

SQLite's side; ``storage/postgres/attachments.py`` is the PostgreSQL twin.
"""

from __future__ import annotations

from nura_appliance.storage.base import AttachmentRecord, Transaction, record_columns, record_from_row
from nura_appliance.storage.sqlite.db import Connection, Database, own

_COLUMNS = record_columns(AttachmentRecord)
_INSERT = f"INSERT INTO attachments ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"


class SqlAttachmentStore:
    """Attachment rows on the app's SQLite ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def insert_in(self, conn: Transaction, records: list[AttachmentRecord], turn_id: int | None) -> None:
        conn = own(conn)
        for record in records:
            record.turn_id = turn_id
            conn.execute(_INSERT, tuple(getattr(record, name) for name in _COLUMNS))

    async def get(self, session_id: str, attachment_id: str) -> AttachmentRecord | None:
        row = await self.db.fetchone(
            "SELECT * FROM attachments WHERE id = ? AND session_id = ?", (attachment_id, session_id)
        )
        return record_from_row(AttachmentRecord, row) if row else None

    async def for_session(self, session_id: str) -> list[AttachmentRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM attachments WHERE session_id = ? ORDER BY created_at, id", (session_id,)
        )
        return [record_from_row(AttachmentRecord, r) for r in rows]

    async def stored_names(self) -> set[str]:
        return {r["stored_name"] for r in await self.db.fetchall("SELECT stored_name FROM attachments")}

    async def delete_older(self, cutoff: float, *, limit: int = 2000) -> list[str]:
        def run(conn: Connection) -> list[str]:
            rows = conn.execute(
                "DELETE FROM attachments WHERE id IN (SELECT id FROM attachments WHERE created_at < ?"
                " ORDER BY created_at LIMIT ?) RETURNING stored_name",
                (cutoff, limit),
            ).fetchall()
            return [r["stored_name"] for r in rows]

        return await self.db.write(run)

    async def totals(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM attachments")
        row = rows[0]  # an aggregate without GROUP BY: always one row
        return {"count": int(row["n"]), "bytes": int(row["b"])}
