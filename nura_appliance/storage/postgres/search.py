"""The PostgreSQL side of retrieval: BM25 over the ``tsvector`` tables and the per-worker vector
index, behind the knowledge retriever's existing interface.

Lexical: ``kb_fts`` / ``chunk_fts`` hold the same normalised text as the SQLite FTS5 tables, with a
GIN-indexed ``to_tsvector('simple', text)`` column. PostgreSQL finds the matching rows through the
index; the score is FTS5's BM25 (k1 = 1.2, b = 0.75, the same idf floor) computed here from the
row text, so the article tier's calibrated thresholds mean the same on both backends (``ts_rank``
is on another scale and would shift every confidence).

Vectors: pgvector is not assumed. Each worker keeps the ``kb_vectors`` rows of the current
knowledge version in memory (float32) and scores them with one matrix product; it reloads when
``kb_meta.version`` changes, which every knowledge write bumps.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

K1 = 1.2
B = 0.75
_STATS_TTL_SECONDS = 30.0
_MAX_MATCHES = 5000


def tsquery(terms: list[str]) -> str:
    """An OR tsquery of quoted lexemes (quoting makes any user text safe)."""
    quoted = ["'" + t.replace("'", "''").replace("\\", "") + "'" for t in dict.fromkeys(terms) if t.strip("'\\")]
    return " | ".join(quoted)


class _StatsCache:
    """Row count and average length per FTS table, refreshed every 30 s (BM25 needs both; a
    slightly stale average changes scores negligibly and saves a table scan per query)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, int, float]] = {}
        self._lock = threading.Lock()

    def get(self, conn: Any, table: str) -> tuple[int, float]:
        now = time.monotonic()
        with self._lock:
            cached = self._values.get(table)
        if cached and now - cached[0] < _STATS_TTL_SECONDS:
            return cached[1], cached[2]
        row = conn.execute(
            f"SELECT count(*) AS n, coalesce(avg(array_length(regexp_split_to_array(btrim(text), '\\s+'), 1)), 0)"
            f" AS avgdl FROM {table}"
        ).fetchall()[0]
        value = (now, int(row["n"]), float(row["avgdl"] or 0.0))
        with self._lock:
            self._values[table] = value
        return value[1], value[2]


_STATS = _StatsCache()


def bm25(
    conn: Any,
    table: str,
    terms: list[str],
    *,
    columns: tuple[str, ...],
    where: str = "",
    limit: int | None = None,
    keep_text: bool = False,
) -> list[dict[str, Any]]:
    """Rows of ``table`` matching any of ``terms`` with ``columns`` and a positive BM25 ``score``
    (what ``-bm25(table)`` gives in SQLite), best first; with ``keep_text`` each row keeps its
    indexed ``text`` (the handbook retriever re-scores and reads the terms)."""
    unique = [t for t in dict.fromkeys(terms) if t.strip("'\\")]
    if not unique:
        return []
    query = tsquery(unique)
    extra = f" AND ({where})" if where else ""
    rows = conn.execute(
        f"SELECT {', '.join(columns)}, text FROM {table} WHERE tsv @@ to_tsquery('simple', ?){extra} LIMIT ?",
        (query, _MAX_MATCHES),
    ).fetchall()
    if not rows:
        return []
    total, avgdl = _STATS.get(conn, table)
    frequency = {
        r["term"]: int(r["n"])
        for r in conn.execute(
            f"SELECT t AS term, (SELECT count(*) FROM {table} WHERE tsv @@ to_tsquery('simple', quote_literal(t)))"
            " AS n FROM unnest(?::text[]) AS t",
            (unique,),
        ).fetchall()
    }
    # The row count is cached for 30 s: right after an ingestion it may be below a term's count.
    total = max(total, *frequency.values(), 1)
    avgdl = avgdl or 1.0
    idf = {}
    for term in unique:
        n = frequency.get(term, 0)
        value = math.log((total - n + 0.5) / (n + 0.5))
        idf[term] = value if value > 0 else 1e-6
    wanted = set(unique)
    scored = []
    for row in rows:
        tokens = (row["text"] if keep_text else row.pop("text")).split()
        counts = Counter(t for t in tokens if t in wanted)
        length = len(tokens) or 1
        score = sum(idf[t] * (tf * (K1 + 1)) / (tf + K1 * (1 - B + B * length / avgdl)) for t, tf in counts.items())
        row["score"] = score
        scored.append(row)
    scored.sort(key=lambda r: -r["score"])
    return scored[:limit] if limit else scored


