"""Article decisions and hybrid search (BM25 over FTS5 + vectors over sqlite-vec).

:class:`ArticleMatcher` is the pipeline's article tier. For one message it scores every article
from five signals, fuses them linearly and turns the best score and its margin over the runner-up
into a calibrated confidence in [0, 1]:

* ``vmax`` — best cosine between the message and any item of the article (title, example,
  keyword, body sentence, any language);
* ``v2`` — the second-best item cosine (an article matched by two items is more credible);
* ``centroid`` — cosine with the mean of all the article's item vectors (its overall topic);
* ``bm25_item`` / ``bm25_article`` — FTS5 BM25 over the light-stemmed items and over the
  article as one document (IDF across articles makes rare topic words count).

The fusion weights and the calibration were chosen on the evaluation set as a whole with a
held-out split, with and without example questions in the pack (docs/KNOWLEDGE.md); the
answer/ambiguous thresholds are settings.

:class:`HybridRetriever` (``ctx.services["retriever"]``) ranks handbook chunks and articles by
reciprocal rank fusion of FTS5 and vector results; vectors are found by a binary-quantised
sqlite-vec scan and re-scored in float32.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import apsw
import numpy as np

from nura_appliance.knowledge.embedding import BuiltinEmbedder, Embedder
from nura_appliance.knowledge.indexer import coarse, from_blob, to_blob
from nura_appliance.knowledge.normalize import index_terms
from nura_appliance.knowledge.pack import pick_text
from nura_appliance.storage.postgres import search as pg_search
from nura_appliance.storage.sqlite.db import Database

# Fusion weights and calibration (see the module docstring and docs/KNOWLEDGE.md).
W_VMAX, W_V2, W_CENTROID, W_BM25_ITEM, W_BM25_ARTICLE = 1.0, 0.2, 0.4, 0.4, 0.4
BM25_DAMPING = 3.0  # bm25 / (best + damping): a weak lexical best match stays small
CAL_BIAS, CAL_SCORE, CAL_MARGIN, CAL_KNOWN = -6.0, 5.7, 6.3, 0.0
RRF_K = 60


def _as_tuple(cursor: apsw.Cursor, row: tuple[Any, ...]) -> tuple[Any, ...]:
    return row


def _best_per_article(snap: _Snapshot, rows: list[tuple[str, str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Best BM25 per article from ``(ref, field, score)`` rows: over its items, and as one document."""
    position = snap.position
    bm_item, bm_article = np.zeros(len(snap.article_ids)), np.zeros(len(snap.article_ids))
    for ref, kind, score in rows:
        index = position.get(ref)
        if index is None:
            continue
        target = bm_article if kind == "all" else bm_item
        if score > target[index]:
            target[index] = score
    return bm_item, bm_article


