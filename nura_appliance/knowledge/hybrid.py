"""Hybrid search over handbook chunks and articles: ``ctx.retriever``.

Chunks and articles are searched as **two candidate lists**, each ranked on its own by BM25 and
vectors (reciprocal rank fusion inside the list), and every candidate gets a **calibrated
relevance** in [0, 1] from two features that mean the same for a one-chunk handbook, a
100,000-chunk one and an article:

* ``coverage`` — the share of the question's words found in the passage, each word weighted by
  its inverse document frequency over the handbook (a word the handbook lacks weighs most, so
  "gold prices in Baghdad" covers little of a telecom handbook; a product name that occurs once
  weighs far more than "price"). A word also counts as found through its lexicon concept
  ("roaming" ↔ "التجوال").
* ``cosine`` — the embedding similarity (any provider behind :class:`Embedder`).

``relevance = σ(b0 + b1·coverage + b2·cosine)`` was fitted by logistic regression on the
handbook development questions (docs/KNOWLEDGE.md): it says how likely the passage holds the
answer, so an article that merely shares "رقم" with the question no longer outranks the chunk
that holds every word of it, and the grounded tier decides answer / "here is what I found" /
scope message on it.

BM25 over chunks is scored here with Lucene's always-positive idf, ``ln(1 + (N − n + ½)/(n + ½))``
over FTS5's candidates: FTS5's own ``bm25()`` floors the idf of any term found in half the chunks
or more to 1e-6, which in a two-chunk handbook is every term. Query terms found in more than 5 %
of the chunks **and** in at least 500 of them are not sent to FTS5 (they would make it score
thousands of rows); they still count when the candidates are re-scored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import apsw
import numpy as np

from nura_appliance.knowledge.arabizi import transliterate_word
from nura_appliance.knowledge.bridge import Bridge
from nura_appliance.knowledge.embedding import BuiltinEmbedder, Embedder
from nura_appliance.knowledge.indexer import coarse, from_blob, to_blob
from nura_appliance.knowledge.language import arabizi_text
from nura_appliance.knowledge.lexicon import concepts
from nura_appliance.knowledge.normalize import STOPWORDS, has_sorani_letters, index_terms, normalize, stem
from nura_appliance.knowledge.pack import pick_text
from nura_appliance.knowledge.retrieval import dot_rows, fts_query, knowledge_version
from nura_appliance.knowledge.values import answer_types, asking_kinds, count_kind, counted, value_kinds
from nura_appliance.storage.postgres import search as pg_search
from nura_appliance.storage.sqlite.db import Connection, Database
from nura_appliance.storage.sqlite.handbook import HIDDEN

log = logging.getLogger(__name__)
RRF_K = 60
MAX_QUERY_TERMS = 8
COMMON_SHARE, COMMON_MIN_CHUNKS = 0.05, 500  # a term this common is not sent to FTS5
UNSEEN_SHARE = 0.1  # see Weights.of
SHORTLIST = 10  # candidates per source scored in full (at least 2k)
BM25_K1, BM25_B = 1.2, 0.75
# Calibrated relevance (logistic regression on the handbook dev questions; docs/KNOWLEDGE.md).
REL_BIAS, REL_COVERAGE, REL_RARE, REL_COSINE = -2.52, 2.70, 2.48, 0.80


def _as_tuple(cursor: apsw.Cursor, row: tuple[Any, ...]) -> tuple[Any, ...]:
    return row


def _tuple_rows(conn: Connection, sql: str, bindings: apsw.Bindings) -> list[tuple[Any, ...]]:
    """The rows of one query as tuples, not the connection's dicts (cheaper for many rows)."""
    cursor: apsw.Cursor = conn.cursor()
    cursor.row_trace = _as_tuple
    rows: list[tuple[Any, ...]] = cursor.execute(sql, bindings).fetchall()
    return rows


def idf(hits: int, total: int) -> float:
    """Lucene's BM25 idf: positive at every corpus size (a term in every one of 2 chunks still
    weighs a little; a term the corpus lacks weighs most)."""
    return math.log(1.0 + (total - hits + 0.5) / (hits + 0.5))


def relevance(found: Evidence, cosine: float) -> float:
    """How likely a passage with this evidence and cosine holds the answer (calibrated)."""
    z = REL_BIAS + REL_COVERAGE * found.coverage + REL_RARE * found.rare + REL_COSINE * max(cosine, 0.0)
    return 1.0 / (1.0 + math.exp(-z))


@dataclass
class Hit:
    """One search result (the ``retriever`` contract).

    ``score`` is the calibrated relevance (0..1, comparable between chunks and articles and across
    handbook sizes); ``tier`` says which half found it (``fts``, ``vector`` or ``hybrid``);
    ``unit`` is ``text`` or ``row`` for chunks (a table row with its column names), ``article``
    for articles; ``title`` is a chunk's heading path or an article's title."""

    kind: str  # "chunk" | "article"
    ref: str
    title: str
    text: str
    score: float
    tier: str  # "fts" | "vector" | "hybrid"
    doc: str
    unit: str = "text"
    lang: str = ""
    coverage: float = 0.0
    cosine: float = 0.0
    evidence: Evidence | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "title": self.title,
            "text": self.text,
            "score": self.score,
            "tier": self.tier,
            "doc": self.doc,
            "unit": self.unit,
            "lang": self.lang,
            "coverage": self.coverage,
            "cosine": self.cosine,
            "evidence": None
            if self.evidence is None
            else {k: v if isinstance(v, dict) else round(v, 4) for k, v in vars(self.evidence).items()},
        }


