"""The ``attachments`` rows on PostgreSQL, in its own SQL (see
:class:`~nura_appliance.storage.base.AttachmentStore`)."""

from __future__ import annotations

from nura_appliance.storage.base import AttachmentRecord, Transaction, record_columns, record_from_row
from nura_appliance.storage.postgres.db import PgDatabase, own

_COLUMNS = record_columns(AttachmentRecord)
_INSERT = f"INSERT INTO attachments ({', '.join(_COLUMNS)}) VALUES ({', '.join('%s' for _ in _COLUMNS)})"


class PgAttachmentStore:
    """Attachment rows on a :class:`PgDatabase`."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    def insert_in(self, conn: Transaction, records: list[AttachmentRecord], turn_id: int | None) -> None:
        conn = own(conn)
        for record in records:
            record.turn_id = turn_id
        if records:
            conn.sql_many(_INSERT, [tuple(getattr(record, name) for name in _COLUMNS) for record in records])

    async def get(self, session_id: str, attachment_id: str) -> AttachmentRecord | None:
        row = await self.db.read(
            lambda c: c.sql(
                "SELECT * FROM attachments WHERE id = %s AND session_id = %s", (attachment_id, session_id)
            ).fetchone()
        )
        return record_from_row(AttachmentRecord, row) if row else None

    async def for_session(self, session_id: str) -> list[AttachmentRecord]:
        rows = await self.db.read(
            lambda c: c.sql(
                "SELECT * FROM attachments WHERE session_id = %s ORDER BY created_at, id", (session_id,)
            ).fetchall()
        )
        return [record_from_row(AttachmentRecord, r) for r in rows]

    async def stored_names(self) -> set[str]:
        rows = await self.db.read(lambda c: c.sql("SELECT stored_name FROM attachments").fetchall())
        return {r["stored_name"] for r in rows}

    async def delete_older(self, cutoff: float, *, limit: int = 2000) -> list[str]:
        rows = await self.db.write(
            lambda c: c.sql(
                "DELETE FROM attachments WHERE id IN (SELECT id FROM attachments WHERE created_at < %s"
                " ORDER BY created_at LIMIT %s) RETURNING stored_name",
                (cutoff, limit),
            ).fetchall()
        )
        return [r["stored_name"] for r in rows]

    async def totals(self) -> dict[str, int]:
        row = await self.db.read(
            lambda c: c.sql("SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM attachments").fetchone()
        )
        return {"count": int(row["n"]), "bytes": int(row["b"])} if row else {"count": 0, "bytes": 0}
