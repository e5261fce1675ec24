"""What the retrieval indexes hold: FTS rows (light-stemmed, normalised text) and vectors.

Every article is indexed as small *items* — each title, example question, keyword and body
sentence in every language — because a customer's short question matches one sentence far
better than a whole article. One extra FTS row per article (field ``all``) concatenates every
item, so BM25's IDF is computed over articles and rare topic words ("volte", "esim") count.

Vectors: full-precision float32 rows in ``kb_vectors`` (for exact re-scoring) plus, on SQLite, a
binary-quantised sqlite-vec ``vec0`` table ``kb_vec`` for the coarse KNN step over many chunks,
for the active embedding space's dimension; when the space changes (another provider or model)
it is rebuilt. The rows are written by the backend's
:class:`~nura_appliance.storage.base.IndexStore` (``storage/sqlite/index.py``,
``storage/postgres/index.py``), chosen once with the other stores (``Stores.index``) and handed to
:class:`VectorIndex` at construction; this module holds no SQL.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nura_appliance.knowledge.embedding import BuiltinEmbedder, Embedder, content_key
from nura_appliance.knowledge.normalize import ANALYSIS_VERSION, index_terms
from nura_appliance.storage.base import IndexStore, Transaction, VectorRow
from nura_appliance.storage.records import Item

# Sentence ends: Latin and Arabic full stop, question marks (? ؟), semicolons (; ؛), ellipsis —
# followed by white space, so "3.5 GB" and "*124#" never split — or any line break.
_SENTENCE_END = re.compile(r"(?<=[.!?؟؛;…])\s+|\s*\n+\s*")
_MIN_SENTENCE = 8


def split_sentences(text: str) -> list[str]:
    """Split into sentences at Arabic and Latin sentence ends and line breaks (never inside numbers)."""
    return [part.strip() for part in _SENTENCE_END.split(text or "") if part and part.strip()]


def article_items(article: dict[str, Any]) -> list[Item]:
    """The items one article is indexed as (every field, every language)."""
    ref = article["id"]
    items = [Item("article", ref, "title", lang, text) for lang, text in article["title"].items()]
    for lang, examples in (article.get("examples") or {}).items():
        items.extend(Item("article", ref, "example", lang, text) for text in examples)
    items.extend(Item("article", ref, "keyword", "", text) for text in article.get("keywords") or [])
    for lang, body in article["body"].items():
        items.extend(
            Item("article", ref, "body", lang, sentence)
            for sentence in split_sentences(body)
            if len(sentence) >= _MIN_SENTENCE
        )
    return items


COARSE_BITS = 1024


def coarse_dim(dim: int) -> int:
    """Bits per vector in the coarse (binary) index."""
    return max(dim, COARSE_BITS)


@functools.lru_cache(maxsize=4)
def _hyperplanes(dim: int) -> NDArray[np.float64]:
    """``COARSE_BITS`` fixed ±1 hyperplanes over ``dim`` dimensions, scaled so projected values stay
    near unit size. The signs come from PCG64's raw output (numpy keeps that stream stable across
    versions and machines); crc32 of "row:col" would not do — CRC is linear, so its bits form a
    nearly rank-one sign pattern and every hyperplane would be the same one."""
    raw = np.random.PCG64(20241124).random_raw(COARSE_BITS * dim)
    signs = np.where(raw & np.uint64(1), 1.0, -1.0).astype(np.float32).reshape(COARSE_BITS, dim)
    scaled: NDArray[np.float64] = signs / np.sqrt(dim)  # float64: numpy's scalar is not weak
    return scaled


def coarse(vector: NDArray[np.float32]) -> NDArray[np.float32]:
    """The float vector whose sign bits form the coarse code.

    One sign bit per dimension estimates the angle between two vectors; 384 bits estimate it too
    roughly (recall@5 of 0.84 at 10k chunks, measured), so small embeddings are first projected
    onto 1024 fixed random hyperplanes (SimHash). Embeddings of 1024 dimensions or more are
    dense already and use their own signs.
    """
    vector = np.asarray(vector, dtype=np.float32)
    if vector.shape[-1] >= COARSE_BITS:
        return vector
    return (vector @ _hyperplanes(vector.shape[-1]).T).astype(np.float32)


def to_blob(vector: NDArray[np.float32]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> NDArray[np.float32]:
    return np.frombuffer(blob, dtype=np.float32)


class VectorIndex:
    """Embeds items (through the content-hash cache) and has them written to the index.

    It is the :class:`~nura_appliance.storage.base.SearchIndex` the knowledge and handbook
    stores are built with: they write rows, this decides what a text is indexed as; the index's
    own rows go through ``store``, the :class:`~nura_appliance.storage.base.IndexStore` of the
    same database (``Stores.index``), in the caller's transaction."""

    def __init__(self, store: IndexStore, embedder: Embedder | None = None) -> None:
        self.store = store
        self.embedder: Embedder = embedder or BuiltinEmbedder()
        self._pending: dict[str, tuple[str, bytes, float]] = {}
        self._lock = threading.Lock()

    # -- text analysis, for the stores --------------------------------------------------------
    def article_items(self, article: dict[str, Any]) -> list[Item]:
        return article_items(article)

    def write_article_fts(
        self, conn: Transaction, article_id: str, items: Sequence[Item], *, fresh: bool = False
    ) -> None:
        """(Re)write an article's FTS rows: one per item plus the article-level ``all`` row
        (``fresh``: it has none yet, nothing to delete)."""
        self.mark_analysis_if_new(conn)
        rows = [(" ".join(index_terms(item.text)), item.field, item.lang) for item in items]
        rows = [row for row in rows if row[0]]
        rows.append((" ".join(text for text, _, _ in rows), "all", ""))
        self.store.write_article_fts_in(conn, article_id, rows, fresh=fresh)

    def mark_analysis_if_new(self, conn: Transaction) -> None:
        """Record the text-analysis version on a database whose FTS tables are still empty (a
        fresh one), so its first start does not re-index text that was just indexed with this
        analysis. A database with rows and no record predates the record: it is re-indexed once
        at start-up."""
        self.store.mark_analysis_if_new_in(conn, ANALYSIS_VERSION)

    # -- embedding ----------------------------------------------------------------------------
    def embed(self, texts: Sequence[str], conn: Transaction | None = None) -> NDArray[np.float32]:
        """Vectors for ``texts``; with ``conn``, reuse cached vectors (new ones are queued for the
        cache and written by the next :meth:`write`, on the writer thread).

        The built-in embedder computes a vector faster than SQLite can look one up, so only the
        model-backed providers go through the cache.
        """
        if not texts:
            return np.zeros((0, max(self.embedder.dim, 1)), dtype=np.float32)
        if conn is None or isinstance(self.embedder, BuiltinEmbedder):
            return self.embedder.embed(list(texts))
        space = self.embedder.space
        keys = [content_key(space, t) for t in texts]
        found = {key: from_blob(blob) for key, blob in self.store.cached_vectors(conn, keys).items()}
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            fresh = self.embedder.embed([texts[i] for i in missing])
            now = time.time()
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    found[keys[i]] = vector
                    self._pending[keys[i]] = (space, to_blob(vector), now)
        return np.vstack([found[key] for key in keys]).astype(np.float32)

    def flush_cache(self, conn: Transaction) -> None:
        """Write vectors computed on reader connections into the cache (writer thread only: the
        cache is filled inside the same transaction that stores the vectors)."""
        with self._lock:
            rows = [(key, *value) for key, value in self._pending.items()]
            self._pending.clear()
        self.store.cache_vectors_in(conn, rows)

    # -- vec0 table ---------------------------------------------------------------------------
    def ensure_table(self, conn: Transaction, dim: int) -> None:
        """Keep the index in the active space: vectors of ``dim`` dimensions (SQLite's ``kb_vec``
        of ``coarse_dim(dim)`` bits), rebuilt when the dimension or the space changed."""
        self.store.ensure_space_in(conn, dim, self.embedder.space, coarse_dim(dim), _codes_of)

    def delete(self, conn: Transaction, kind: str, refs: Sequence[str] | None = None) -> None:
        """Remove the vectors of ``refs`` (all of ``kind`` when None)."""
        self.store.delete_vectors_in(conn, kind, refs)

    def write(self, conn: Transaction, items: Sequence[Item], vectors: NDArray[np.float32] | None = None) -> int:
        """Insert ``items`` with their vectors (computed here when not given); returns rows written."""
        if not items:
            return 0
        if vectors is None:
            vectors = self.embed([i.text for i in items], conn)
        self.flush_cache(conn)
        self.ensure_table(conn, int(vectors.shape[1]))
        # One projection for all rows: per-row products were a fifth of a 1,000-article import.
        codes = coarse(np.asarray(vectors, dtype=np.float32))
        rows = [
            VectorRow(item.kind, item.ref, item.field, item.lang, item.text, to_blob(vector), to_blob(code))
            for item, vector, code in zip(items, vectors, codes, strict=True)
        ]
        self.store.write_vectors_in(conn, rows)
        return len(items)


def _codes_of(blobs: list[bytes]) -> list[bytes]:
    """The coarse codes of stored vectors (rebuilding SQLite's coarse index)."""
    if not blobs:
        return []
    codes = coarse(np.vstack([from_blob(blob) for blob in blobs]))
    return [to_blob(code) for code in codes]