def dot_rows(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` without BLAS: for one query vector numpy's einsum loop is as fast, and
    it does not wake OpenBLAS's thread pool, which on a busy 2-core machine made a 2k × 384
    product take 30 ms instead of 0.3 ms (measured)."""
    return np.einsum("ij,j->i", matrix, vector)


@dataclass
class Candidate:
    article_id: str
    score: float
    coverage: float = 0.0


@dataclass
class Decision:
    """What the article tier decided for one message."""

    kind: str  # "article" | "ambiguous" | "none"
    confidence: float
    article_id: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    signals: dict[str, float] = field(default_factory=dict)
    version: str | None = None  # the knowledge version it was decided on


@dataclass
class Hit:
    """One search result (the ``retriever`` contract)."""

    kind: str  # "chunk" | "article"
    ref: str
    title: str
    text: str
    score: float
    tier: str  # "fts" | "vector" | "hybrid"
    doc: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "title": self.title,
            "text": self.text,
            "score": self.score,
            "tier": self.tier,
            "doc": self.doc,
        }


def fts_query(terms: list[str]) -> str:
    """An FTS5 OR-query of quoted terms (quotes make any user text safe to MATCH)."""
    return " OR ".join('"' + t.replace('"', "") + '"' for t in dict.fromkeys(terms) if t.replace('"', ""))


MAX_QUERY_TERMS = 8


def knowledge_version(conn: apsw.Connection) -> str:
    """The knowledge version ``conn`` sees; every change of articles or handbook bumps it, and the
    in-memory indexes (article snapshot, binary codes, term frequencies) are kept per version."""
    rows = conn.execute("SELECT value FROM kb_meta WHERE key = 'version'").fetchall()
    return rows[0]["value"] if rows else "0"


class ChunkFrequencies:
    """How many handbook chunks hold each term (FTS5's ``chunk_fts_vocab``), remembered per
    knowledge version.

    fts5vocab counts a term's documents by walking its whole posting list, so looking up one
    common word in a 50k-chunk handbook took milliseconds (p99 6.6 ms for a question's terms);
    customers' words repeat, so each is counted once per version. Terms the handbook lacks are
    remembered as 0. Every ingestion bumps the version."""

    def __init__(self, max_terms: int = 50_000) -> None:
        self.max_terms = max_terms
        self._version: str | None = None
        self._counts: dict[str, int] = {}
        self._chunks = 0
        self._has_vocab = False
        self._lock = threading.Lock()

    def lookup(self, conn: apsw.Connection, version: str, terms: list[str]) -> tuple[dict[str, int], int] | None:
        """``({term: chunks holding it}, chunk count)`` under knowledge ``version``, or None
        without the vocabulary table."""
        with self._lock:
            if version != self._version or len(self._counts) > self.max_terms:
                self._version, self._counts = version, {}
                self._has_vocab = bool(
                    conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'chunk_fts_vocab'").fetchall()
                )
                self._chunks = conn.execute("SELECT coalesce(max(rowid), 0) AS n FROM chunk_fts").fetchall()[0]["n"]
            if not self._has_vocab:
                return None
            known = {t: self._counts[t] for t in terms if t in self._counts}
            chunks = self._chunks
        missing = [t for t in terms if t not in known]
        if missing:
            marks = ",".join("?" * len(missing))
            found = {
                r["term"]: r["doc"]
                for r in conn.execute(f"SELECT term, doc FROM chunk_fts_vocab WHERE term IN ({marks})", missing)
            }
            fresh = {t: int(found.get(t, 0)) for t in missing}
            with self._lock:
                if self._version == version:
                    self._counts.update(fresh)
            known.update(fresh)
        return known, chunks


def selective_terms(conn: apsw.Connection, terms: list[str], frequencies: ChunkFrequencies, version: str) -> list[str]:
    """The query terms worth a BM25 pass over handbook chunks.

    BM25 must score every chunk that contains any query term, so one very common word in a large
    handbook costs thousands of postings while adding almost nothing to the ranking. Terms found
    in more than 5 % of the chunks (at least 500) are dropped, the rest capped at the 8 rarest;
    when every term is common the two rarest are kept.
    """
    unique = list(dict.fromkeys(terms))
    looked_up = frequencies.lookup(conn, version, unique) if unique else None
    if looked_up is None:
        return unique[:MAX_QUERY_TERMS]
    counts, total = looked_up
    present = sorted((counts[t], t) for t in unique if counts.get(t))
    if not present:
        return []
    limit = max(500, total // 20)
    kept = [t for n, t in present if n <= limit][:MAX_QUERY_TERMS]
    return kept or [t for _, t in present[:2]]


BM25_K1, BM25_B = 1.2, 0.75  # FTS5's bm25() constants


@dataclass
class _Lexicon:
    """The article rows of ``kb_fts`` as an in-memory inverted index, scored exactly as FTS5's
    ``bm25()`` scores them (same k1, b, IDF floor, row count and average length — the postings
    are read from FTS5 itself through an fts5vocab ``instance`` table).

    An OR query over a few common words made SQLite score hundreds of rows and Python turn each
    into a dict: the largest cost of a message the decision cache had not seen (PERFORMANCE.md).
    Here it is a few numpy operations over the postings of the message's terms."""

    postings: dict[str, tuple[np.ndarray, np.ndarray]]  # term → (row positions, term frequencies)
    row_article: np.ndarray  # row position → article index, -1 for rows of no known article
    row_whole: np.ndarray  # row position → True for the article-as-one-document row (field 'all')
    length_norm: np.ndarray  # row position → k1 · (1 − b + b · length / average length)
    rows: int  # rows in kb_fts (FTS5's N)

    def idf(self, hits: int) -> float:
        value = math.log((self.rows - hits + 0.5) / (hits + 0.5))
        return value if value > 0 else 1e-6

    def score(self, terms: list[str], articles: int) -> tuple[np.ndarray, np.ndarray]:
        """Best BM25 per article over its item rows and over its whole-article row."""
        total = np.zeros(len(self.row_article))
        for term in dict.fromkeys(terms):
            found = self.postings.get(term)
            if found is None:
                continue
            at, tf = found
            total[at] += self.idf(len(at)) * tf * (BM25_K1 + 1) / (tf + self.length_norm[at])
        hit = np.flatnonzero(total)
        owner = self.row_article[hit]
        known = owner >= 0
        hit, owner = hit[known], owner[known]
        whole = self.row_whole[hit]
        bm_item, bm_article = np.zeros(articles), np.zeros(articles)
        np.maximum.at(bm_item, owner[~whole], total[hit[~whole]])
        np.maximum.at(bm_article, owner[whole], total[hit[whole]])
        return bm_item, bm_article


def _load_lexicon(conn: apsw.Connection, position: dict[str, int]) -> _Lexicon | None:
    """Build the :class:`_Lexicon` from FTS5's own index, or None where that cannot be read (the
    matcher then asks FTS5 per message)."""
    try:
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.kb_fts_instance USING fts5vocab(main, kb_fts, instance)")
        cursor = conn.cursor()
        cursor.row_trace = _as_tuple
        meta = cursor.execute("SELECT rowid, kind, ref, field FROM kb_fts ORDER BY rowid").fetchall()
        cursor = conn.cursor()
        cursor.row_trace = _as_tuple
        counts = cursor.execute("SELECT term, doc, count(*) FROM temp.kb_fts_instance GROUP BY term, doc").fetchall()
    except apsw.Error:
        return None
    row_of = {rowid: i for i, (rowid, _, _, _) in enumerate(meta)}
    row_article = np.array(
        [position.get(ref, -1) if kind == "article" else -1 for _, kind, ref, _ in meta], dtype=np.int64
    )
    row_whole = np.array([field == "all" for _, _, _, field in meta], dtype=bool)
    lengths = np.zeros(len(meta))
    grouped: dict[str, tuple[list[int], list[int]]] = {}
    for term, doc, tf in counts:
        at = row_of.get(doc)
        if at is None:
            continue
        lengths[at] += tf
        rows, freqs = grouped.setdefault(term, ([], []))
        rows.append(at)
        freqs.append(tf)
    average = lengths.mean() if len(meta) else 1.0
    postings = {
        term: (np.array(rows, dtype=np.int64), np.array(freqs, dtype=np.float64))
        for term, (rows, freqs) in grouped.items()
    }
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / (average or 1.0))
    return _Lexicon(postings, row_article, row_whole, norm, len(meta))


@dataclass
class _Snapshot:
    version: str
    space: str
    article_ids: list[str]
    item_article: np.ndarray  # item row → article index
    vectors: np.ndarray  # (items, dim)
    centroids: np.ndarray  # (articles, dim)
    starts: np.ndarray  # first item row of each article (rows are grouped by article)
    # Whether a word occurs anywhere in the article index, learnt per word for this version (the
    # fts5vocab lookup was a second query on every message).
    vocab: dict[str, bool] = field(default_factory=dict)
    position: dict[str, int] = field(default_factory=dict)  # article id → index
    lexicon: _Lexicon | None = None  # SQLite only; the other stores are asked per message

    def __post_init__(self) -> None:
        self.position = {a: i for i, a in enumerate(self.article_ids)}


def _load_snapshot(conn: apsw.Connection, version: str) -> _Snapshot:
    rows = list(conn.execute("SELECT ref, vector FROM kb_vectors WHERE kind = 'article' ORDER BY ref, id"))
    space_row = list(conn.execute("SELECT value FROM kb_meta WHERE key = 'vector_space'"))
    article_ids = sorted({r["ref"] for r in rows})
    position = {a: i for i, a in enumerate(article_ids)}
    if not rows:
        empty = np.zeros((0, 1), dtype=np.float32)
        return _Snapshot(version, "", [], np.zeros(0, dtype=np.int64), empty, empty, np.zeros(0, dtype=np.int64))
    vectors = np.vstack([from_blob(r["vector"]) for r in rows])
    item_article = np.array([position[r["ref"]] for r in rows], dtype=np.int64)
    centroids = np.zeros((len(article_ids), vectors.shape[1]), dtype=np.float32)
    np.add.at(centroids, item_article, vectors)
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    starts = np.flatnonzero(np.r_[True, item_article[1:] != item_article[:-1]])
    snap = _Snapshot(
        version,
        space_row[0]["value"] if space_row else "",
        article_ids,
        item_article,
        vectors,
        centroids / norms,
        starts,
    )
    if getattr(conn, "dialect", "sqlite") == "sqlite":
        snap.lexicon = _load_lexicon(conn, snap.position)
    return snap


class ArticleMatcher:
    """The article tier: scores articles and decides answer / ambiguous / none."""

    def __init__(
        self, db: Database, *, answer_threshold: float, ambiguous_threshold: float, embedder: Embedder | None = None
    ) -> None:
        self.db = db
        self.answer_threshold = answer_threshold
        self.ambiguous_threshold = ambiguous_threshold
        self.embedder: Embedder = embedder or BuiltinEmbedder()
        self._snapshot: _Snapshot | None = None

    def _snapshot_in(self, conn: apsw.Connection) -> _Snapshot:
        """The article index for the knowledge version ``conn`` sees (reloaded when it changed)."""
        version = knowledge_version(conn)
        snap = self._snapshot
        if snap is None or snap.version != version:
            snap = self._snapshot = _load_snapshot(conn, version)
        return snap

    def _lexical(
        self, conn: apsw.Connection, snap: _Snapshot, terms: list[str], *, use_lexicon: bool = True
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Best BM25 per article over its items and as one document, and the share of the
        message's words the index knows at all."""
        n = len(snap.article_ids)
        if not terms:
            return np.zeros(n), np.zeros(n), 0.0
        words = list(dict.fromkeys(t for t in terms if not t.startswith("kc")))
        lexicon = snap.lexicon if use_lexicon else None
        if lexicon is not None:
            bm_item, bm_article = lexicon.score(terms, n)
            known = sum(1 for w in words if w in lexicon.postings) / len(words) if words else 1.0
            return bm_item, bm_article, known
        if getattr(conn, "dialect", "sqlite") == "postgres":  # scale-out: tsvector tables, same BM25
            found = pg_search.bm25(conn, "kb_fts", terms, columns=("ref", "field"), where="kind = 'article'")
            bm_item, bm_article = _best_per_article(snap, [(r["ref"], r["field"], r["score"]) for r in found])
            return bm_item, bm_article, (len(pg_search.known_terms(conn, words)) / len(words) if words else 1.0)
        cursor = conn.cursor()
        cursor.row_trace = _as_tuple  # hundreds of rows: no per-row dict (the connection's default)
        rows = cursor.execute(
            "SELECT ref, field, -bm25(kb_fts) FROM kb_fts WHERE kb_fts MATCH ? AND kind = 'article'",
            (fts_query(terms),),
        ).fetchall()
        bm_item, bm_article = _best_per_article(snap, rows)
        if not words:
            return bm_item, bm_article, 1.0
        vocab = snap.vocab
        unseen = [w for w in words if w not in vocab]
        if unseen:
            if len(vocab) > 50_000:  # bound memory against floods of made-up words
                vocab.clear()
            marks = ",".join("?" * len(unseen))
            known = {r["term"] for r in conn.execute(f"SELECT term FROM kb_fts_vocab WHERE term IN ({marks})", unseen)}
            for word in unseen:
                vocab[word] = word in known
        return bm_item, bm_article, sum(1 for w in words if vocab.get(w)) / len(words)

    async def scores(self, text: str) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        """Fused score per article (and the raw signals) for one message."""
        return (await self._versioned_scores(text))[1]

    async def _versioned_scores(
        self, text: str
    ) -> tuple[str | None, tuple[list[str], np.ndarray, dict[str, np.ndarray]]]:
        """The knowledge version the scores were computed on, and the scores.

        The version check, the BM25 query, the built-in embedding and the fusion run together on
        a reader thread: one hop, and no CPU-heavy work on the event loop."""
        terms = index_terms(text)
        builtin = isinstance(self.embedder, BuiltinEmbedder)

        def work(conn: apsw.Connection) -> tuple[_Snapshot, Any]:
            snap = self._snapshot_in(conn)
            if not snap.article_ids:
                return snap, None
            lexical = self._lexical(conn, snap, terms)
            if not builtin:
                return snap, lexical
            return snap, self._fuse(snap, lexical, self.embedder.embed([text])[0])

        snap, result = await self.db.read(work)
        if result is None:
            return snap.version, ([], np.zeros(0), {})
        if not builtin:  # a provider may do network I/O: embed outside the reader pool
            query = (await asyncio.to_thread(self.embedder.embed, [text]))[0]
            result = self._fuse(snap, result, query)
        return snap.version, result

    @staticmethod
    def _fuse(
        snap: _Snapshot, lexical: tuple[np.ndarray, np.ndarray, float], query: np.ndarray
    ) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        n = len(snap.article_ids)
        if query.shape[0] != snap.vectors.shape[1]:
            vmax = v2 = centroid = np.zeros(n)  # the index is being rebuilt for another provider
        else:
            cosines = dot_rows(snap.vectors, query)
            # Items are stored grouped by article (``starts`` marks each group), so the best and
            # second-best item per article are two reductions, no sort and no Python loop.
            vmax = np.maximum.reduceat(cosines, snap.starts).astype(np.float64)
            masked = np.where(cosines >= vmax[snap.item_article], -2.0, cosines)
            v2 = np.maximum.reduceat(masked, snap.starts).astype(np.float64)
            v2 = np.where(v2 < -1.5, -1.0, v2)
            v2 = np.where(v2 < -0.5, vmax, v2)
            centroid = dot_rows(snap.centroids, query)
        bm_item, bm_article, known = lexical
        signals = {
            "vmax": vmax,
            "v2": v2,
            "centroid": centroid,
            "bm25_item": bm_item / (bm_item.max() + BM25_DAMPING),
            "bm25_article": bm_article / (bm_article.max() + BM25_DAMPING),
            "known": np.full(n, known),
        }
        fused = (
            W_VMAX * vmax
            + W_V2 * v2
            + W_CENTROID * centroid
            + W_BM25_ITEM * signals["bm25_item"]
            + W_BM25_ARTICLE * signals["bm25_article"]
        )
        return snap.article_ids, fused, signals

    @staticmethod
    def calibrate(best: float, margin: float, known: float) -> float:
        """Confidence in [0, 1] from the best fused score, its margin over the runner-up and the
        share of the message's words that occur anywhere in the knowledge (logistic)."""
        z = CAL_BIAS + CAL_SCORE * best + CAL_MARGIN * margin + CAL_KNOWN * known
        return 1.0 / (1.0 + math.exp(-z))

    async def decide(self, text: str, lang: str) -> Decision:
        """Answer with one article, offer candidates (ambiguous) or nothing (out of scope)."""
        version, (article_ids, fused, signals) = await self._versioned_scores(text)
        if not article_ids or not index_terms(text) and not text.strip():
            return Decision("none", 0.0, version=version)
        order = np.argsort(-fused, kind="stable")
        best = float(fused[order[0]])
        runner = float(fused[order[1]]) if len(order) > 1 else 0.0
        known = float(signals["known"][0])
        confidence = round(self.calibrate(best, best - runner, known), 3)
        candidates = [
            Candidate(article_ids[i], round(float(fused[i]), 4), round(float(signals["vmax"][i]), 4)) for i in order[:5]
        ]
        detail = {"best": round(best, 4), "margin": round(best - runner, 4), "known": round(known, 3)}
        if confidence >= self.answer_threshold:
            return Decision("article", confidence, candidates[0].article_id, candidates, detail, version)
        if confidence >= self.ambiguous_threshold:
            return Decision("ambiguous", confidence, None, candidates[:3], detail, version)
        return Decision("none", confidence, None, candidates, detail, version)


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


class HybridRetriever:
    """``ctx.services["retriever"]``: hybrid search over handbook chunks and articles."""

    def __init__(self, db: Database, embedder: Embedder | None = None, *, oversample: int = 8) -> None:
        self.db = db
        self.embedder: Embedder = embedder or BuiltinEmbedder()
        self.oversample = oversample
        self._down_until = 0.0
        self._codes: dict[str, tuple[str, np.ndarray, np.ndarray]] = {}
        self._frequencies = ChunkFrequencies()
        self._lock = threading.Lock()

    def search_sync(
        self,
        conn: apsw.Connection,
        text: str,
        query: np.ndarray | None,
        k: int,
        kinds: tuple[str, ...],
        lang: str = "ar",
    ) -> list[Hit]:
        """The search on one connection (used by the async API, the CLI and the benchmark)."""
        terms = index_terms(text)
        pool = max(k * 4, 20)
        lexical: list[tuple[str, str, float]] = []  # (kind, ref, bm25)
        if getattr(conn, "dialect", "sqlite") == "postgres":
            return self._search_postgres(conn, terms, query, k, kinds, lang, pool)
        version = knowledge_version(conn)
        if terms:
            match = fts_query(terms)
            chunk_terms = selective_terms(conn, terms, self._frequencies, version) if "chunk" in kinds else []
            if chunk_terms:
                lexical += [
                    ("chunk", r["ref"], r["s"])
                    for r in conn.execute(
                        "SELECT ref, -bm25(chunk_fts) AS s FROM chunk_fts WHERE chunk_fts MATCH ? ORDER BY rank LIMIT ?",
                        (fts_query(chunk_terms), pool),
                    )
                ]
            if "article" in kinds:
                lexical += [
                    ("article", r["ref"], r["s"])
                    for r in conn.execute(
                        "SELECT ref, -bm25(kb_fts) AS s FROM kb_fts WHERE kb_fts MATCH ? AND field = 'all'"
                        " ORDER BY rank LIMIT ?",
                        (match, pool),
                    )
                ]
        lexical.sort(key=lambda r: -r[2])
        vector: list[tuple[str, str, float]] = []
        has_vec = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'kb_vec'").fetchall()
        if query is not None and has_vec and float(np.abs(query).sum()) > 0:
            coarse_query = coarse(query)
            for kind in kinds:
                best = self.vector_candidates(conn, kind, query, coarse_query, pool * self.oversample, version)
                vector += [(kind, ref, cos) for ref, cos in best.items()]
            vector.sort(key=lambda r: -r[2])
        fused: dict[tuple[str, str], list[float]] = {}
        for rank, (kind, ref, _) in enumerate(lexical[:pool]):
            fused.setdefault((kind, ref), [0.0, 0.0])[0] = 1.0 / (RRF_K + rank + 1)
        for rank, (kind, ref, _) in enumerate(vector[:pool]):
            fused.setdefault((kind, ref), [0.0, 0.0])[1] = 1.0 / (RRF_K + rank + 1)
        ranked = sorted(fused.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:k]
        ceiling = 2.0 / (RRF_K + 1)
        return [self._hit(conn, kind, ref, parts, ceiling, lang) for (kind, ref), parts in ranked]

    def _search_postgres(
        self,
        conn: Any,
        terms: list[str],
        query: np.ndarray | None,
        k: int,
        kinds: tuple[str, ...],
        lang: str,
        pool: int,
    ) -> list[Hit]:
        """Scale-out path: BM25 over the tsvector tables and the worker's in-memory vector index,
        fused exactly like the SQLite path."""
        lexical: list[tuple[str, str, float]] = []
        if terms and "chunk" in kinds:
            lexical += [
                ("chunk", r["ref"], r["score"])
                for r in pg_search.bm25(
                    conn, "chunk_fts", list(dict.fromkeys(terms))[:MAX_QUERY_TERMS], columns=("ref",), limit=pool
                )
            ]
        if terms and "article" in kinds:
            lexical += [
                ("article", r["ref"], r["score"])
                for r in pg_search.bm25(conn, "kb_fts", terms, columns=("ref",), where="field = 'all'", limit=pool)
            ]
        lexical.sort(key=lambda r: -r[2])
        vector: list[tuple[str, str, float]] = []
        if query is not None and float(np.abs(query).sum()) > 0:
            vector = sorted(conn.database.vector_index.search(conn, query, kinds, pool), key=lambda r: -r[2])
        return self._fuse(conn, lexical, vector, k, lang, pool)

    def _fuse(
        self,
        conn: Any,
        lexical: list[tuple[str, str, float]],
        vector: list[tuple[str, str, float]],
        k: int,
        lang: str,
        pool: int,
    ) -> list[Hit]:
        fused: dict[tuple[str, str], list[float]] = {}
        for rank, (kind, ref, _) in enumerate(lexical[:pool]):
            fused.setdefault((kind, ref), [0.0, 0.0])[0] = 1.0 / (RRF_K + rank + 1)
        for rank, (kind, ref, _) in enumerate(vector[:pool]):
            fused.setdefault((kind, ref), [0.0, 0.0])[1] = 1.0 / (RRF_K + rank + 1)
        ranked = sorted(fused.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:k]
        ceiling = 2.0 / (RRF_K + 1)
        return [self._hit(conn, kind, ref, parts, ceiling, lang) for (kind, ref), parts in ranked]

    def vector_candidates(
        self, conn: apsw.Connection, kind: str, query: np.ndarray, coarse_query: np.ndarray, count: int, version: str
    ) -> dict[str, float]:
        """The vector half of a search: the ``count`` nearest binary codes of ``kind``, re-scored
        with the float vectors; the best cosine per ref."""
        ids = self._coarse_knn(conn, kind, coarse_query, count, version)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        cursor = conn.cursor()
        cursor.row_trace = _as_tuple  # ~160 rows: a dict each cost more than the re-scoring
        rows = cursor.execute(f"SELECT ref, vector FROM kb_vectors WHERE id IN ({marks})", ids).fetchall()
        if not rows or len(rows[0][1]) != query.shape[0] * 4:
            return {}
        cosines = dot_rows(np.vstack([from_blob(vector) for _, vector in rows]), query)
        best: dict[str, float] = {}
        for (ref, _), cos in zip(rows, cosines, strict=True):
            if cos > best.get(ref, -2.0):
                best[ref] = float(cos)
        return best

    def _coarse_knn(
        self, conn: apsw.Connection, kind: str, coarse_query: np.ndarray, count: int, version: str
    ) -> list[int]:
        """Row ids of the ``count`` nearest binary codes of ``kind`` (Hamming distance).

        The codes are stored in sqlite-vec's ``kb_vec``; a scan there costs about a microsecond
        per row in per-row overhead, so the codes are also held in memory as packed 64-bit words
        (6.4 MB for 50k chunks), reloaded when the knowledge version changes, and scanned with
        XOR + popcount in numpy. Without a snapshot yet, sqlite-vec answers.
        """
        code_blob = conn.execute("SELECT vec_quantize_binary(?) AS c", (to_blob(coarse_query),)).fetchall()[0]["c"]
        with self._lock:
            snapshot = self._codes.get(kind)
        if snapshot is None or snapshot[0] != version:
            rows = list(conn.execute("SELECT rowid AS id, embedding FROM kb_vec WHERE kind = ?", (kind,)))
            if not rows or any(len(r["embedding"]) != len(code_blob) for r in rows[:1]):
                return []
            word = np.uint64 if len(code_blob) % 8 == 0 else np.uint8
            codes = np.frombuffer(b"".join(r["embedding"] for r in rows), dtype=word).reshape(len(rows), -1)
            snapshot = (version, np.array([r["id"] for r in rows], dtype=np.int64), codes)
            with self._lock:
                self._codes[kind] = snapshot
        _, ids, codes = snapshot
        query_code = np.frombuffer(code_blob, dtype=codes.dtype)
        # Hamming distances (at most the code's bit count, so int16). einsum sums the per-word
        # counts about 3x faster than .sum(axis=1) does here.
        distances = np.einsum("ij->i", np.bitwise_count(codes ^ query_code), dtype=np.int16)
        return [int(i) for i in ids[nearest_rows(distances, count)]]

    @staticmethod
    def _hit(conn: apsw.Connection, kind: str, ref: str, parts: list[float], ceiling: float, lang: str) -> Hit:
        tier = "hybrid" if parts[0] and parts[1] else ("fts" if parts[0] else "vector")
        score = round(min(1.0, (parts[0] + parts[1]) / ceiling), 4)
        if kind == "chunk":
            rows = list(
                conn.execute(
                    "SELECT c.text, c.heading, d.title, coalesce(d.source_name, d.path) AS doc FROM handbook_chunks c"
                    " JOIN handbook_docs d ON d.id = c.doc_id WHERE c.id = ?",
                    (int(ref),),
                )
            )
            if rows:
                r = rows[0]
                return Hit("chunk", ref, r["heading"] or r["title"] or "", r["text"], score, tier, r["doc"] or "")
            return Hit("chunk", ref, "", "", score, tier, "")
        rows = list(conn.execute("SELECT title, body FROM articles WHERE id = ?", (ref,)))
        title = text = ""
        if rows:
            title, _ = pick_text(json.loads(rows[0]["title"]), lang)
            text, _ = pick_text(json.loads(rows[0]["body"]), lang)
        return Hit("article", ref, title, text, score, tier, ref)

    async def search(
        self, text: str, lang: str, k: int = 5, kinds: tuple[str, ...] = ("chunk", "article")
    ) -> list[Hit]:
        """Ranked hits for ``text`` (``lang`` picks the article language shown)."""
        k = max(1, min(int(k), 50))
        if not text or not text.strip():
            return []
        if isinstance(self.embedder, BuiltinEmbedder):
            query: np.ndarray | None = self.embedder.embed([text])[0]
        else:
            query = None
            if time.monotonic() >= self._down_until:
                try:
                    query = (await asyncio.to_thread(self.embedder.embed, [text]))[0]
                except Exception:  # noqa: BLE001 - a dead provider degrades search to FTS only
                    self._down_until = time.monotonic() + 60.0  # and is not retried on every query
        return await self.db.read(lambda c: self.search_sync(c, text, query, k, kinds, lang or "ar"))
