"""The grounded answer tier's built-in lexical search over handbook chunks, on PostgreSQL
(:class:`~nura_appliance.storage.base.PassageSearchStore`; SQLite's twin is
``storage/sqlite/passages.py``): the GIN-indexed ``tsvector`` of ``kb_fts`` matched by an OR
``tsquery`` of quoted lexemes, best ``ts_rank`` first (the feature scores the rows itself)."""

from __future__ import annotations

from typing import Any

from nura_appliance.storage.postgres.db import PgDatabase
from nura_appliance.storage.postgres.search import tsquery

_MATCHES = (
    "SELECT f.ref, f.text AS norm, c.text, c.heading, d.path FROM kb_fts f"
    " JOIN handbook_chunks c ON c.id::text = f.ref"
    " JOIN handbook_docs d ON d.id = c.doc_id"
    " WHERE f.tsv @@ to_tsquery('simple', %(q)s) AND f.kind = 'chunk'"
    " ORDER BY ts_rank(f.tsv, to_tsquery('simple', %(q)s)) DESC, f.rowid LIMIT %(limit)s"
)


class PgPassageSearchStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def chunk_matches(self, terms: list[str], limit: int) -> list[dict[str, Any]]:
        if limit < 0:
            raise ValueError("limit must not be negative")
        query = tsquery([t for t in terms if t.strip()])
        if not query or limit == 0:
            return []
        return await self.db.read(lambda c: c.sql(_MATCHES, {"q": query, "limit": limit}).fetchall())
