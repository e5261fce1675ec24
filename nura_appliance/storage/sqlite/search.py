"""The knowledge feature's search reads on SQLite (:class:`~nura_appliance.storage.base.SearchStore`;
``storage/postgres/search.py`` is the PostgreSQL twin): FTS5 ``MATCH`` and ``bm25()`` over
``kb_fts`` / ``chunk_fts``, their fts5vocab tables, and sqlite-vec's coarse binary index ``kb_vec``.

Many rows per message are read as tuples, not the connection's dicts (a cursor whose row trace
returns the row): hundreds of BM25 rows or 160 vector rows each cost more as a dict than their
scoring did.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import apsw
import numpy as np

from nura_appliance.storage.base import HIDDEN, ArticlePostings, Transaction
from nura_appliance.storage.sqlite.db import Connection, Database, own

T = TypeVar("T")


def _as_tuple(cursor: apsw.Cursor, row: tuple[Any, ...]) -> tuple[Any, ...]:
    return row


def _tuple_rows(conn: Connection, sql: str, bindings: apsw.Bindings) -> list[tuple[Any, ...]]:
    """The rows of one query as tuples, not the connection's dicts (cheaper for many rows)."""
    cursor: apsw.Cursor = conn.cursor()
    cursor.row_trace = _as_tuple
    rows: list[tuple[Any, ...]] = cursor.execute(sql, bindings).fetchall()
    return rows


def fts_query(terms: list[str]) -> str:
    """An FTS5 OR-query of quoted terms (quotes make any user text safe to MATCH)."""
    return " OR ".join('"' + t.replace('"', "") + '"' for t in dict.fromkeys(terms) if t.replace('"', ""))


def _marks(count: int) -> str:
    return ",".join("?" * count)


def nearest_rows(distances: np.ndarray, count: int) -> np.ndarray:
    """Indexes of the ``count`` smallest of ``distances`` (small non-negative integers), ties going
    to the lower index. A histogram finds the cut-off distance in one pass, then two comparisons
    pick the rows: about a fifth of ``np.argpartition``'s time at 50k rows."""
    if len(distances) <= count:
        return np.arange(len(distances))
    reached = np.cumsum(np.bincount(distances))
    cut = int(np.searchsorted(reached, count))  # the smallest distance with >= count rows at or below it
    below = np.flatnonzero(distances < cut)
    at_cut = np.flatnonzero(distances == cut)[: count - len(below)]
    return np.concatenate([below, at_cut])


def _cosines(matrix_blobs: list[bytes], query: np.ndarray) -> np.ndarray:
    matrix = np.frombuffer(b"".join(matrix_blobs), dtype=np.float32).reshape(len(matrix_blobs), -1)
    # einsum, not BLAS: for one query vector it is as fast and wakes no thread pool (retrieval.dot_rows)
    product: np.ndarray = np.einsum("ij,j->i", matrix, np.asarray(query, dtype=np.float32))
    return product


class SqliteSearchStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        # The coarse codes of each kind, per knowledge version: (version, row ids, packed codes).
        self._codes: dict[str, tuple[str, np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    async def read(self, fn: Callable[[Any], T]) -> T:
        return await self.db.read(fn)

    def meta_in(self, conn: Transaction, key: str) -> str | None:
        conn = own(conn)
        rows = conn.execute("SELECT value FROM kb_meta WHERE key = ?", (key,)).fetchall()
        return rows[0]["value"] if rows else None

    # -- the article tier ----------------------------------------------------------------------
    def article_items_in(self, conn: Transaction) -> list[tuple[str, str, bytes]]:
        conn = own(conn)
        return [
            (ref, field, vector)
            for ref, field, vector in _tuple_rows(
                conn, "SELECT ref, field, vector FROM kb_vectors WHERE kind = 'article' ORDER BY ref, id", ()
            )
        ]

    def article_fields_in(self, conn: Transaction) -> list[tuple[str, str, str]]:
        conn = own(conn)
        return [
            (ref, field, text)
            for ref, field, text in _tuple_rows(
                conn, "SELECT ref, field, text FROM kb_fts WHERE kind = 'article' AND field <> 'all'", ()
            )
        ]

    def article_postings_in(self, conn: Transaction) -> ArticlePostings | None:
        conn = own(conn)
        try:
            conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.kb_fts_instance USING fts5vocab(main, kb_fts, instance)"
            )
            rows = _tuple_rows(conn, "SELECT rowid, kind, ref, field FROM kb_fts ORDER BY rowid", ())
            counts = _tuple_rows(conn, "SELECT term, doc, count(*) FROM temp.kb_fts_instance GROUP BY term, doc", ())
        except apsw.Error:
            return None
        return ArticlePostings(rows, counts)

    def article_bm25_in(self, conn: Transaction, terms: list[str]) -> list[tuple[str, str, float]]:
        conn = own(conn)
        query = fts_query(terms)
        if not query:
            return []
        return [
            (ref, field, score)
            for ref, field, score in _tuple_rows(
                conn, "SELECT ref, field, -bm25(kb_fts) FROM kb_fts WHERE kb_fts MATCH ? AND kind = 'article'", (query,)
            )
        ]

    def indexed_terms_in(self, conn: Transaction, words: list[str]) -> set[str]:
        conn = own(conn)
        if not words:
            return set()
        return {
            r["term"]
            for r in conn.execute(f"SELECT term FROM kb_fts_vocab WHERE term IN ({_marks(len(words))})", words)
        }

    # -- the handbook search -------------------------------------------------------------------
    def chunk_stats_in(self, conn: Transaction) -> tuple[int, float, bool]:
        conn = own(conn)
        vocab = bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'chunk_fts_vocab'").fetchall())
        # One pass over the index text (the terms are space-separated).
        row = conn.execute(
            "SELECT count(*) AS n, total(length(text) - length(replace(text, ' ', '')) + 1) AS t FROM chunk_fts"
        ).fetchall()[0]
        chunks = int(row["n"])
        return chunks, (float(row["t"]) / chunks if chunks else 1.0), vocab

    def chunk_frequencies_in(self, conn: Transaction, terms: list[str]) -> dict[str, int]:
        conn = own(conn)
        if not terms:
            return {}
        found = {
            r["term"]: r["doc"]
            for r in conn.execute(f"SELECT term, doc FROM chunk_fts_vocab WHERE term IN ({_marks(len(terms))})", terms)
        }
        return {t: int(found.get(t, 0)) for t in terms}

    def chunk_count_in(self, conn: Transaction) -> int:
        conn = own(conn)
        return int(conn.execute("SELECT count(*) AS n FROM chunk_fts").fetchall()[0]["n"])

    def chunk_bm25_in(self, conn: Transaction, terms: list[str], limit: int) -> list[tuple[str, float, str]]:
        conn = own(conn)
        query = fts_query(terms)
        if not query or limit <= 0:
            return []
        return [
            (str(ref), score, text)
            for ref, score, text in _tuple_rows(
                conn,
                "SELECT ref, -bm25(chunk_fts), text FROM chunk_fts WHERE chunk_fts MATCH ? ORDER BY rank LIMIT ?",
                (query, limit),
            )
        ]

    def chunk_terms_in(self, conn: Transaction, refs: Sequence[str]) -> dict[str, str]:
        conn = own(conn)
        ids = [int(ref) for ref in refs if ref.isdigit()]
        if not ids:
            return {}
        return {
            str(ref): text
            for ref, text in _tuple_rows(
                conn, f"SELECT ref, text FROM chunk_fts WHERE rowid IN ({_marks(len(ids))})", ids
            )
        }

    def chunk_texts_in(self, conn: Transaction, refs: Sequence[str]) -> dict[str, str]:
        conn = own(conn)
        ids = [int(ref) for ref in refs if ref.isdigit()]
        if not ids:
            return {}
        rows = conn.execute(f"SELECT id, text FROM handbook_chunks WHERE id IN ({_marks(len(ids))})", ids).fetchall()
        return {str(r["id"]): r["text"] or "" for r in rows}

    def chunk_row_in(self, conn: Transaction, ref: str) -> dict[str, Any] | None:
        conn = own(conn)
        if not ref.isdigit():
            return None
        rows = conn.execute(
            "SELECT c.text, c.heading, c.unit, c.lang, d.title, coalesce(d.source_name, d.path) AS doc"
            " FROM handbook_chunks c JOIN handbook_docs d ON d.id = c.doc_id WHERE c.id = ?"
            " AND d.path NOT LIKE ? AND d.path NOT LIKE ?",
            (int(ref), *HIDDEN),
        ).fetchall()
        return dict(rows[0]) if rows else None

    def handbook_vocabulary_in(self, conn: Transaction) -> list[str]:
        conn = own(conn)
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'chunk_fts_vocab'").fetchall():
            return []
        return [str(r["term"]) for r in conn.execute("SELECT term FROM chunk_fts_vocab").fetchall()]

    def article_matches_in(self, conn: Transaction, terms: list[str], limit: int) -> list[tuple[str, float, str]]:
        conn = own(conn)
        query = fts_query(terms)
        if not query or limit <= 0:
            return []
        return [
            (ref, score, text)
            for ref, text, score in _tuple_rows(
                conn,
                "SELECT ref, text, -bm25(kb_fts) FROM kb_fts WHERE kb_fts MATCH ? AND field = 'all'"
                " ORDER BY rank LIMIT ?",
                (query, limit),
            )
        ]

    def article_documents_in(self, conn: Transaction, refs: Sequence[str]) -> dict[str, str]:
        conn = own(conn)
        if not refs:
            return {}
        rows = conn.execute(
            f"SELECT ref, text FROM kb_fts WHERE kind = 'article' AND field = 'all' AND ref IN ({_marks(len(refs))})",
            list(refs),
        ).fetchall()
        return {r["ref"]: r["text"] for r in rows}

    def article_row_in(self, conn: Transaction, article_id: str) -> tuple[str, str] | None:
        conn = own(conn)
        rows = conn.execute("SELECT title, body FROM articles WHERE id = ?", (article_id,)).fetchall()
        return (rows[0]["title"], rows[0]["body"]) if rows else None

    def article_sources_in(self, conn: Transaction) -> list[dict[str, Any]]:
        conn = own(conn)
        return list(conn.execute("SELECT id, title, body, examples FROM articles ORDER BY id").fetchall())

    # -- vectors -------------------------------------------------------------------------------
    def has_vectors_in(self, conn: Transaction) -> bool:
        conn = own(conn)
        return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'kb_vec'").fetchall())

    def nearest_in(
        self, conn: Transaction, kind: str, query: np.ndarray, coarse_query: np.ndarray, count: int, version: str
    ) -> dict[str, float]:
        conn = own(conn)
        ids = self._coarse_knn(conn, kind, coarse_query, count, version)
        if not ids:
            return {}
        rows = _tuple_rows(conn, f"SELECT ref, vector FROM kb_vectors WHERE id IN ({_marks(len(ids))})", ids)
        if not rows or len(rows[0][1]) != query.shape[0] * 4:
            return {}
        cosines = _cosines([vector for _, vector in rows], query)
        best: dict[str, float] = {}
        for (ref, _), cos in zip(rows, cosines, strict=True):
            if cos > best.get(ref, -2.0):
                best[ref] = float(cos)
        return best

    def _coarse_knn(self, conn: Connection, kind: str, coarse_query: np.ndarray, count: int, version: str) -> list[int]:
        """Row ids of the ``count`` nearest binary codes of ``kind`` (Hamming distance).

        The codes are stored in sqlite-vec's ``kb_vec``; a scan there costs about a microsecond
        per row in per-row overhead, so the codes are also held in memory as packed 64-bit words
        (6.4 MB for 50k chunks), reloaded when the knowledge version changes, and scanned with
        XOR + popcount in numpy.
        """
        blob = np.asarray(coarse_query, dtype=np.float32).tobytes()
        code_blob = conn.execute("SELECT vec_quantize_binary(?) AS c", (blob,)).fetchall()[0]["c"]
        with self._lock:
            snapshot = self._codes.get(kind)
        if snapshot is None or snapshot[0] != version:
            rows = _tuple_rows(conn, "SELECT rowid, embedding FROM kb_vec WHERE kind = ?", (kind,))
            if not rows or len(rows[0][1]) != len(code_blob):
                return []
            word = np.uint64 if len(code_blob) % 8 == 0 else np.uint8
            codes = np.frombuffer(b"".join(code for _, code in rows), dtype=word).reshape(len(rows), -1)
            snapshot = (version, np.array([rowid for rowid, _ in rows], dtype=np.int64), codes)
            with self._lock:
                self._codes[kind] = snapshot
        _, ids, codes = snapshot
        query_code = np.frombuffer(code_blob, dtype=codes.dtype)
        # Hamming distances (at most the code's bit count, so int16). einsum sums the per-word
        # counts about 3x faster than .sum(axis=1) does here.
        distances = np.einsum("ij->i", np.bitwise_count(codes ^ query_code), dtype=np.int16)
        return [int(i) for i in ids[nearest_rows(distances, count)]]

    def cosines_in(self, conn: Transaction, kind: str, refs: Sequence[str], query: np.ndarray) -> dict[str, float]:
        conn = own(conn)
        if not refs:
            return {}
        rows = _tuple_rows(
            conn,
            f"SELECT ref, vector FROM kb_vectors WHERE kind = ? AND ref IN ({_marks(len(refs))})",
            [kind, *refs],
        )
        rows = [(ref, vector) for ref, vector in rows if len(vector) == query.shape[0] * 4]
        if not rows:
            return {}
        best: dict[str, float] = {}
        for (ref, _), cos in zip(rows, _cosines([v for _, v in rows], query), strict=True):
            if cos > best.get(ref, -2.0):
                best[ref] = float(cos)
        return best