_ARABIC_LETTERS = frozenset("ابتثجحخدذرزسشصضطظعغفقكلمنهويءةىکگچپژڤڕڵێۆە")


_VERB_PREFIXES = "يتنا"  # the person prefixes of an Arabic present-tense verb


def word_forms(word: str, sorani: bool = False) -> frozenset[str]:
    """The index terms one normalised question word may appear as in a passage: its light stem
    (read as Sorani too in a Sorani question: "ڕۆمینگی" → "رومين"), its lexicon concepts, and for
    Arabic script the stem with or without a last ي/ه (the light stemmer gives "الشهرية" → "شهري"
    but "الشهري" → "شهر") and a present-tense verb in its other persons ("يستغرق" asked, "تستغرق"
    written; "الرد" asked, "نرد" written) and a passive participle's verb ("محجوز" asked, "تُحجز"
    written)."""
    unit = stem(word)
    readings = {unit, stem(word, True)} if sorani else {unit}
    forms = {*readings, *concepts(list(readings))}
    if len(unit) >= 2 and unit[-1] in _ARABIC_LETTERS:
        if len(unit) >= 3:
            if len(unit) >= 4 and unit[-1] in "يه":
                forms.add(unit[:-1])
            forms.update((unit + "ي", unit + "ه"))
        base = unit[1:] if len(unit) >= 4 and unit[0] in _VERB_PREFIXES else unit
        forms.add(base)
        forms.update(prefix + base for prefix in _VERB_PREFIXES)
        if len(unit) == 5 and unit[0] == "م" and unit[3] == "و":
            # A passive participle (مفعول) is its verb: "محجوز" asked, "تُحجز" / "حجز" written.
            root = unit[1] + unit[2] + unit[4]
            forms.add(root)
            forms.update(prefix + root for prefix in _VERB_PREFIXES)
    return frozenset(forms)


def passage_terms(text: str) -> list[str]:
    """A handbook passage's index terms, line by line: a Sorani line is stemmed as Sorani, the
    Arabic lines around it as Arabic (a chunk quoting the Sorani greeting kept "الترحيب" whole)."""
    return [term for line in text.splitlines() for term in index_terms(line)]


# Words that ask for an amount, a place or a time in the four languages: what is asked, not what
# about — no handbook holds them, and counted as missing words they made every such question look
# out of scope ("ڕۆمینگی ڕۆژانە بۆ ئەوروپا چەندە").
ASKING_WORDS = frozenset(
    normalize(w)
    for w in (
        "كم بكم بكام قديش شقد شكد بيش وين وينه أين متى چەند چەندە کوێ کوێیە کەی çend çiqas kengî kîjan li ku derê "
        "how much many where when which"
    ).split()
)


@dataclass
class QueryTerms:
    """A question as the retriever sees it: its BM25 terms (stems and lexicon concepts) and its
    *units* — one per content word, found in a passage holding any of its forms."""

    terms: list[str]
    units: list[tuple[str, frozenset[str]]]
    # The kinds of value the question asks for (knowledge/values.py) and, per unit, the kinds its
    # word asks for: "رسوم" (price) is held by a passage holding a price, whatever its wording.
    kinds: frozenset[str] = frozenset()
    asks: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str, bridge: Bridge | None = None) -> QueryTerms:
        """``bridge``: Arabic translations of Sorani, Kurmanji and English words (learnt from the
        pack) are added to a word's forms and to the BM25 terms."""
        units: dict[str, frozenset[str]] = {}
        sorani = has_sorani_letters(text)
        bridged: list[str] = []
        arabizi = arabizi_text(text) is not None  # Latin letters, Arabic words
        kinds = frozenset(answer_types(text))
        asks: dict[str, frozenset[str]] = {}
        counting = counted(normalize(text).split()) if "count" in kinds else set()
        for word in normalize(text).split():
            if word in STOPWORDS or word in ASKING_WORDS:
                continue
            unit = stem(word, sorani)
            if unit and unit not in units:
                forms = word_forms(word, sorani)
                if arabizi and word.isascii() and not word.isdigit():
                    # The Arabic-script reading joins the Latin one ("gara" is also "(Gara)" in
                    # the handbook); a word that reads as a function word is no evidence.
                    spelt = normalize(transliterate_word(word))
                    if spelt in STOPWORDS:
                        continue
                    if spelt and spelt != word:
                        forms = forms | word_forms(spelt)
                        bridged.extend(index_terms(spelt))
                translated = bridge.translations(word, sorani) if bridge is not None else set()
                if translated:
                    bridged.extend(sorted(translated))
                    forms = forms | translated | set(concepts(sorted(translated)))
                units[unit] = forms
                asked = asking_kinds(word) & kinds
                if word in counting:
                    # "يوم" of "كم يوم" is held by "7 أيام", "towers" by "640 برج" (not "600 ميغابت")
                    asked |= {count_kind(word)}
                if asked:
                    asks[unit] = asked
        kinds = kinds.union(*asks.values())  # with the kinds of count asked ("count:tower")
        return cls(list(dict.fromkeys(index_terms(text) + bridged)), list(units.items()), kinds, asks)

    def lookup_terms(self) -> list[str]:
        """Every term whose document frequency the features need."""
        found = dict.fromkeys(self.terms)
        for unit, forms in self.units:
            found[unit] = None
            found.update(dict.fromkeys(forms))
        return list(found)


