"""The knowledge feature's search reads on PostgreSQL (:class:`~nura_appliance.storage.base.SearchStore`;
``storage/sqlite/search.py`` is the SQLite twin): BM25 over the ``tsvector`` tables and the
per-worker vector index, in PostgreSQL's own SQL.

Lexical: ``kb_fts`` / ``chunk_fts`` hold the same normalised text as the SQLite FTS5 tables, with a
GIN-indexed ``to_tsvector('simple', text)`` column. PostgreSQL finds the matching rows through the
index; the score is FTS5's BM25 (k1 = 1.2, b = 0.75, the same idf floor) computed here from the
row text, so the article tier's calibrated thresholds mean the same on both backends (``ts_rank``
is on another scale and would shift every confidence). The matching rows and their terms' row
counts are read in one round trip (a pipeline). The article tier reads the whole article index
once per knowledge version instead (``article_postings_in``: every row's terms, counted from its
text) and scores each message in memory with the same BM25, as it does on SQLite.

Vectors: pgvector is not assumed. Each worker keeps the ``kb_vectors`` rows of the current
knowledge version in memory (float32) and scores them with one matrix product; it reloads when
``kb_meta.version`` changes, which every knowledge write bumps.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from nura_appliance.storage.base import HIDDEN, ArticlePostings, Transaction
from nura_appliance.storage.postgres.db import PgConnection, own

T = TypeVar("T")
K1 = 1.2
B = 0.75
_STATS_TTL_SECONDS = 30.0
_MAX_MATCHES = 5000
# The tables BM25 runs over, each with the rows it may match (statement text, never user input).
_SOURCES = {
    "article": ("kb_fts", "ref, field, text", "kind = 'article'"),
    "article_all": ("kb_fts", "ref, field, text", "field = 'all'"),
    "chunk": ("chunk_fts", "ref, text", "true"),
}
_STATS_SQL = {
    table: "SELECT count(*) AS n, coalesce(avg(array_length(regexp_split_to_array(btrim(text), '\\s+'), 1)), 0)"
    f" AS avgdl FROM {table}"
    for table in ("kb_fts", "chunk_fts")
}
_MATCH_SQL = {
    name: f"SELECT {columns} FROM {table} WHERE tsv @@ to_tsquery('simple', %s) AND {where} LIMIT %s"
    for name, (table, columns, where) in _SOURCES.items()
}
_FREQUENCY_SQL = {
    table: f"SELECT t AS term, (SELECT count(*) FROM {table} WHERE tsv @@ to_tsquery('simple', quote_literal(t)))"
    " AS n FROM unnest(%s::text[]) AS t"
    for table in ("kb_fts", "chunk_fts")
}


def tsquery(terms: list[str]) -> str:
    """An OR tsquery of quoted lexemes (quoting makes any user text safe)."""
    quoted = ["'" + t.replace("'", "''").replace("\\", "") + "'" for t in dict.fromkeys(terms) if t.strip("'\\")]
    return " | ".join(quoted)


class _StatsCache:
    """Row count and average length per FTS table of one database (each store keeps its own),
    refreshed every 30 s (BM25 needs both; a slightly stale average changes scores negligibly and
    saves a table scan per query)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, int, float]] = {}
        self._lock = threading.Lock()

    def get(self, conn: PgConnection, table: str) -> tuple[int, float]:
        now = time.monotonic()
        with self._lock:
            cached = self._values.get(table)
        if cached and now - cached[0] < _STATS_TTL_SECONDS:
            return cached[1], cached[2]
        row = conn.sql(_STATS_SQL[table]).fetchall()[0]
        value = (now, int(row["n"]), float(row["avgdl"] or 0.0))
        with self._lock:
            self._values[table] = value
        return value[1], value[2]


