"""The handbook's SQL: documents, their chunks, FTS rows and vectors (``HandbookStore`` in
``storage/base.py``). The same statements run on PostgreSQL through ``PgDatabase``."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from nura_appliance.storage.records import Chunk, Item, SearchIndex, chunk_fts_text
from nura_appliance.storage.sqlite.db import Connection, Database


@dataclass(frozen=True)
class HandbookDocument:
    """One handbook file as indexed: ``path`` is its identity (a resolved path or ``upload:<name>``)."""

    path: str
    name: str
    title: str
    content_hash: str
    size: int
    lang: str


# Paths of documents customers do not see (being staged, or replaced and waiting to be purged);
# passed as parameters: a literal % in SQL is a placeholder to psycopg.
HIDDEN = ("staging:%", "retired:%")
STAGE_BATCH = 200  # chunks per write transaction while a document is staged or purged


def bump_version(conn: Connection) -> None:
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
    """Handbook documents and chunks on the single writer.

    A document is written in batches of :data:`STAGE_BATCH` chunks under a hidden staging key, then
    published in one short transaction; the version it replaces is hidden in that same
    transaction and purged in batches afterwards. So customers never see half a file, and a large
    file never holds the single writer for more than a batch (a 5 MB file held it for 10 s in one
    transaction, and every customer message waited)."""

    def __init__(self, db: Database, vectors: SearchIndex) -> None:
        self.db = db
        self.vectors = vectors

    async def content_hash(self, path: str) -> str | None:
        """The SHA-256 the document at ``path`` was last ingested with."""
        row = await self.db.fetchone("SELECT content_hash FROM handbook_docs WHERE path = ?", (path,))
        return row["content_hash"] if row else None

    async def same_content(self, digest: str, path: str) -> str | None:
        """The name of another document with exactly this content, if one is indexed."""
        row = await self.db.fetchone(
            "SELECT coalesce(source_name, path) AS name FROM handbook_docs WHERE content_hash = ? AND path <> ?"
            " AND path NOT LIKE ? AND path NOT LIKE ?",
            (digest, path, *HIDDEN),
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

    def _insert_chunks(
        self,
        conn: Connection,
        doc_id: int,
        chunks: list[Chunk],
        vectors: np.ndarray,
        terms: list[str],
    ) -> None:
        items: list[Item] = []
        for chunk, indexed in zip(chunks, terms, strict=True):
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
                "INSERT INTO chunk_fts (rowid, text, ref) VALUES (?, ?, ?)", (chunk_id, indexed, str(chunk_id))
            )
            items.append(Item("chunk", str(chunk_id), "chunk", chunk.lang, text))
        self.vectors.write(conn, items, vectors)

    def stage(
        self,
        conn: Connection,
        doc: HandbookDocument,
        key: str,
        chunks: list[Chunk],
        vectors: np.ndarray,
        terms: list[str],
    ) -> None:
        """Write one batch of a document's chunks under the staging key ``key`` (a path starting
        with ``staging:``): the retriever never shows chunks of a staged document, and nothing
        bumps the knowledge version until :meth:`publish`."""
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

    def publish(self, conn: Connection, doc: HandbookDocument, key: str, count: int) -> None:
        """Make a staged document the one customers see, in one short transaction: the previous
        version of the file is retired (hidden, its rows purged afterwards) and the knowledge
        version bumped."""
        old = conn.execute("SELECT id FROM handbook_docs WHERE path = ?", (doc.path,)).fetchall()
        if old:
            conn.execute("UPDATE handbook_docs SET path = ? WHERE id = ?", (f"retired:{old[0]['id']}", old[0]["id"]))
        conn.execute(
            "UPDATE handbook_docs SET path = ?, title = ?, content_hash = ?, chunks = ?, updated_at = ?,"
            " source_name = ?, bytes = ?, lang = ? WHERE path = ?",
            (doc.path, doc.title, doc.content_hash, count, time.time(), doc.name, doc.size, doc.lang, key),
        )
        bump_version(conn)

    def hidden_documents(self, conn: Connection) -> list[int]:
        """Documents being staged or retired (left behind by a failure or a crash, or waiting to be
        purged)."""
        return [
            r["id"]
            for r in conn.execute("SELECT id FROM handbook_docs WHERE path LIKE ? OR path LIKE ?", HIDDEN).fetchall()
        ]

    def purge_batch(self, conn: Connection, doc_id: int, limit: int) -> int:
        """Delete up to ``limit`` chunks (rows, FTS rows, vectors) of a hidden document, and the
        document itself once it has none; returns the chunks deleted."""
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

    async def documents(self) -> list[dict[str, Any]]:
        """Every indexed document (name, title, chunks, language, size, when)."""
        return await self.db.fetchall(
            "SELECT id, coalesce(source_name, path) AS name, title, chunks, lang, bytes, updated_at"
            " FROM handbook_docs ORDER BY id"
        )