@dataclass
class Weights:
    """The question's words weighted for one handbook: each word's idf (of its most common form
    there; a word the handbook lacks gets the idf of a term in no chunk), whether the handbook
    has the word at all, and the idf of a term in exactly one chunk (the rarest a present word
    can be)."""

    unit: dict[str, float]
    seen: dict[str, bool]
    rarest: float
    term: dict[str, float]  # idf per BM25 term

    @classmethod
    def of(cls, query: QueryTerms, counts: dict[str, int], total: int) -> Weights:
        unit: dict[str, float] = {}
        seen: dict[str, bool] = {}
        # A word the handbook lacks is as often a filler of the customer's dialect ("وين",
        # "بالضبط") as the name of something the handbook does not offer: it weighs like a word in
        # one chunk of UNSEEN_SHARE, not like the rarest word of all.
        unseen_df = max(1, int(total * UNSEEN_SHARE))
        for name, forms in query.units:
            df = max((counts.get(f, 0) for f in forms | {name}), default=0)
            unit[name] = idf(df if df else unseen_df, total)
            seen[name] = df > 0
        terms = {t: idf(counts.get(t, 0), total) for t in query.lookup_terms()}
        return cls(unit, seen, idf(1, max(total, 1)), terms)


@dataclass
class Evidence:
    """How much of a question one passage holds (see the module docstring)."""

    coverage: float = 0.0  # idf-weighted share of all the question's words found
    known: float = 0.0  # the same over the words the handbook has at all
    rare: float = 0.0  # the rarest matched word's idf / the idf of a one-chunk term (0..1)
    unseen: float = 0.0  # share of the question's words the handbook has nowhere
    # The question's words the passage holds, each with its idf over the handbook / the idf of a
    # one-chunk term: the extractive answer prefers the sentence with the rarer ones.
    words: dict[str, float] = field(default_factory=dict)
    asked: int = 0  # how many content words the question has
    # The part of ``coverage`` held through a value of the asked kind rather than a word ("رسوم"
    # held by "4,000 دينار"; shown with the evidence of a search).
    by_value: float = 0.0

    @property
    def lone(self) -> bool:
        """The passage holds only one of the question's several words: "كم سعر الذهب اليوم" and
        the row of the *golden* number, "طريقة عمل الدولمه" and a branch on a *road*. Such a
        passage is never quoted on its own (docs/KNOWLEDGE.md)."""
        return self.asked >= 2 and len(self.words) <= 1


def evidence(
    query: QueryTerms, found: frozenset[str], weights: Weights, values: frozenset[str] = frozenset()
) -> Evidence:
    """The lexical evidence of one passage (its index terms ``found``) for the question.

    ``values``: the kinds of value the passage holds (a price, a time …). A word that asks for a
    kind the passage holds a value of counts as held for ``coverage`` ("رسوم" and a row with
    "4,000 دينار", "open" and "8:30–15:30"), never for ``rare`` nor as a word held: a price in a
    passage is no evidence that it is about the question's topic."""
    total = got = known_total = known_got = rare = by_value = 0.0
    unseen = 0
    words: dict[str, float] = {}
    for name, forms in query.units:
        weight = weights.unit.get(name, 0.0)
        total += weight
        matched = name in found or not forms.isdisjoint(found)
        if not matched and values and not values.isdisjoint(query.asks.get(name, ())):
            got += weight
            by_value += weight
            if weights.seen.get(name):
                known_total += weight
                known_got += weight
            else:
                unseen += 1
            continue
        if matched:
            got += weight
            if weights.rarest:
                words[name] = round(min(1.0, weight / weights.rarest), 4)
        if weights.seen.get(name):
            known_total += weight
            if matched:
                known_got += weight
                rare = max(rare, weight)
        else:
            unseen += 1
    return Evidence(
        got / total if total else 0.0,
        known_got / known_total if known_total else 0.0,
        min(1.0, rare / weights.rarest) if weights.rarest else 0.0,
        unseen / len(query.units) if query.units else 0.0,
        words,
        len(query.units),
        by_value / total if total else 0.0,
    )


def bm25(tokens: list[str], weights: dict[str, float], average: float) -> float:
    """BM25 of one passage (its index terms in order) for the weighted query terms."""
    counts = Counter(t for t in tokens if t in weights)
    if not counts:
        return 0.0
    norm = BM25_K1 * (1 - BM25_B + BM25_B * len(tokens) / (average or 1.0))
    return sum(weights[t] * tf * (BM25_K1 + 1) / (tf + norm) for t, tf in counts.items())


