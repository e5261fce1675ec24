"""The handbook's SQL: documents, their chunks, FTS rows and vectors (``HandbookStore`` in
``storage/base.py``). The same statements run on PostgreSQL through ``PgDatabase``."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import apsw
import numpy as np

from nura_appliance.knowledge.chunking import Chunk
from nura_appliance.knowledge.indexer import Item, VectorIndex, chunk_fts_text, mark_analysis_if_new
from nura_appliance.knowledge.normalize import index_terms
from nura_appliance.storage.sqlite.db import Database


@dataclass(frozen=True)
class HandbookDocument:
    """One handbook file as indexed: ``path`` is its identity (a resolved path or ``upload:<name>``)."""

    path: str
    name: str
    title: str
    content_hash: str
    size: int
    lang: str


def bump_version(conn: apsw.Connection) -> None:
    """Every knowledge change bumps ``kb_meta.version`` (the retriever's in-memory indexes and the
    pipeline's caches are kept per version)."""
    conn.execute(
        "INSERT INTO kb_meta (key, value) VALUES ('version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (repr(time.time()),),
    )


def index_text(chunk: Chunk) -> str:
    """What a chunk is indexed (and embedded) as: its heading path, then its text."""
    return chunk_fts_text(chunk.heading, chunk.text)


class SqliteHandbookStore:
    """Handbook documents and chunks on the single writer."""

    def __init__(self, db: Database, vectors: VectorIndex) -> None:
        self.db = db
        self.vectors = vectors

    async def content_hash(self, path: str) -> str | None:
        """The SHA-256 the document at ``path`` was last ingested with."""
        row = await self.db.fetchone("SELECT content_hash FROM handbook_docs WHERE path = ?", (path,))
        return row["content_hash"] if row else None

    async def same_content(self, digest: str, path: str) -> str | None:
        """The name of another document with exactly this content, if one is indexed."""
        row = await self.db.fetchone(
            "SELECT coalesce(source_name, path) AS name FROM handbook_docs WHERE content_hash = ? AND path <> ?",
            (digest, path),
        )
        return row["name"] if row else None

    async def declared_languages(self) -> set[str]:
        """The languages the knowledge pack's articles are written in."""
        rows = await self.db.fetchall("SELECT title FROM articles")
        found: set[str] = set()
        for row in rows:
            try:
                found.update(json.loads(row["title"]).keys())
            except (TypeError, ValueError, AttributeError):
                continue
        return found

    def replace_document(
        self, conn: apsw.Connection, doc: HandbookDocument, chunks: list[Chunk], vectors: np.ndarray
    ) -> int:
        """Replace one document's chunks, FTS rows and vectors and bump the knowledge version, inside
        the caller's write transaction (a failure leaves the old version of the file whole)."""
        mark_analysis_if_new(conn)
        old = conn.execute("SELECT id FROM handbook_docs WHERE path = ?", (doc.path,)).fetchall()
        now = time.time()
        if old:
            doc_id = old[0]["id"]
            old_ids = [r["id"] for r in conn.execute("SELECT id FROM handbook_chunks WHERE doc_id = ?", (doc_id,))]
            self.vectors.delete(conn, "chunk", [str(i) for i in old_ids])
            conn.executemany("DELETE FROM chunk_fts WHERE rowid = ?", [(i,) for i in old_ids])
            conn.execute("DELETE FROM handbook_chunks WHERE doc_id = ?", (doc_id,))
            conn.execute(
                "UPDATE handbook_docs SET title = ?, content_hash = ?, chunks = ?, updated_at = ?,"
                " source_name = ?, bytes = ?, lang = ? WHERE id = ?",
                (doc.title, doc.content_hash, len(chunks), now, doc.name, doc.size, doc.lang, doc_id),
            )
        else:
            conn.execute(
                "INSERT INTO handbook_docs (path, title, content_hash, chunks, updated_at, source_name, bytes, lang)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (doc.path, doc.title, doc.content_hash, len(chunks), now, doc.name, doc.size, doc.lang),
            )
            doc_id = conn.last_insert_rowid()
        items: list[Item] = []
        for chunk in chunks:
            text = index_text(chunk)
            conn.execute(
                "INSERT INTO handbook_chunks (doc_id, position, heading, text, lang, content_hash, unit, label)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (
                    doc_id,
                    chunk.position,
                    chunk.heading,
                    chunk.text,
                    chunk.lang,
                    hashlib.sha256(text.encode()).hexdigest(),
                    chunk.unit,
                    chunk.label,
                ),
            )
            chunk_id = conn.last_insert_rowid()
            conn.execute(
                "INSERT INTO chunk_fts (rowid, text, ref) VALUES (?, ?, ?)",
                (chunk_id, " ".join(index_terms(text)), str(chunk_id)),
            )
            items.append(Item("chunk", str(chunk_id), "chunk", chunk.lang, text))
        self.vectors.write(conn, items, vectors)
        bump_version(conn)
        return len(chunks)

    async def documents(self) -> list[dict[str, Any]]:
        """Every indexed document (name, title, chunks, language, size, when)."""
        return await self.db.fetchall(
            "SELECT id, coalesce(source_name, path) AS name, title, chunks, lang, bytes, updated_at"
            " FROM handbook_docs ORDER BY id"
        )