def document_frequencies(conn: Any, table: str, terms: list[str]) -> tuple[dict[str, int], int]:
    """``({term: rows holding it}, row count)`` of ``table`` (what ``chunk_fts_vocab`` gives in
    SQLite)."""
    unique = [t for t in dict.fromkeys(terms) if t.strip("'\\")]
    # Counted, not the 30-second cache: the handbook's size decides every weight (and the
    # relevance must match SQLite's right after an ingestion).
    total = int(conn.execute(f"SELECT count(*) AS n FROM {table}").fetchall()[0]["n"])
    if not unique:
        return {}, total
    rows = conn.execute(
        f"SELECT t AS term, (SELECT count(*) FROM {table} WHERE tsv @@ to_tsquery('simple', quote_literal(t)))"
        " AS n FROM unnest(?::text[]) AS t",
        (unique,),
    ).fetchall()
    counts = {r["term"]: int(r["n"]) for r in rows}
    return counts, max(total, *counts.values(), 0)  # the cached count may predate an ingestion


def average_length(conn: Any, table: str) -> float:
    """Average row length of ``table`` in terms (BM25's avgdl)."""
    return _STATS.get(conn, table)[1] or 1.0


def known_terms(conn: Any, words: list[str]) -> set[str]:
    """Which ``words`` occur anywhere in the article index (the fts5vocab lookup)."""
    if not words:
        return set()
    return {
        r["t"]
        for r in conn.execute(
            "SELECT t FROM unnest(?::text[]) AS t WHERE EXISTS"
            " (SELECT 1 FROM kb_fts WHERE tsv @@ to_tsquery('simple', quote_literal(t)))",
            (list(words),),
        ).fetchall()
    }


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

    def _current(self, conn: Any) -> _VectorSnapshot:
        rows = conn.execute("SELECT value FROM kb_meta WHERE key = 'version'").fetchall()
        version = rows[0]["value"] if rows else "0"
        snap = self._snapshot
        if snap is not None and snap.version == version:
            return snap
        with self._lock:
            if self._snapshot is not None and self._snapshot.version == version:
                return self._snapshot
            grouped: dict[str, tuple[list[str], list[np.ndarray]]] = {}
            for row in conn.execute("SELECT kind, ref, vector FROM kb_vectors ORDER BY id").fetchall():
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

    def cosine(self, conn: Any, query: np.ndarray, kind: str, ref: str) -> float | None:
        """The best cosine between ``query`` and the vectors of one ref (None when it has none)."""
        snap = self._current(conn)
        if kind not in snap.kinds:
            return None
        refs, matrix = snap.kinds[kind]
        if matrix.shape[1] != query.shape[0]:
            return None
        rows = snap.rows_of(kind).get(ref)
        if not rows:
            return None
        return float(np.max(np.einsum("ij,j->i", matrix[rows], query.astype(np.float32))))

    def search(self, conn: Any, query: np.ndarray, kinds: tuple[str, ...], pool: int) -> list[tuple[str, str, float]]:
        """``(kind, ref, cosine)`` of the best ``pool`` refs per kind (best item per ref)."""
        snap = self._current(conn)
        found: list[tuple[str, str, float]] = []
        for kind in kinds:
            if kind not in snap.kinds:
                continue
            refs, matrix = snap.kinds[kind]
            if matrix.shape[1] != query.shape[0]:
                continue  # the index is being rebuilt for another embedding provider
            cosines = np.einsum("ij,j->i", matrix, query.astype(np.float32))  # no BLAS threads (see retrieval)
            best: dict[str, float] = {}
            for index in np.argsort(-cosines)[: pool * 8]:
                ref = refs[int(index)]
                if ref not in best:
                    best[ref] = float(cosines[index])
                    if len(best) >= pool:
                        break
            found += [(kind, ref, cos) for ref, cos in best.items()]
        return found
