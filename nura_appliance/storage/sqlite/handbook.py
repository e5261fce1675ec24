"""Handbook documents, their chunks, FTS rows and vectors on SQLite
(:class:`~nura_appliance.storage.base.HandbookStore`)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from nura_appliance.storage.base import (
    HIDDEN,
    STAGE_BATCH,
    HandbookDocument,
    SearchIndex,
    chunk_hash,
    chunk_index_text,
    title_languages,
)
from nura_appliance.storage.records import Chunk, Item
from nura_appliance.storage.sqlite.db import Connection, Database

__all__ = ["HIDDEN", "STAGE_BATCH", "HandbookDocument", "SqliteHandbookStore", "bump_version", "index_text"]


def bump_version(conn: Connection) -> None:
    """Every knowledge change bumps ``kb_meta.version`` (the retriever's in-memory indexes and the
    pipeline's caches are kept per version)."""
    conn.execute(
        "INSERT INTO kb_meta (key, value) VALUES ('version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (repr(time.time()),),
    )


def index_text(chunk: Chunk) -> str:
    """What a chunk is indexed (and embedded) as: its heading path, then its text."""
    return chunk_index_text(chunk)


class SqliteHandbookStore:
    """Handbook documents and chunks on the single writer (see the Protocol for the staging,
    publishing and purging; a 5 MB file held the writer for 10 s in one transaction before, and
    every customer message waited)."""

    def __init__(self, db: Database, vectors: SearchIndex) -> None:
        self.db = db
        self.vectors = vectors

    async def content_hash(self, path: str) -> str | None:
        row = await self.db.fetchone("SELECT content_hash FROM handbook_docs WHERE path = ?", (path,))
        return row["content_hash"] if row else None

    async def same_content(self, digest: str, path: str) -> str | None:
        row = await self.db.fetchone(
            "SELECT coalesce(source_name, path) AS name FROM handbook_docs WHERE content_hash = ? AND path <> ?"
            " AND path NOT LIKE ? AND path NOT LIKE ? ORDER BY id LIMIT 1",
            (digest, path, *HIDDEN),
        )
        return row["name"] if row else None

    async def declared_languages(self) -> set[str]:
        rows = await self.db.fetchall("SELECT title FROM articles")
        return title_languages([row["title"] for row in rows])

    def _insert_chunks(
        self, conn: Connection, doc_id: int, chunks: list[Chunk], vectors: np.ndarray, terms: list[str]
    ) -> None:
        items: list[Item] = []
        for chunk, indexed in zip(chunks, terms, strict=True):
            conn.execute(
                "INSERT INTO handbook_chunks (doc_id, position, heading, text, lang, content_hash, unit, label)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (doc_id, chunk.position, chunk.heading, chunk.text, chunk.lang, chunk_hash(chunk), chunk.unit,
                 chunk.label),
            )  # fmt: skip
            chunk_id = conn.last_insert_rowid()
            conn.execute(
                "INSERT INTO chunk_fts (rowid, text, ref) VALUES (?, ?, ?)", (chunk_id, indexed, str(chunk_id))
            )
            items.append(Item("chunk", str(chunk_id), "chunk", chunk.lang, index_text(chunk)))
        self.vectors.write(conn, items, vectors)

    def _stage(
        self, conn: Connection, doc: HandbookDocument, key: str, chunks: list[Chunk], vectors: np.ndarray,
        terms: list[str],
    ) -> None:  # fmt: skip
        self.vectors.mark_analysis_if_new(conn)
        row = conn.execute("SELECT id FROM handbook_docs WHERE path = ?", (key,)).fetchall()
        if row:
            doc_id = row[0]["id"]
        else:
            conn.execute(
                "INSERT INTO handbook_docs (path, title, content_hash, chunks, updated_at, source_name, bytes, lang)"
                " VALUES (?,?,?,0,?,?,?,?)",
                (key, doc.title, doc.content_hash, time.time(), doc.name, doc.size, doc.lang),
            )
            doc_id = conn.last_insert_rowid()
        self._insert_chunks(conn, doc_id, chunks, vectors, terms)

    async def stage(
        self, doc: HandbookDocument, key: str, chunks: list[Chunk], vectors: np.ndarray, terms: list[str]
    ) -> None:
        if len(chunks) != len(terms):
            raise ValueError("one indexed text per chunk")
        await self.db.write(lambda c: self._stage(c, doc, key, chunks, vectors, terms))

    def _publish(self, conn: Connection, doc: HandbookDocument, key: str, count: int) -> None:
        old = conn.execute("SELECT id FROM handbook_docs WHERE path = ?", (doc.path,)).fetchall()
        if old:
            conn.execute("UPDATE handbook_docs SET path = ? WHERE id = ?", (f"retired:{old[0]['id']}", old[0]["id"]))
        conn.execute(
            "UPDATE handbook_docs SET path = ?, title = ?, content_hash = ?, chunks = ?, updated_at = ?,"
            " source_name = ?, bytes = ?, lang = ? WHERE path = ?",
            (doc.path, doc.title, doc.content_hash, count, time.time(), doc.name, doc.size, doc.lang, key),
        )
        bump_version(conn)

    async def publish(self, doc: HandbookDocument, key: str, count: int) -> None:
        await self.db.write(lambda c: self._publish(c, doc, key, count))

    async def hidden_documents(self) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT id FROM handbook_docs WHERE path LIKE ? OR path LIKE ? ORDER BY id", HIDDEN
        )
        return [row["id"] for row in rows]

    def _purge_batch(self, conn: Connection, doc_id: int, limit: int) -> int:
        ids = [
            r["id"] for r in conn.execute("SELECT id FROM handbook_chunks WHERE doc_id = ? LIMIT ?", (doc_id, limit))
        ]
        if ids:
            self.vectors.delete(conn, "chunk", [str(i) for i in ids])
            conn.executemany("DELETE FROM chunk_fts WHERE rowid = ?", [(i,) for i in ids])
            conn.executemany("DELETE FROM handbook_chunks WHERE id = ?", [(i,) for i in ids])
        else:
            conn.execute("DELETE FROM handbook_docs WHERE id = ?", (doc_id,))
        return len(ids)

    async def purge_batch(self, doc_id: int, limit: int) -> int:
        return await self.db.write(lambda c: self._purge_batch(c, doc_id, limit))

    async def documents(self) -> list[dict[str, Any]]:
        return await self.db.fetchall(
            "SELECT id, coalesce(source_name, path) AS name, title, chunks, lang, bytes, updated_at"
            " FROM handbook_docs ORDER BY id"
        )
