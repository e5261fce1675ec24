"""Embedding providers behind one interface, and a content-hash cache in front of them.

* ``builtin`` needs no download and no network, so vector search works on a fresh offline
  install. It hashes character n-grams of the normalised text (robust to Arabic dialect
  spellings, typos and Kurdish written with or without ê î û ç ş) plus light-stemmed words and
  word pairs into a fixed number of dimensions with a random sign per feature (the "hashing
  trick"), then L2-normalises. Cosine similarity then measures shared sub-word material.
* ``openai`` calls any OpenAI-compatible ``/v1/embeddings`` endpoint through the openai client.
* ``local`` runs a GGUF embedding model in-process with llama-cpp-python.

Every provider has a ``space``: a string naming provider, model and dimension. Vectors from
different spaces are never compared; switching provider re-indexes (see knowledge.indexer).
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from nura_appliance.errors import NuraError
from nura_appliance.knowledge.lexicon import concept_of, concepts
from nura_appliance.knowledge.normalize import ANALYSIS_VERSION, STOPWORDS, has_sorani_letters, normalize, stem

BUILTIN_DIM = 384


class EmbeddingError(NuraError):
    """An embedding provider is misconfigured or failed."""

    status = 503
    code = "embedding_unavailable"


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of one fixed dimension."""

    space: str
    dim: int

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return an array of shape ``(len(texts), dim)``, float32, rows L2-normalised."""
        ...


def _l2(matrix: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
    norms: NDArray[np.floating[Any]] = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


def _hadamard(n: int) -> NDArray[np.float64]:
    """Sylvester's Hadamard matrix of order ``n`` (a power of two), scaled to be orthogonal."""
    h: NDArray[np.float64] = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    scaled: NDArray[np.float64] = h / np.sqrt(n)
    return scaled