class ChunkFrequencies:
    """How many handbook chunks hold each term (FTS5's ``chunk_fts_vocab``), the chunk count and
    their average length in terms, remembered per knowledge version.

    fts5vocab counts a term's documents by walking its whole posting list, so looking up one
    common word in a 50k-chunk handbook took milliseconds (p99 6.6 ms for a question's terms);
    customers' words repeat, so each is counted once per version. Terms the handbook lacks are
    remembered as 0. Every ingestion bumps the version."""

    def __init__(self, max_terms: int = 50_000) -> None:
        self.max_terms = max_terms
        self._version: str | None = None
        self._counts: dict[str, int] = {}
        self._chunks = 0
        self._average = 0.0
        self._has_vocab = False
        self._lock = threading.Lock()

    def _reset(self, conn: Connection, version: str) -> None:
        self._version, self._counts = version, {}
        self._has_vocab = bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'chunk_fts_vocab'").fetchall())
        # One pass over the index text per version (the terms are space-separated).
        row = conn.execute(
            "SELECT count(*) AS n, total(length(text) - length(replace(text, ' ', '')) + 1) AS t FROM chunk_fts"
        ).fetchall()[0]
        self._chunks = int(row["n"])
        self._average = float(row["t"]) / self._chunks if self._chunks else 1.0

    def lookup(self, conn: Connection, version: str, terms: list[str]) -> tuple[dict[str, int], int] | None:
        """``({term: chunks holding it}, chunk count)`` under knowledge ``version``, or None
        without the vocabulary table."""
        with self._lock:
            if version != self._version or len(self._counts) > self.max_terms:
                self._reset(conn, version)
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

    def average_length(self, conn: Connection, version: str) -> float:
        """Average chunk length in index terms under ``version`` (BM25's avgdl)."""
        with self._lock:
            if version != self._version:
                self._reset(conn, version)
            return self._average


def handbook_vocabulary(conn: Any) -> list[str]:
    """Every index term of the handbook chunks (once per knowledge version, for the bridge's
    names): FTS5's vocabulary table, or PostgreSQL's ``ts_stat`` over the chunk index."""
    try:
        if getattr(conn, "dialect", "sqlite") == "postgres":
            rows = conn.execute("SELECT word AS term FROM ts_stat('SELECT tsv FROM chunk_fts')").fetchall()
        elif conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'chunk_fts_vocab'").fetchall():
            rows = conn.execute("SELECT term FROM chunk_fts_vocab").fetchall()
        else:
            return []
    except Exception:  # noqa: BLE001 - names are an aid; a search without them still works
        log.exception("reading the handbook vocabulary failed")
        return []
    return [str(r["term"]) for r in rows]


def selective_terms(counts: dict[str, int], total: int, terms: list[str]) -> list[str]:
    """The query terms worth an FTS5 pass over handbook chunks: present in the handbook, not in
    more than 5 % of the chunks *and* at least 500 of them (such a word makes FTS5 score thousands
    of rows while adding almost nothing to the ranking), the 8 rarest; when every term is that
    common the two rarest are kept. A small handbook keeps all its terms."""
    present = sorted((counts[t], t) for t in dict.fromkeys(terms) if counts.get(t))
    if not present:
        return []
    limit = max(COMMON_MIN_CHUNKS, int(total * COMMON_SHARE))
    kept = [t for n, t in present if n <= limit][:MAX_QUERY_TERMS]
    return kept or [t for _, t in present[:2]]


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


@dataclass
class _Candidate:
    ref: str
    bm25: float = 0.0
    cosine: float | None = None
    terms: frozenset[str] | str | None = None  # the index terms (as stored: one string) once read
    lexical_rank: int | None = None
    vector_rank: int | None = None
    relevance: float = 0.0
    evidence: Evidence = field(default_factory=lambda: Evidence())
    fused: float = 0.0

    @property
    def tier(self) -> str:
        if self.lexical_rank is not None and self.vector_rank is not None:
            return "hybrid"
        return "fts" if self.lexical_rank is not None else "vector"


def _rank(lexical: list[tuple[str, float, Any]], vector: dict[str, float], pool: int) -> dict[str, _Candidate]:
    """One source's candidates: the lexical and vector lists, each ranked, with their RRF sum."""
    found: dict[str, _Candidate] = {}
    for rank, (ref, score, terms) in enumerate(sorted(lexical, key=lambda r: -r[1])[:pool]):
        found[ref] = _Candidate(ref, bm25=score, terms=terms, lexical_rank=rank)
    for rank, (ref, cos) in enumerate(sorted(vector.items(), key=lambda r: -r[1])[:pool]):
        cand = found.setdefault(ref, _Candidate(ref))
        cand.cosine, cand.vector_rank = cos, rank
    for cand in found.values():
        cand.fused = sum(1.0 / (RRF_K + r + 1) for r in (cand.lexical_rank, cand.vector_rank) if r is not None)
    return found


def _shortlist(found: dict[str, _Candidate], k: int) -> dict[str, _Candidate]:
    """The candidates worth scoring in full: the best ``max(2k, 10)`` by reciprocal rank fusion
    (reading the other half of up to 40 candidates was a third of a search at 50k chunks)."""
    keep = max(2 * k, SHORTLIST)
    if len(found) <= keep:
        return found
    best = sorted(found.values(), key=lambda c: (-c.fused, c.ref))[:keep]
    return {c.ref: c for c in best}


