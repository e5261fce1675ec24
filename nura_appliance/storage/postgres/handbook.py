"""Handbook documents, their chunks, FTS rows and vectors on PostgreSQL, in its own SQL
(see :class:`~nura_appliance.storage.base.HandbookStore`): a batch's chunk ids are
taken from the identity sequence in one statement, then its chunk rows and FTS rows go in one
``unnest`` INSERT each, in one pipeline (two round trips for 200 chunks, where a statement per
row made a thousand); ``RETURNING`` and ``= ANY`` elsewhere. ``chunk_fts.tsv`` is a generated
column, so the FTS row is its text."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from nura_appliance.storage.base import (
    HIDDEN,
    HandbookDocument,
    SearchIndex,
    chunk_hash,
    chunk_index_text,
    title_languages,
)
from nura_appliance.storage.postgres.db import PgConnection, PgDatabase
from nura_appliance.storage.records import Chunk, Item

_BUMP_VERSION = (
    "INSERT INTO kb_meta (key, value) VALUES ('version', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
)
_DOC_FOR_KEY = (
    "WITH added AS (INSERT INTO handbook_docs (path, title, content_hash, chunks, updated_at, source_name, bytes, lang)"
    " VALUES (%(key)s, %(title)s, %(hash)s, 0, %(now)s, %(name)s, %(bytes)s, %(lang)s)"
    " ON CONFLICT (path) DO NOTHING RETURNING id)"
    " SELECT id FROM added UNION ALL SELECT id FROM handbook_docs WHERE path = %(key)s"
)
_CHUNK_IDS = "SELECT nextval(pg_get_serial_sequence('handbook_chunks', 'id')) AS id FROM generate_series(1, %s)"
_ADD_CHUNKS = (
    "INSERT INTO handbook_chunks (id, doc_id, position, heading, text, lang, content_hash, unit, label)"
    " SELECT i, %s, p, h, t, l, c, u, b FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[],"
    " %s::text[], %s::text[], %s::text[]) AS u(i, p, h, t, l, c, u, b)"
)
_ADD_FTS = (
    "INSERT INTO chunk_fts (rowid, text, ref) SELECT i, t, i::text FROM unnest(%s::bigint[], %s::text[]) AS u(i, t)"
)


class PgHandbookStore:
    """Handbook documents and chunks through the serialised writer (each method one write)."""

    def __init__(self, db: PgDatabase, vectors: SearchIndex) -> None:
        self.db = db
        self.vectors = vectors

    async def content_hash(self, path: str) -> str | None:
        rows = await self.db.read(
            lambda c: c.sql("SELECT content_hash FROM handbook_docs WHERE path = %s", (path,)).fetchall()
        )
        return rows[0]["content_hash"] if rows else None

    async def same_content(self, digest: str, path: str) -> str | None:
        rows = await self.db.read(
            lambda c: c.sql(
                "SELECT coalesce(source_name, path) AS name FROM handbook_docs WHERE content_hash = %s"
                " AND path <> %s AND path NOT LIKE %s AND path NOT LIKE %s ORDER BY id LIMIT 1",
                (digest, path, *HIDDEN),
            ).fetchall()
        )
        return rows[0]["name"] if rows else None

    async def declared_languages(self) -> set[str]:
        rows = await self.db.read(lambda c: c.sql("SELECT title FROM articles").fetchall())
        return title_languages([row["title"] for row in rows])

    def _stage(
        self, conn: PgConnection, doc: HandbookDocument, key: str, chunks: list[Chunk], vectors: np.ndarray,
        terms: list[str],
    ) -> None:  # fmt: skip
        self.vectors.mark_analysis_if_new(conn)
        params = {"key": key, "title": doc.title, "hash": doc.content_hash, "now": time.time(), "name": doc.name,
                  "bytes": doc.size, "lang": doc.lang}  # fmt: skip
        doc_rows, id_rows = conn.sql_pipeline([(_DOC_FOR_KEY, params), (_CHUNK_IDS, (len(chunks),))])
        doc_id = doc_rows[0]["id"]
        # Ids in chunk order, as SQLite gives them (sequence values come out in no promised order).
        ids = sorted(int(row["id"]) for row in id_rows)
        conn.sql_pipeline(
            [
                (_ADD_CHUNKS, (doc_id, ids, *_chunk_columns(chunks))),
                (_ADD_FTS, (ids, list(terms))),
            ]
        )
        items = [
            Item("chunk", str(chunk_id), "chunk", chunk.lang, chunk_index_text(chunk))
            for chunk_id, chunk in zip(ids, chunks, strict=True)
        ]
        self.vectors.write(conn, items, vectors)

    async def stage(
        self, doc: HandbookDocument, key: str, chunks: list[Chunk], vectors: np.ndarray, terms: list[str]
    ) -> None:
        if len(chunks) != len(terms):
            raise ValueError("one indexed text per chunk")
        await self.db.write(lambda c: self._stage(c, doc, key, chunks, vectors, terms))

    def _publish(self, conn: PgConnection, doc: HandbookDocument, key: str, count: int) -> None:
        conn.sql_pipeline(
            [
                ("UPDATE handbook_docs SET path = 'retired:' || id WHERE path = %s", (doc.path,)),
                (
                    "UPDATE handbook_docs SET path = %s, title = %s, content_hash = %s, chunks = %s, updated_at = %s,"
                    " source_name = %s, bytes = %s, lang = %s WHERE path = %s",
                    (doc.path, doc.title, doc.content_hash, count, time.time(), doc.name, doc.size, doc.lang, key),
                ),
                (_BUMP_VERSION, (repr(time.time()),)),
            ]
        )

    async def publish(self, doc: HandbookDocument, key: str, count: int) -> None:
        await self.db.write(lambda c: self._publish(c, doc, key, count))

    async def hidden_documents(self) -> list[int]:
        rows = await self.db.read(
            lambda c: c.sql(
                "SELECT id FROM handbook_docs WHERE path LIKE %s OR path LIKE %s ORDER BY id", HIDDEN
            ).fetchall()
        )
        return [int(row["id"]) for row in rows]

    def _purge_batch(self, conn: PgConnection, doc_id: int, limit: int) -> int:
        ids = [
            int(r["id"])
            for r in conn.sql("SELECT id FROM handbook_chunks WHERE doc_id = %s LIMIT %s", (doc_id, limit)).fetchall()
        ]
        if not ids:
            conn.sql("DELETE FROM handbook_docs WHERE id = %s", (doc_id,))
            return 0
        self.vectors.delete(conn, "chunk", [str(i) for i in ids])
        conn.sql_pipeline(
            [
                ("DELETE FROM chunk_fts WHERE rowid = ANY(%s)", (ids,)),
                ("DELETE FROM handbook_chunks WHERE id = ANY(%s)", (ids,)),
            ]
        )
        return len(ids)

    async def purge_batch(self, doc_id: int, limit: int) -> int:
        return await self.db.write(lambda c: self._purge_batch(c, doc_id, limit))

    async def documents(self) -> list[dict[str, Any]]:
        return await self.db.read(
            lambda c: c.sql(
                "SELECT id, coalesce(source_name, path) AS name, title, chunks, lang, bytes, updated_at"
                " FROM handbook_docs ORDER BY id"
            ).fetchall()
        )


def _chunk_columns(chunks: list[Chunk]) -> list[list[Any]]:
    """The chunk rows as columns (position, heading, text, lang, content hash, unit, label)."""
    return [
        [c.position for c in chunks],
        [c.heading for c in chunks],
        [c.text for c in chunks],
        [c.lang for c in chunks],
        [chunk_hash(c) for c in chunks],
        [c.unit for c in chunks],
        [c.label for c in chunks],
    ]
