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

import functools
from dataclasses import dataclass

from nura_appliance.knowledge.folding import ANALYSIS_VERSION, SORANI_E, has_sorani_letters, normalize, tokens
from nura_appliance.knowledge.language import arabizi_text, detect, detect_language
from nura_appliance.knowledge.lexicon import concept_of, concepts
from nura_appliance.knowledge.stemming import STOPWORDS, stem

__all__ = [
    "ANALYSIS_VERSION",
    "STOPWORDS",
    "Analysis",
    "analysis",
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
    if len(text) <= _MEMO_MAX_CHARS:
        return list(_analysis(text).terms)
    return _terms(text)[0]


def _terms(text: str) -> tuple[list[str], list[str]]:
    """(index terms, content stems) of ``text``."""
    words = normalize(text).split()
    sorani = has_sorani_letters(text)
    stems = [stem(w, sorani) for w in words]
    content = [s for w, s in zip(words, stems, strict=True) if w not in STOPWORDS]
    return content + concepts(stems), content


@dataclass(frozen=True, slots=True)
class Analysis:
    """The analysis of one message that the tiers share: its index terms (exactly
    :func:`index_terms`) and its content stems, stopwords left out, in order."""

    terms: tuple[str, ...]
    content: tuple[str, ...]

    def units(self) -> list[tuple[str, str | None]]:
        """The content words as (stem, concept term or None), each once, in order (what the
        article tier's coverage evidence counts); computed on demand, only that tier reads them."""
        units: dict[str, str | None] = {}
        for root in self.content:
            if root and root not in STOPWORDS and root not in units:
                concept = concept_of(root)
                units[root] = "kc" + concept if concept else None
        return list(units.items())


def analysis(text: str) -> Analysis:
    """The :class:`Analysis` of ``text``, remembered for short texts: one message is analysed by
    the article tier (its matching text), the handbook tier and the benches' callers alike, and
    a message's decision is recomputed when the knowledge changes."""
    return _analysis(text) if len(text) <= _MEMO_MAX_CHARS else _analyse(text)


_MEMO_MAX_CHARS = 300  # messages; handbook pages and article bodies are analysed once, unremembered


@functools.lru_cache(maxsize=4096)
def _analysis(text: str) -> Analysis:
    return _analyse(text)


def _analyse(text: str) -> Analysis:
    terms, content = _terms(text)
    return Analysis(tuple(terms), tuple(content))