@functools.lru_cache(maxsize=4)
def dense_rotation(dim: int) -> NDArray[np.float32]:
    """A fixed orthogonal matrix that spreads every input dimension over all outputs.

    Hashed features give sparse vectors, whose sign bits say little (most are "not positive"), so
    binary-quantised search would find the wrong neighbours. Rotating by an orthogonal matrix
    keeps every cosine exactly and makes the vectors dense, so one bit per dimension becomes a
    good locality-sensitive hash. Built only from exact ±1 operations (sign flips, a fixed
    permutation and block Hadamard transforms, twice), so it is identical on every machine.
    Built once per dimension and process (~20 ms; an app start makes three embedders), read-only.
    """
    block = 1
    while block * 2 <= dim and dim % (block * 2) == 0:
        block *= 2
    blocks = np.kron(np.eye(dim // block), _hadamard(block))
    signs1 = np.diag([1.0 if zlib.crc32(b"s1:%d" % i) & 1 else -1.0 for i in range(dim)])
    signs2 = np.diag([1.0 if zlib.crc32(b"s2:%d" % i) & 1 else -1.0 for i in range(dim)])
    step = next(s for s in range(dim // 3 + 1, dim) if math.gcd(s, dim) == 1)
    permutation = np.eye(dim)[[(i * step) % dim for i in range(dim)]]
    rotation = (blocks @ signs2 @ permutation @ blocks @ signs1).astype(np.float32)
    rotation.setflags(write=False)  # one matrix per dimension and process, shared by every embedder
    return rotation


class BuiltinEmbedder:
    """Hashed character n-grams + stemmed words + word pairs; zero download, deterministic.

    Feature weights (why): whole stemmed words carry the topic and get the most weight; character
    3- and 4-grams of each word tolerate typos, missing hamza, dialect spellings and Kurdish
    suffixes; stopwords get a small weight so "how do I" does not make unrelated texts similar.
    """

    _WORD_WEIGHT = 2.0
    _PAIR_WEIGHT = 1.0
    _GRAM_WEIGHT = 0.6
    _STOP_FACTOR = 0.15
    _CONCEPT_WEIGHT = 3.0
    _SYNONYM_FACTOR = 0.2

    def __init__(self, dim: int = BUILTIN_DIM) -> None:
        self.dim = dim
        # The features are built from the text analysis (stems, stopwords, concepts): a new
        # analysis is a new space, so stored vectors are rebuilt (knowledge.service.needs_reindex).
        self.space = f"builtin:v5.{ANALYSIS_VERSION}:{dim}"
        self._slots: dict[str, tuple[int, float]] = {}
        self._words: dict[tuple[str, bool], tuple[str, str, tuple[tuple[str, float], ...]]] = {}
        self._rotation = dense_rotation(dim)
        self._lock = threading.Lock()
        # One message's vector is asked for by the article tier (its matching text) and again by
        # the handbook tier (the text as typed: the same string for most messages).
        self._queries: dict[str, NDArray[np.float32]] = {}

    def _slot(self, feature: str) -> tuple[int, float]:
        found = self._slots.get(feature)
        if found is None:
            # crc32 is stable across processes (unlike hash()), so cached vectors stay valid.
            h = zlib.crc32(feature.encode("utf-8"))
            found = (h % self.dim, 1.0 if (h >> 31) & 1 else -1.0)
            if len(self._slots) < 2_000_000:
                with self._lock:
                    self._slots[feature] = found
        return found

    def _word(self, word: str, sorani: bool = False) -> tuple[str, str, tuple[tuple[str, float], ...]]:
        """(stem, stem or "" when the word takes no part in word pairs, weighted features); memoised
        because a knowledge base repeats a small vocabulary many times."""
        found = self._words.get((word, sorani))
        if found is not None:
            return found
        factor = self._STOP_FACTOR if word in STOPWORDS else 1.0
        root = stem(word, sorani)
        if concept_of(root):
            # A lexicon word is represented mostly by its concept, so synonyms ("متاح",
            # "متوفر", "available") land close together instead of only sharing the concept.
            factor *= self._SYNONYM_FACTOR
        feats = [("w:" + root, self._WORD_WEIGHT * factor)]
        padded = f"<{root}>"
        for n in (3, 4):
            feats.extend(("g:" + padded[i : i + n], self._GRAM_WEIGHT * factor) for i in range(len(padded) - n + 1))
        found = (root, root if factor == 1.0 else "", tuple(feats))
        if len(self._words) < 500_000:
            self._words[(word, sorani)] = found
        return found

    def features(self, text: str) -> dict[str, float]:
        """Weighted features of one text (exposed for tests and for explaining matches)."""
        out: dict[str, float] = {}
        words = normalize(text).split()
        sorani = has_sorani_letters(text)  # stem its words as Sorani (knowledge.stemming)
        stems: list[str] = []
        roots: list[str] = []
        for word in words:
            root, pair_root, feats = self._word(word, sorani)
            roots.append(root)
            stems.append(pair_root)
            for key, weight in feats:
                out[key] = out.get(key, 0.0) + weight
        content = [s for s in stems if s]
        for first, second in zip(content, content[1:], strict=False):
            key = f"p:{first}_{second}"
            out[key] = out.get(key, 0.0) + self._PAIR_WEIGHT
        for concept in concepts(roots):
            key = "w:" + concept
            out[key] = out.get(key, 0.0) + self._CONCEPT_WEIGHT
        return out

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if len(texts) == 1 and len(texts[0]) <= _QUERY_MEMO_CHARS:  # a message, not a batch of chunks
            text = texts[0]
            found = self._queries.get(text)
            if found is None:
                found = self._embed(texts)[0]
                if len(self._queries) >= _QUERY_MEMO:
                    self._queries.clear()
                self._queries[text] = found
            return found[None, :].copy()  # the caller's own array, as from a computation
        return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        matrix = np.zeros((len(texts), self.dim), dtype=np.float32)
        slot = self._slot
        for row, text in enumerate(texts):
            indexes: list[int] = []
            values: list[float] = []
            for feature, weight in self.features(text).items():
                index, sign = slot(feature)
                indexes.append(index)
                # sqrt dampens repeated features so long texts are not dominated by one word.
                values.append(sign * math.sqrt(weight))
            if indexes:
                matrix[row] = np.bincount(indexes, weights=values, minlength=self.dim)
        return _l2(matrix @ self._rotation.T)


_QUERY_MEMO = 2048  # message vectors remembered per built-in embedder (dim floats each)
_QUERY_MEMO_CHARS = 300


class OpenAIEmbedder:
    """Any OpenAI-compatible ``/v1/embeddings`` endpoint via the official client."""

    def __init__(self, *, api_key: str, base_url: str | None, model: str, timeout: float = 30.0) -> None:
        try:
            from openai import OpenAI
        except ImportError as exc:  # pragma: no cover - openai is a declared dependency
            raise EmbeddingError("the openai package is not installed") from exc
        if not api_key and not base_url:
            raise EmbeddingError("EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
        # One retry only: a dead endpoint must not stall searches for the client's default backoff.
        self._client = OpenAI(
            api_key=api_key or "not-needed", base_url=base_url or None, timeout=timeout, max_retries=1
        )
        self.model = model
        self.dim = 0
        self.space = f"openai:{model}"

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), 256):
            batch = [t or " " for t in texts[start : start + 256]]
            try:
                reply = self._client.embeddings.create(model=self.model, input=batch)
            except Exception as exc:  # noqa: BLE001 - any client error means the provider is unusable
                raise EmbeddingError(f"embedding request to {self.model} failed: {exc}") from None
            vectors.extend(item.embedding for item in sorted(reply.data, key=lambda d: d.index))
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        self.dim = matrix.shape[1] if len(texts) else self.dim
        return _l2(matrix)


class LocalEmbedder:
    """A GGUF embedding model run in-process by llama-cpp-python (one call at a time)."""

    def __init__(self, model_path: str) -> None:
        path = Path(model_path)
        if not model_path or not path.is_file():
            raise EmbeddingError(f"LOCAL_EMBEDDING_MODEL {model_path!r} is not a file")
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise EmbeddingError("EMBEDDING_PROVIDER=local needs llama-cpp-python (pip install .[local])") from exc
        self._model: Any = Llama(model_path=str(path), embedding=True, verbose=False)
        self._lock = threading.Lock()
        self.dim = int(self._model.n_embd())
        self.space = f"local:{path.name}:{self.dim}"

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        with self._lock:
            rows = [self._model.embed(t or " ") for t in texts]
        matrix = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, row in enumerate(rows):
            vec = np.asarray(row, dtype=np.float32)
            matrix[i] = vec.mean(axis=0) if vec.ndim == 2 else vec  # token-level output: mean-pool
        return _l2(matrix)


def content_key(space: str, text: str) -> str:
    """Cache key of one text's vector in one embedding space."""
    return hashlib.sha256(f"{space}\x00{text}".encode()).hexdigest()


def make_embedder(settings: Any) -> Embedder:
    """The embedder chosen by ``EMBEDDING_PROVIDER`` (builtin, openai or local)."""
    provider = getattr(settings, "embedding_provider", "builtin") or "builtin"
    if provider == "builtin":
        return BuiltinEmbedder()
    if provider == "openai":
        return OpenAIEmbedder(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url or None,
            model=settings.openai_embedding_model,
        )
    if provider == "local":
        return LocalEmbedder(settings.local_embedding_model)
    raise EmbeddingError(f"unknown EMBEDDING_PROVIDER {provider!r} (use builtin, openai or local)")
