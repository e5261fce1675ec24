"""The knowledge feature's search reads on SQLite (:class:`~nura_appliance.storage.base.SearchStore`;
``storage/postgres/search.py`` is the PostgreSQL twin): FTS5 ``MATCH`` and ``bm25()`` over
``kb_fts`` / ``chunk_fts``, their fts5vocab tables, and sqlite-vec's coarse binary index ``kb_vec``.

Many rows per message are read as tuples, not the connection's dicts (a cursor whose row trace
returns the row): hundreds of BM25 rows or 160 vector rows each cost more as a dict than their
scoring did.

The handbook's BM25 (:meth:`SqliteSearchStore.chunk_bm25_in`) is FTS5's own ``bm25()``, computed
here from FTS5's postings (:class:`_ChunkLexicon`): ``ORDER BY rank`` made FTS5 score every chunk
holding a query term (about 4,000 rows per question at 50k chunks, half of a hybrid search).
"""

from __future__ import annotations

import math
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


def varints(blob: bytes) -> list[int]:
    """The SQLite varints (big-endian, 7 bits a byte, the 9th byte whole) of an FTS5 record."""
    out: list[int] = []
    value = length = 0
    for byte in blob:
        length += 1
        if length == 9:
            out.append((value << 8) | byte)
            value = length = 0
        elif byte & 0x80:
            value = (value << 7) | (byte & 0x7F)
        else:
            out.append((value << 7) | byte)
            value = length = 0
    return out


def row_lengths(records: list[bytes]) -> np.ndarray:
    """Tokens per row from FTS5's size records (``chunk_fts_docsize.sz``: a varint per column).
    Rows under 128 tokens a column (one byte a varint: nearly every chunk) are summed in numpy."""
    sizes = [len(r) for r in records]
    joined = np.frombuffer(b"".join(records), dtype=np.uint8)
    if not records or min(sizes) == 0 or int(joined.max()) >= 0x80:
        return np.array([sum(varints(r)) for r in records], dtype=np.float64)
    starts = np.cumsum([0, *sizes[:-1]])
    summed: np.ndarray = np.add.reduceat(joined.astype(np.float64), starts)
    return summed


BM25_K1, BM25_B = 1.2, 0.75  # FTS5's bm25() constants
# Postings held in memory per knowledge version (12 bytes each: 2M postings are 24 MB); over it the
# lexicon starts again empty. At 50k chunks a question's terms hold about 4,000 postings.
MAX_POSTINGS = 2_000_000


class _ChunkLexicon:
    """``chunk_fts`` scored as FTS5's ``bm25()`` scores it, from FTS5's own postings.

    ``SELECT … ORDER BY rank LIMIT n`` makes FTS5 compute ``bm25()`` for every row holding any
    query term (reading each row's size and position list) before it can sort: at 50k chunks
    ~4,000 rows and half of a hybrid search. A term's contribution to a row's score depends only
    on the term's row count, the row's length and the index's row count and average length, all
    fixed until the index changes; so each term's postings are read once (an fts5vocab
    ``instance`` table joined with the row sizes FTS5 keeps in ``chunk_fts_docsize``) and kept as
    ``(rowids, contributions)``, and a query adds them up. The index's row count and total length
    come from FTS5's averages record (``chunk_fts_data`` row 1), whose bytes are part of the key:
    any insert or delete (a staged batch, a purge) changes it and the lexicon starts again.

    The arithmetic is FTS5's, term by term in the query's order (``fts5_aux.c``): the scores are
    the same doubles, and ties go to the lower rowid as FTS5's sorter puts them (all 200 benchmark
    questions at 50k chunks: the same rows, scores and order; docs/PERFORMANCE.md)."""

    def __init__(self, key: tuple[str, bytes], rows: int, average: float) -> None:
        self.key = key
        self.rows = rows
        self.average = average
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.size = 0

    def idf(self, hits: int) -> float:
        value = math.log((self.rows - hits + 0.5) / (hits + 0.5))
        return value if value > 0 else 1e-6

    def add(self, term: str, rows: list[tuple[Any, ...]]) -> tuple[np.ndarray, np.ndarray]:
        """Keep ``term``'s postings, rows of ``(rowid, instances, size record)``."""
        rowids = np.array([r[0] for r in rows], dtype=np.int64)
        tf = np.array([r[1] for r in rows], dtype=np.float64)
        length = row_lengths([r[2] for r in rows])
        norm = BM25_K1 * (1 - BM25_B + BM25_B * length / self.average)
        found = rowids, self.idf(len(rows)) * ((tf * (BM25_K1 + 1.0)) / (tf + norm))
        self.postings[term] = found
        self.size += len(rows)
        return found

    def best(self, parts: list[tuple[np.ndarray, np.ndarray]], limit: int) -> list[tuple[int, float]]:
        """The best ``limit`` rowids by summed score, ties to the lower rowid."""
        rowids = np.concatenate([p[0] for p in parts])
        # bincount adds in array order: each row's score sums its terms in the query's order.
        unique, at = np.unique(rowids, return_inverse=True)
        scores = np.bincount(at, weights=np.concatenate([p[1] for p in parts]))
        order = np.lexsort((unique, -scores))[:limit]
        return [(int(unique[i]), float(scores[i])) for i in order]