def bm25(
    conn: PgConnection, stats: _StatsCache, source: str, terms: list[str], limit: int | None = None
) -> list[dict[str, Any]]:
    """Rows of ``source`` (see ``_SOURCES``) matching any of ``terms``, each with its indexed
    ``text`` and a positive BM25 ``score`` (what ``-bm25(table)`` gives in SQLite), best first."""
    unique = [t for t in dict.fromkeys(terms) if t.strip("'\\")]
    if not unique:
        return []
    table = _SOURCES[source][0]
    found: list[list[dict[str, Any]]] = conn.sql_pipeline(
        [(_MATCH_SQL[source], (tsquery(unique), _MAX_MATCHES)), (_FREQUENCY_SQL[table], (unique,))]
    )
    rows, counted = found
    if not rows:
        return []
    total, avgdl = stats.get(conn, table)
    frequency = {r["term"]: int(r["n"]) for r in counted}
    # The row count is cached for 30 s: right after an ingestion it may be below a term's count.
    total = max(total, *frequency.values(), 1)
    avgdl = avgdl or 1.0
    idf = {}
    for term in unique:
        n = frequency.get(term, 0)
        value = math.log((total - n + 0.5) / (n + 0.5))
        idf[term] = value if value > 0 else 1e-6
    wanted = set(unique)
    for row in rows:
        tokens = row["text"].split()
        counts = Counter(t for t in tokens if t in wanted)
        length = len(tokens) or 1
        row["score"] = sum(
            idf[t] * (tf * (K1 + 1)) / (tf + K1 * (1 - B + B * length / avgdl)) for t, tf in counts.items()
        )
    rows.sort(key=lambda r: -r["score"])
    return rows[:limit] if limit else rows


@dataclass
class _VectorSnapshot:
    version: str
    kinds: dict[str, tuple[list[str], np.ndarray]]  # kind → (refs per row, matrix)
    _rows: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def rows_of(self, kind: str) -> dict[str, list[int]]:
        """ref → its row numbers in ``kinds[kind]``'s matrix (built on first use)."""
        if kind not in self._rows:
            index: dict[str, list[int]] = {}
            for row, ref in enumerate(self.kinds[kind][0]):
                index.setdefault(ref, []).append(row)
            self._rows[kind] = index
        return self._rows[kind]


class VectorIndex:
    """The per-worker in-memory copy of ``kb_vectors`` (see the module docstring)."""

    def __init__(self) -> None:
        self._snapshot: _VectorSnapshot | None = None
        self._lock = threading.Lock()

    def _current(self, conn: PgConnection, version: str) -> _VectorSnapshot:
        snap = self._snapshot
        if snap is not None and snap.version == version:
            return snap
        with self._lock:
            if self._snapshot is not None and self._snapshot.version == version:
                return self._snapshot
            grouped: dict[str, tuple[list[str], list[np.ndarray]]] = {}
            for row in conn.sql("SELECT kind, ref, vector FROM kb_vectors ORDER BY id").fetchall():
                refs, vectors = grouped.setdefault(row["kind"], ([], []))
                refs.append(row["ref"])
                vectors.append(np.frombuffer(bytes(row["vector"]), dtype=np.float32))
            kinds = {}
            for kind, (refs, vectors) in grouped.items():
                dims = {v.shape[0] for v in vectors}
                if len(dims) == 1:
                    kinds[kind] = (refs, np.vstack(vectors))
            self._snapshot = _VectorSnapshot(version, kinds)
            return self._snapshot

    def cosines(
        self, conn: PgConnection, version: str, query: np.ndarray, kind: str, refs: Sequence[str]
    ) -> dict[str, float]:
        """The best cosine between ``query`` and the vectors of each ref (refs without any left out)."""
        snap = self._current(conn, version)
        if kind not in snap.kinds:
            return {}
        matrix = snap.kinds[kind][1]
        if matrix.shape[1] != query.shape[0]:
            return {}
        rows_of = snap.rows_of(kind)
        found: dict[str, float] = {}
        for ref in refs:
            rows = rows_of.get(ref)
            if rows:
                found[ref] = float(np.max(np.einsum("ij,j->i", matrix[rows], query.astype(np.float32))))
        return found

    def search(self, conn: PgConnection, version: str, query: np.ndarray, kind: str, count: int) -> dict[str, float]:
        """The best ``count`` refs of ``kind`` with their best item's cosine."""
        snap = self._current(conn, version)
        if kind not in snap.kinds:
            return {}
        refs, matrix = snap.kinds[kind]
        if matrix.shape[1] != query.shape[0]:
            return {}  # the index is being rebuilt for another embedding provider
        cosines = np.einsum("ij,j->i", matrix, query.astype(np.float32))  # no BLAS threads (see retrieval)
        best: dict[str, float] = {}
        for index in np.argsort(-cosines)[: count * 8]:
            ref = refs[int(index)]
            if ref not in best:
                best[ref] = float(cosines[index])
                if len(best) >= count:
                    break
        return best