def _finish(
    found: dict[str, _Candidate],
    query: QueryTerms,
    weights: Weights,
    k: int,
    values: dict[str, frozenset[str]] | None = None,
) -> list[_Candidate]:
    """Relevance of every candidate; the best ``k`` by relevance (RRF breaks ties). ``values``:
    per candidate, the kinds of value the question asks for that it holds."""
    for cand in found.values():
        terms = cand.terms
        if isinstance(terms, str):
            terms = cand.terms = frozenset(terms.split())
        held = values.get(cand.ref, frozenset()) if values else frozenset()
        cand.evidence = evidence(query, terms or frozenset(), weights, held)
        cand.relevance = relevance(cand.evidence, cand.cosine or 0.0)
    return sorted(found.values(), key=lambda c: (-round(c.relevance, 6), -c.fused, c.ref))[:k]


class HybridRetriever:
    """``ctx.retriever``: hybrid search over handbook chunks and articles."""

    def __init__(self, db: Database, embedder: Embedder | None = None, *, oversample: int = 8) -> None:
        self.db = db
        self.embedder: Embedder = embedder or BuiltinEmbedder()
        self.oversample = oversample
        self._down_until = 0.0
        self._codes: dict[str, tuple[str, np.ndarray, np.ndarray]] = {}
        self._frequencies = ChunkFrequencies()
        self._chunk_count: tuple[str, int] | None = None  # (knowledge version, chunks)
        self._bridge: tuple[str, Bridge] | None = None  # (knowledge version, the pack's word bridge)
        self._lock = threading.Lock()

    # -- the search ---------------------------------------------------------------------------
    def search_sync(
        self,
        conn: Connection,
        text: str,
        query: np.ndarray | None,
        k: int,
        kinds: tuple[str, ...],
        lang: str = "ar",
    ) -> list[Hit]:
        """The best ``k`` hits of ``kinds`` together, by relevance (CLI, API, benchmark)."""
        lists = self.search_lists_sync(conn, text, query, k, kinds, lang)
        merged = [hit for kind in kinds for hit in lists.get(kind, [])]
        return sorted(merged, key=lambda h: -h.score)[:k]

    def search_lists_sync(
        self,
        conn: Connection,
        text: str,
        query: np.ndarray | None,
        k: int,
        kinds: tuple[str, ...],
        lang: str = "ar",
        focus_article: str | None = None,
    ) -> dict[str, list[Hit]]:
        """The best ``k`` hits of each kind, as separate lists; ``focus_article`` is scored and
        listed in any case (the grounded tier compares it with the handbook)."""
        pool = max(k * 4, 20)
        if getattr(conn, "dialect", "sqlite") == "postgres":
            terms = QueryTerms.of(text, self.bridge(conn, knowledge_version(conn)))
            return self._search_postgres(conn, terms, query, k, kinds, lang, pool, focus_article)
        version = knowledge_version(conn)
        terms = QueryTerms.of(text, self.bridge(conn, version))
        looked = self._frequencies.lookup(conn, version, terms.lookup_terms()) if terms.terms else None
        counts, total = looked if looked is not None else ({}, 0)
        weights = Weights.of(terms, counts, total)
        usable = query is not None and float(np.abs(query).sum()) > 0
        has_vec = usable and bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'kb_vec'").fetchall())
        coarse_query = coarse(query) if has_vec and query is not None else None
        out: dict[str, list[Hit]] = {}
        if "chunk" in kinds:
            lexical: list[tuple[str, float, frozenset[str]]] = []
            if terms.terms:
                sent = selective_terms(counts, total, terms.terms) if looked is not None else terms.terms[:8]
                if sent:
                    average = self._frequencies.average_length(conn, version)
                    rows = _tuple_rows(
                        conn,
                        "SELECT ref, -bm25(chunk_fts), text FROM chunk_fts WHERE chunk_fts MATCH ? ORDER BY rank LIMIT ?",
                        (fts_query(sent), pool),
                    )
                    # FTS5 floors the idf of a term in half the chunks or more to 1e-6: then (a small
                    # handbook) its ranking is re-done with the always-positive idf. Elsewhere FTS5's
                    # idf and Lucene's differ by a few per cent and its order stands.
                    floored = any(2 * counts.get(t, 0) >= total for t in sent)
                    for ref, score, indexed in rows:
                        if floored:
                            score = bm25(indexed.split(), weights.term, average)
                        lexical.append((str(ref), score, indexed))
            vector: dict[str, float] = {}
            if coarse_query is not None and query is not None:
                vector = self.vector_candidates(conn, "chunk", query, coarse_query, pool * self.oversample, version)
            found = _shortlist(_rank(lexical, vector, pool), k)
            self._complete_chunks(conn, found, query if usable else None)
            values = self._chunk_values(conn, found, terms)
            hits = (self._chunk_hit(conn, c) for c in _finish(found, terms, weights, k, values))
            out["chunk"] = [h for h in hits if h is not None]
        if "article" in kinds:
            best = self._articles(
                conn, terms, weights, query if has_vec else None, coarse_query, k, pool, focus_article
            )
            out["article"] = [self._article_hit(conn, c, lang) for c in best]
        elif focus_article is not None:
            focus = self._focus_article(conn, terms, weights, query if usable else None, focus_article)
            out["article"] = [self._article_hit(conn, focus, lang)]
        return out

    def query_terms(self, text: str) -> QueryTerms:
        """``text`` as the last search saw it: with the word bridge of the latest knowledge
        version searched (the extractive answer picks its sentence with the same words)."""
        with self._lock:
            known = self._bridge
        return QueryTerms.of(text, known[1] if known else None)

    def bridge(self, conn: Any, version: str) -> Bridge:
        """The pack's word bridge (knowledge/bridge.py) for knowledge ``version``."""
        with self._lock:
            known = self._bridge
        if known is not None and known[0] == version:
            return known[1]
        learnt = Bridge.from_rows(conn.execute("SELECT title, body, examples FROM articles").fetchall())
        learnt = learnt.with_vocabulary(handbook_vocabulary(conn))
        with self._lock:
            self._bridge = (version, learnt)
        return learnt

    @staticmethod
    def _chunk_values(conn: Any, found: dict[str, _Candidate], query: QueryTerms) -> dict[str, frozenset[str]]:
        """For a question asking for a kind of value (a price, a time …): which of those kinds
        each shortlisted chunk holds a value of, read from the chunk's text (at most the
        shortlist, whatever the handbook's size)."""
        if not query.asks or not found:
            return {}
        ids = [int(ref) for ref in found if ref.isdigit()]
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = conn.execute(f"SELECT id, text FROM handbook_chunks WHERE id IN ({marks})", ids).fetchall()
        return {str(r["id"]): value_kinds(r["text"] or "", query.kinds) for r in rows}

    def _complete_chunks(self, conn: Connection, found: dict[str, _Candidate], query: np.ndarray | None) -> None:
        """Read the missing half of each candidate: the terms of chunks found by vectors only, the
        cosine of chunks found by BM25 only."""
        need_terms = [c for c in found.values() if c.terms is None]
        if need_terms:
            ids = [int(c.ref) for c in need_terms if c.ref.isdigit()]
            marks = ",".join("?" * len(ids))
            terms = {
                str(ref): frozenset(indexed.split())
                for ref, indexed in _tuple_rows(conn, f"SELECT ref, text FROM chunk_fts WHERE rowid IN ({marks})", ids)
            }
            for cand in need_terms:
                cand.terms = terms.get(cand.ref, frozenset())
        if query is None:
            return
        need_cosine = [c for c in found.values() if c.cosine is None]
        if need_cosine:
            marks = ",".join("?" * len(need_cosine))
            rows = _tuple_rows(
                conn,
                f"SELECT ref, vector FROM kb_vectors WHERE kind = 'chunk' AND ref IN ({marks})",
                [c.ref for c in need_cosine],
            )
            if rows and len(rows[0][1]) == query.shape[0] * 4:
                cosines = dot_rows(np.vstack([from_blob(v) for _, v in rows]), query)
                best = {ref: float(cos) for (ref, _), cos in zip(rows, cosines, strict=True)}
                for cand in need_cosine:
                    cand.cosine = best.get(cand.ref)

    def _articles(
        self,
        conn: Connection,
        terms: QueryTerms,
        weights: Weights,
        query: np.ndarray | None,
        coarse_query: np.ndarray | None,
        k: int,
        pool: int,
        focus: str | None = None,
    ) -> list[_Candidate]:
        """The article list: BM25 over each article as one document, best item cosine."""
        lexical: list[tuple[str, float, frozenset[str]]] = []
        if terms.terms:
            lexical = [
                (ref, score, frozenset(indexed.split()))
                for ref, indexed, score in _tuple_rows(
                    conn,
                    "SELECT ref, text, -bm25(kb_fts) FROM kb_fts WHERE kb_fts MATCH ? AND field = 'all'"
                    " ORDER BY rank LIMIT ?",
                    (fts_query(terms.terms), pool),
                )
            ]
        vector: dict[str, float] = {}
        if query is not None and coarse_query is not None:
            version = knowledge_version(conn)
            vector = self.vector_candidates(conn, "article", query, coarse_query, pool * self.oversample, version)
        found = _rank(lexical, vector, pool)
        if focus is not None and focus not in found:
            found[focus] = self._article_cosine(conn, _Candidate(focus), query)
        self._article_terms(conn, found)
        best = _finish(found, terms, weights, k)
        if focus is not None and all(c.ref != focus for c in best):
            best.append(found[focus])
        return best

    def _focus_article(
        self, conn: Connection, terms: QueryTerms, weights: Weights, query: np.ndarray | None, focus: str
    ) -> _Candidate:
        """One article's evidence and best item cosine, without searching the article list (the
        grounded tier compares the article the article tier chose with the handbook)."""
        cand = self._article_cosine(conn, _Candidate(focus), query)
        self._article_terms(conn, {focus: cand})
        _finish({focus: cand}, terms, weights, 1)
        return cand

    @staticmethod
    def _article_cosine(conn: Connection, cand: _Candidate, query: np.ndarray | None) -> _Candidate:
        if query is not None:
            rows = _tuple_rows(conn, "SELECT vector FROM kb_vectors WHERE kind = 'article' AND ref = ?", (cand.ref,))
            if rows and len(rows[0][0]) == query.shape[0] * 4:
                cand.cosine = float(dot_rows(np.vstack([from_blob(v) for (v,) in rows]), query).max())
        return cand

    @staticmethod
    def _article_terms(conn: Connection, found: dict[str, _Candidate]) -> None:
        missing = [c for c in found.values() if c.terms is None]
        if missing:
            marks = ",".join("?" * len(missing))
            rows = conn.execute(
                f"SELECT ref, text FROM kb_fts WHERE kind = 'article' AND field = 'all' AND ref IN ({marks})",
                [c.ref for c in missing],
            ).fetchall()
            texts = {r["ref"]: frozenset(r["text"].split()) for r in rows}
            for cand in missing:
                cand.terms = texts.get(cand.ref, frozenset())

    # -- scale-out ----------------------------------------------------------------------------
    def _search_postgres(
        self,
        conn: Any,
        terms: QueryTerms,
        query: np.ndarray | None,
        k: int,
        kinds: tuple[str, ...],
        lang: str,
        pool: int,
        focus: str | None = None,
    ) -> dict[str, list[Hit]]:
        """Scale-out path: BM25 over the tsvector tables and the worker's in-memory vector index,
        with the same idf, features and relevance as the SQLite path."""
        lookup = terms.lookup_terms()
        counts, total = pg_search.document_frequencies(conn, "chunk_fts", lookup) if lookup else ({}, 0)
        weights = Weights.of(terms, counts, total)
        usable = query is not None and float(np.abs(query).sum()) > 0
        vectors: list[tuple[str, str, float]] = []
        if usable and query is not None:
            vectors = conn.database.vector_index.search(conn, query, kinds, pool)
        out: dict[str, list[Hit]] = {}
        if "chunk" in kinds:
            sent = selective_terms(counts, total, terms.terms)
            rows = (
                pg_search.bm25(
                    conn,
                    "chunk_fts",
                    sent,
                    columns=("ref",),
                    limit=pool,
                    keep_text=True,
                )
                if sent
                else []
            )
            average = pg_search.average_length(conn, "chunk_fts")
            lexical = []
            for row in rows:
                tokens = row["text"].split()
                lexical.append((str(row["ref"]), bm25(tokens, weights.term, average), frozenset(tokens)))
            found = _shortlist(_rank(lexical, {ref: cos for kind, ref, cos in vectors if kind == "chunk"}, pool), k)
            missing = [c.ref for c in found.values() if c.terms is None]
            if missing:
                texts = {
                    r["ref"]: frozenset(r["text"].split())
                    for r in conn.execute("SELECT ref, text FROM chunk_fts WHERE ref = ANY(?)", (missing,)).fetchall()
                }
                for ref in missing:
                    found[ref].terms = texts.get(ref, frozenset())
            if usable and query is not None:
                for cand in found.values():
                    if cand.cosine is None:
                        cand.cosine = conn.database.vector_index.cosine(conn, query, "chunk", cand.ref)
            values = self._chunk_values(conn, found, terms)
            out["chunk"] = [
                h for h in (self._chunk_hit(conn, c) for c in _finish(found, terms, weights, k, values)) if h
            ]
        if "article" in kinds:
            lexical_articles = [
                (r["ref"], r["score"], frozenset(r["text"].split()))
                for r in pg_search.bm25(
                    conn,
                    "kb_fts",
                    terms.terms,
                    columns=("ref",),
                    where="field = 'all'",
                    limit=pool,
                    keep_text=True,
                )
            ]
            found = _rank(lexical_articles, {ref: cos for kind, ref, cos in vectors if kind == "article"}, pool)
            if focus is not None and focus not in found:
                found[focus] = _Candidate(focus)
                if usable and query is not None:
                    found[focus].cosine = conn.database.vector_index.cosine(conn, query, "article", focus)
            missing = [c.ref for c in found.values() if c.terms is None]
            if missing:
                texts = {
                    r["ref"]: frozenset(r["text"].split())
                    for r in conn.execute(
                        "SELECT ref, text FROM kb_fts WHERE kind = 'article' AND field = 'all' AND ref = ANY(?)",
                        (missing,),
                    ).fetchall()
                }
                for ref in missing:
                    found[ref].terms = texts.get(ref, frozenset())
            best = _finish(found, terms, weights, k)
            if focus is not None and all(c.ref != focus for c in best):
                best.append(found[focus])
            out["article"] = [self._article_hit(conn, c, lang) for c in best]
        elif focus is not None:
            cand = _Candidate(focus)
            if usable and query is not None:
                cand.cosine = conn.database.vector_index.cosine(conn, query, "article", focus)
            rows = conn.execute(
                "SELECT text FROM kb_fts WHERE kind = 'article' AND field = 'all' AND ref = ?", (focus,)
            ).fetchall()
            cand.terms = frozenset(rows[0]["text"].split()) if rows else frozenset()
            _finish({focus: cand}, terms, weights, 1)
            out["article"] = [self._article_hit(conn, cand, lang)]
        return out

    # -- the vector half ------------------------------------------------------------------------
    def vector_candidates(
        self, conn: Connection, kind: str, query: np.ndarray, coarse_query: np.ndarray, count: int, version: str
    ) -> dict[str, float]:
        """The vector half of a search: the ``count`` nearest binary codes of ``kind``, re-scored
        with the float vectors; the best cosine per ref."""
        ids = self._coarse_knn(conn, kind, coarse_query, count, version)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        # ~160 rows: a dict each cost more than the re-scoring
        rows = _tuple_rows(conn, f"SELECT ref, vector FROM kb_vectors WHERE id IN ({marks})", ids)
        if not rows or len(rows[0][1]) != query.shape[0] * 4:
            return {}
        cosines = dot_rows(np.vstack([from_blob(vector) for _, vector in rows]), query)
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

    # -- hits -----------------------------------------------------------------------------------
    @staticmethod
    def _chunk_hit(conn: Any, cand: _Candidate) -> Hit | None:
        rows = conn.execute(
            "SELECT c.text, c.heading, c.unit, c.lang, d.title, coalesce(d.source_name, d.path) AS doc"
            " FROM handbook_chunks c JOIN handbook_docs d ON d.id = c.doc_id WHERE c.id = ?"
            " AND d.path NOT LIKE ? AND d.path NOT LIKE ?",
            (int(cand.ref), *HIDDEN),
        ).fetchall()
        if not rows:
            return None  # a chunk being staged or purged (an ingestion in progress), or gone
        r = rows[0]
        return Hit(
            "chunk",
            cand.ref,
            r["heading"] or r["title"] or "",
            r["text"],
            round(cand.relevance, 4),
            cand.tier,
            r["doc"] or "",
            unit=r["unit"] or "text",
            lang=r["lang"] or "",
            coverage=round(cand.evidence.coverage, 4),
            cosine=round(cand.cosine or 0.0, 4),
            evidence=cand.evidence,
        )

    @staticmethod
    def _article_hit(conn: Any, cand: _Candidate, lang: str) -> Hit:
        rows = conn.execute("SELECT title, body FROM articles WHERE id = ?", (cand.ref,)).fetchall()
        title = text = ""
        used = lang
        if rows:
            title, _ = pick_text(json.loads(rows[0]["title"]), lang)
            text, used = pick_text(json.loads(rows[0]["body"]), lang)
        return Hit(
            "article",
            cand.ref,
            title,
            text,
            round(cand.relevance, 4),
            cand.tier,
            cand.ref,
            unit="article",
            lang=used or lang,
            coverage=round(cand.evidence.coverage, 4),
            cosine=round(cand.cosine or 0.0, 4),
            evidence=cand.evidence,
        )

    # -- the async API ----------------------------------------------------------------------------
    async def _query_vector(self, text: str) -> np.ndarray | None:
        vector: np.ndarray
        if isinstance(self.embedder, BuiltinEmbedder):
            vector = self.embedder.embed([text])[0]
            return vector
        if time.monotonic() < self._down_until:
            return None
        try:
            vector = (await asyncio.to_thread(self.embedder.embed, [text]))[0]
            return vector
        except Exception:  # noqa: BLE001 - a dead provider degrades search to FTS only
            self._down_until = time.monotonic() + 60.0  # and is not retried on every query
            return None

    async def chunk_count(self, version: str | None = None) -> int:
        """How many handbook chunks are indexed (0: no handbook, nothing to search), remembered
        per knowledge version: a caller that knows the version (the pipeline does) pays no
        database round trip."""
        with self._lock:
            known = self._chunk_count
        if version is not None and known is not None and known[0] == version:
            return known[1]

        def count(conn: Any) -> tuple[str, int]:
            seen = knowledge_version(conn)  # first: a later ingestion only adds to the count
            return seen, int(conn.execute("SELECT count(*) AS n FROM chunk_fts").fetchall()[0]["n"])

        found = await self.db.read(count)
        with self._lock:
            self._chunk_count = found
        return found[1]

    async def search(
        self, text: str, lang: str, k: int = 5, kinds: tuple[str, ...] = ("chunk", "article")
    ) -> list[Hit]:
        """The best ``k`` hits for ``text`` over ``kinds``, by calibrated relevance (``lang`` picks
        the article language shown)."""
        k = max(1, min(int(k), 50))
        if not text or not text.strip():
            return []
        query = await self._query_vector(text)
        return await self.db.read(lambda c: self.search_sync(c, text, query, k, kinds, lang or "ar"))

    async def search_lists(
        self,
        text: str,
        lang: str,
        k: int = 5,
        kinds: tuple[str, ...] = ("chunk", "article"),
        focus_article: str | None = None,
    ) -> dict[str, list[Hit]]:
        """The best ``k`` hits of each kind as separate lists (the grounded tier decides on the
        chunks and adds articles as context)."""
        k = max(1, min(int(k), 50))
        if not text or not text.strip():
            return {kind: [] for kind in kinds}
        query = await self._query_vector(text)
        return await self.db.read(
            lambda c: self.search_lists_sync(c, text, query, k, kinds, lang or "ar", focus_article)
        )
