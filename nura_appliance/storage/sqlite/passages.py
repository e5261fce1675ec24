"""The grounded answer tier's built-in lexical search over handbook chunks, on SQLite
(:class:`~nura_appliance.storage.base.PassageSearchStore`; ``storage/postgres/passages.py`` is the
PostgreSQL twin): FTS5 ``MATCH`` over ``kb_fts``, best ``bm25`` first."""

from __future__ import annotations

from typing import Any

from nura_appliance.storage.sqlite.db import Database

_MATCHES = (
    "SELECT f.ref, f.text AS norm, c.text, c.heading, d.path FROM kb_fts f"
    " JOIN handbook_chunks c ON c.id = CAST(f.ref AS INTEGER)"
    " JOIN handbook_docs d ON d.id = c.doc_id"
    " WHERE kb_fts MATCH ? AND f.kind = 'chunk' ORDER BY bm25(kb_fts) LIMIT ?"
)


def fts_query(terms: list[str]) -> str:
    """An FTS5 OR query of quoted terms (a quote inside a term is doubled, so any text is safe)."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(terms) if t.strip())


class SqlitePassageSearchStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def chunk_matches(self, terms: list[str], limit: int) -> list[dict[str, Any]]:
        if limit < 0:
            raise ValueError("limit must not be negative")
        query = fts_query(terms)
        if not query or limit == 0:
            return []
        return await self.db.read(lambda conn: list(conn.execute(_MATCHES, (query, limit))))
