"""Text analysis for matching, in one place: the normaliser, light stemming and stopwords,
language detection, Arabizi transliteration, and the terms a text is indexed and searched by.

The parts live in their own modules (see docs/KNOWLEDGE.md, "Normalisation"):

* :mod:`~nura_appliance.knowledge.folding` — ``normalize``: the character policy (Arabic,
  Sorani, Kurmanji, English), idempotent and total;
* :mod:`~nura_appliance.knowledge.stemming` — ``stem`` and ``STOPWORDS`` for the four languages;
* :mod:`~nura_appliance.knowledge.language` — ``detect_language`` (``ar``, ``ckb``, ``ku``, ``en``)
  and ``arabizi_text``;
* :mod:`~nura_appliance.knowledge.arabizi` — Arabizi to Arabic script;
* :mod:`~nura_appliance.knowledge.lexicon` — cross-dialect, cross-language concepts.

Every index built from this analysis records :data:`ANALYSIS_VERSION`; a change re-indexes.
"""

from __future__ import annotations

from nura_appliance.knowledge.folding import ANALYSIS_VERSION, SORANI_E, has_sorani_letters, normalize, tokens
from nura_appliance.knowledge.language import arabizi_text, detect, detect_language
from nura_appliance.knowledge.lexicon import concepts
from nura_appliance.knowledge.stemming import STOPWORDS, stem

__all__ = [
    "ANALYSIS_VERSION",
    "STOPWORDS",
    "arabizi_text",
    "detect",
    "detect_language",
    "has_sorani_letters",
    "index_terms",
    "lexicon_words",
    "normalize",
    "stem",
    "tokens",
]


def lexicon_words(*items: str) -> frozenset[str]:
    """Word lists written in natural spelling (space-separated), normalised like messages with the
    Sorani ە read as ه: what the hand-off and anger lexicons look words up in."""
    out = {normalize(word).replace(SORANI_E, "ه") for item in items for word in item.split()}
    return frozenset(w for w in out if w)


def index_terms(text: str) -> list[str]:
    """Stemmed content words of ``text`` (stopwords removed) plus its lexicon concepts
    (``kcroaming`` for "رومنج" or "roaming"), for BM25 indexing and querying."""
    words = normalize(text).split()
    sorani = has_sorani_letters(text)
    stems = [stem(w, sorani) for w in words]
    content = [s for w, s in zip(words, stems, strict=True) if w not in STOPWORDS]
    return content + concepts(stems)