_CHUNK_ROW = (
    "SELECT c.text, c.heading, c.unit, c.lang, d.title, coalesce(d.source_name, d.path) AS doc"
    " FROM handbook_chunks c JOIN handbook_docs d ON d.id = c.doc_id WHERE c.id = %s"
    " AND d.path NOT LIKE %s AND d.path NOT LIKE %s"
)
_CHUNK_STATS = (
    "SELECT count(*) AS n, coalesce(sum(array_length(regexp_split_to_array(btrim(text), '\\s+'), 1)), 0) AS t"
    " FROM chunk_fts"
)


def _chunk_ids(refs: Sequence[str]) -> list[int]:
    return [int(ref) for ref in refs if ref.isdigit()]


class PgSearchStore:
    def __init__(self, db: Any) -> None:
        self.db = db
        self._stats = _StatsCache()
        # The worker's in-memory copy of kb_vectors: one search store per database (stores_for).
        self._vectors = VectorIndex()

    async def read(self, fn: Callable[[Any], T]) -> T:
        result: T = await self.db.read(fn)
        return result

    def meta_in(self, conn: Transaction, key: str) -> str | None:
        conn = own(conn)
        rows = conn.sql("SELECT value FROM kb_meta WHERE key = %s", (key,)).fetchall()
        return rows[0]["value"] if rows else None

    # -- the article tier ----------------------------------------------------------------------
    def article_items_in(self, conn: Transaction) -> list[tuple[str, str, bytes]]:
        conn = own(conn)
        rows = conn.sql(
            "SELECT ref, field, vector FROM kb_vectors WHERE kind = 'article' ORDER BY ref COLLATE \"C\", id"
        )
        return [(r["ref"], r["field"], bytes(r["vector"])) for r in rows.fetchall()]

    def article_fields_in(self, conn: Transaction) -> list[tuple[str, str, str]]:
        conn = own(conn)
        rows = conn.sql("SELECT ref, field, text FROM kb_fts WHERE kind = 'article' AND field <> 'all'").fetchall()
        return [(r["ref"], r["field"], r["text"]) for r in rows]

    def article_postings_in(self, conn: Transaction) -> ArticlePostings | None:
        # The tsvector index holds no term counts, but the row text is the indexed terms, space
        # separated (what ``bm25`` counts per query): read once per knowledge version, the
        # article tier scores every message in memory, as on SQLite (no query per message).
        conn = own(conn)
        rows = conn.sql("SELECT rowid, kind, ref, field, text FROM kb_fts ORDER BY rowid").fetchall()
        return ArticlePostings(
            [(r["rowid"], r["kind"], r["ref"], r["field"]) for r in rows],
            [(term, r["rowid"], count) for r in rows for term, count in Counter(r["text"].split()).items()],
        )

    def article_bm25_in(self, conn: Transaction, terms: list[str]) -> list[tuple[str, str, float]]:
        conn = own(conn)
        return [(r["ref"], r["field"], r["score"]) for r in bm25(conn, self._stats, "article", terms)]

    def indexed_terms_in(self, conn: Transaction, words: list[str]) -> set[str]:
        conn = own(conn)
        if not words:
            return set()
        rows = conn.sql(
            "SELECT t FROM unnest(%s::text[]) AS t WHERE EXISTS"
            " (SELECT 1 FROM kb_fts WHERE tsv @@ to_tsquery('simple', quote_literal(t)))",
            (list(words),),
        ).fetchall()
        return {r["t"] for r in rows}

    # -- the handbook search -------------------------------------------------------------------
    def chunk_stats_in(self, conn: Transaction) -> tuple[int, float, bool]:
        conn = own(conn)
        row = conn.sql(_CHUNK_STATS).fetchall()[0]
        chunks = int(row["n"])
        return chunks, (float(row["t"]) / chunks if chunks else 1.0), True

    def chunk_frequencies_in(self, conn: Transaction, terms: list[str]) -> dict[str, int]:
        conn = own(conn)
        unique = list(dict.fromkeys(terms))
        if not unique:
            return {}
        found = {r["term"]: int(r["n"]) for r in conn.sql(_FREQUENCY_SQL["chunk_fts"], (unique,)).fetchall()}
        return {t: found.get(t, 0) for t in terms}

    def chunk_count_in(self, conn: Transaction) -> int:
        conn = own(conn)
        return int(conn.sql("SELECT count(*) AS n FROM chunk_fts").fetchall()[0]["n"])

    def chunk_bm25_in(self, conn: Transaction, terms: list[str], limit: int) -> list[tuple[str, float, str]]:
        conn = own(conn)
        if limit <= 0:
            return []
        return [(str(r["ref"]), r["score"], r["text"]) for r in bm25(conn, self._stats, "chunk", terms, limit)]

    def chunk_terms_in(self, conn: Transaction, refs: Sequence[str]) -> dict[str, str]:
        conn = own(conn)
        wanted = [str(i) for i in _chunk_ids(refs)]
        if not wanted:
            return {}
        rows = conn.sql("SELECT ref, text FROM chunk_fts WHERE ref = ANY(%s)", (wanted,)).fetchall()
        return {r["ref"]: r["text"] for r in rows}

    def chunk_texts_in(self, conn: Transaction, refs: Sequence[str]) -> dict[str, str]:
        conn = own(conn)
        ids = _chunk_ids(refs)
        if not ids:
            return {}
        rows = conn.sql("SELECT id, text FROM handbook_chunks WHERE id = ANY(%s)", (ids,)).fetchall()
        return {str(r["id"]): r["text"] or "" for r in rows}

    def chunk_row_in(self, conn: Transaction, ref: str) -> dict[str, Any] | None:
        conn = own(conn)
        if not ref.isdigit():
            return None
        rows = conn.sql(_CHUNK_ROW, (int(ref), *HIDDEN)).fetchall()
        return rows[0] if rows else None

    def handbook_vocabulary_in(self, conn: Transaction) -> list[str]:
        conn = own(conn)
        return [str(r["term"]) for r in conn.sql("SELECT word AS term FROM ts_stat('SELECT tsv FROM chunk_fts')")]

    def article_matches_in(self, conn: Transaction, terms: list[str], limit: int) -> list[tuple[str, float, str]]:
        conn = own(conn)
        if limit <= 0:
            return []
        return [(r["ref"], r["score"], r["text"]) for r in bm25(conn, self._stats, "article_all", terms, limit)]

    def article_documents_in(self, conn: Transaction, refs: Sequence[str]) -> dict[str, str]:
        conn = own(conn)
        if not refs:
            return {}
        rows = conn.sql(
            "SELECT ref, text FROM kb_fts WHERE kind = 'article' AND field = 'all' AND ref = ANY(%s)", (list(refs),)
        ).fetchall()
        return {r["ref"]: r["text"] for r in rows}

    def article_row_in(self, conn: Transaction, article_id: str) -> tuple[str, str] | None:
        conn = own(conn)
        rows = conn.sql("SELECT title, body FROM articles WHERE id = %s", (article_id,)).fetchall()
        return (rows[0]["title"], rows[0]["body"]) if rows else None

    def article_sources_in(self, conn: Transaction) -> list[dict[str, Any]]:
        conn = own(conn)
        rows: list[dict[str, Any]] = conn.sql(
            'SELECT id, title, body, examples FROM articles ORDER BY id COLLATE "C"'
        ).fetchall()
        return rows

    # -- vectors -------------------------------------------------------------------------------
    def has_vectors_in(self, conn: Transaction) -> bool:
        return True  # every worker's in-memory index

    def nearest_in(
        self, conn: Transaction, kind: str, query: np.ndarray, coarse_query: np.ndarray, count: int, version: str
    ) -> dict[str, float]:
        conn = own(conn)
        return self._vectors.search(conn, version, query, kind, count)

    def cosines_in(self, conn: Transaction, kind: str, refs: Sequence[str], query: np.ndarray) -> dict[str, float]:
        conn = own(conn)
        if not refs:
            return {}
        version = self.meta_in(conn, "version") or "0"
        return self._vectors.cosines(conn, version, query, kind, refs)