HAMMING_BLOCK = 8192  # codes per block: the block's XOR (1 MB at 1,024 bits) stays in the cache


def hamming(words: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distance (int16) between ``query`` (one code of w words) and every code of
    ``words``, stored word-major: shape (w, codes), row i holding word i of every code.

    Row-major codes (one code per row) made numpy's XOR run an inner loop of 16 words per code
    (3.7 ms CPU at 50k codes on the loaded machine); word-major, each operation runs over a block
    of 8,192 codes at once and its temporaries stay in the cache (1.6 ms, the same distances).
    """
    width, total = words.shape
    out = np.empty(total, dtype=np.int16)
    block = min(total, HAMMING_BLOCK)
    xored = np.empty((width, block), dtype=words.dtype)
    counts = np.empty((width, block), dtype=np.uint8)
    column = query.reshape(width, 1)
    for start in range(0, total, block):
        end = min(total, start + block)
        size = end - start
        np.bitwise_xor(words[:, start:end], column, out=xored[:, :size])
        np.bitwise_count(xored[:, :size], out=counts[:, :size])
        np.add.reduce(counts[:, :size], axis=0, dtype=np.int16, out=out[start:end])
    return out


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
        self._lexicon: _ChunkLexicon | None = None
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
        best = self._lexicon_best(conn, terms, limit)
        if best is not None:
            if not best:
                return []
            ids = [rowid for rowid, _ in best]
            found = {
                rowid: (ref, text)
                for rowid, ref, text in _tuple_rows(
                    conn, f"SELECT rowid, ref, text FROM chunk_fts WHERE rowid IN ({_marks(len(ids))})", ids
                )
            }
            return [(str(found[r][0]), score, found[r][1]) for r, score in best if r in found]
        return [
            (str(ref), score, text)
            for ref, score, text in _tuple_rows(
                conn,
                "SELECT ref, -bm25(chunk_fts), text FROM chunk_fts WHERE chunk_fts MATCH ? ORDER BY rank LIMIT ?",
                (query, limit),
            )
        ]

    def _lexicon_best(self, conn: Connection, terms: list[str], limit: int) -> list[tuple[int, float]] | None:
        """:meth:`chunk_bm25_in`'s rows from :class:`_ChunkLexicon`, or None where FTS5 must
        answer: a term that is not one of the index's tokens as it stands (FTS5 would fold its case
        and accents, or split it), or an index without its averages record."""
        averages = _tuple_rows(conn, "SELECT block FROM chunk_fts_data WHERE id = 1", ())
        version = _tuple_rows(conn, "SELECT value FROM kb_meta WHERE key = 'version'", ())
        if not averages:
            return None
        key = (str(version[0][0]) if version else "", bytes(averages[0][0]))
        with self._lock:
            lexicon = self._lexicon
        if lexicon is None or lexicon.key != key or lexicon.size > MAX_POSTINGS:
            counts = varints(key[1])
            if not counts or counts[0] <= 0:
                return []  # no chunks
            lexicon = _ChunkLexicon(key, counts[0], sum(counts[1:]) / counts[0])
            with self._lock:
                self._lexicon = lexicon
        parts = []
        for term in dict.fromkeys(t.replace('"', "") for t in terms if t.replace('"', "")):
            found = lexicon.postings.get(term)
            if found is None:
                conn.execute(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunk_fts_instance"
                    " USING fts5vocab(main, chunk_fts, instance)"
                )
                rows = _tuple_rows(
                    conn,
                    "SELECT i.doc, i.n, d.sz FROM (SELECT doc, count(*) AS n FROM temp.chunk_fts_instance"
                    " WHERE term = ? GROUP BY doc) AS i JOIN chunk_fts_docsize AS d ON d.id = i.doc",
                    (term,),
                )
                if not rows:
                    return None
                with self._lock:
                    found = lexicon.add(term, rows)
            parts.append(found)
        return lexicon.best(parts, limit) if parts else []

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
            # word-major: each word of every code in one contiguous row (see hamming)
            snapshot = (version, np.array([rowid for rowid, _ in rows], dtype=np.int64), np.ascontiguousarray(codes.T))
            with self._lock:
                self._codes[kind] = snapshot
        _, ids, codes = snapshot
        distances = hamming(codes, np.frombuffer(code_blob, dtype=codes.dtype))
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
