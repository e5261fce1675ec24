"""Article decisions (BM25 over FTS5 + vectors + the pack's learned models).

:class:`ArticleMatcher` is the pipeline's article tier. For one message it scores every article
from seven signals, fuses them linearly and turns the best score, its margin over the runner-up
and what the winning article covers of the message into a calibrated confidence in [0, 1]:

* ``vmax`` — best cosine between the message and any item of the article (title, example,
  keyword, body sentence, any language);
* ``v2`` — the second-best item cosine (an article matched by two items is more credible);
* ``centroid`` — cosine with the mean of all the article's item vectors (its overall topic);
* ``bm25_item`` / ``bm25_article`` — FTS5 BM25 over the light-stemmed items and over the
  article as one document (IDF across articles makes rare topic words count);
* ``sparse`` — the pack's term model (:class:`SparseModel`: every example, title and keyword of
  an article pooled into one TF-IDF profile), learnt from the pack;
* ``learned`` — the pack's ridge model (:func:`train_model`) over the item vectors.

With ``ARTICLE_ENCODER=use-m3`` a multilingual sentence encoder (:mod:`knowledge.encoder`) adds
``semantic``, the cosine with the winning article's titles and examples, to the calibration, for
the messages whose decision it can change (docs/KNOWLEDGE.md, "Sentence encoder").

Both models are built with the article snapshot of a knowledge version, so they always match the
knowledge a message is decided on. The confidence's evidence (:func:`coverage`): the share of the
message's content words the article covers, whether one word carries the match, how generic that
word is, and the ridge model's margin. Weights and calibration were fitted on the dev splits, with
and without example questions (docs/KNOWLEDGE.md); the answer/ambiguous thresholds are settings.

The hybrid search over handbook chunks and articles (``ctx.retriever``) is
:class:`nura_appliance.knowledge.hybrid.HybridRetriever`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nura_appliance.knowledge.arabizi import transliterate_word
from nura_appliance.knowledge.bridge import spelling_key
from nura_appliance.knowledge.embedding import BuiltinEmbedder, Embedder
from nura_appliance.knowledge.encoder import SentenceEncoder
from nura_appliance.knowledge.english import is_english_word
from nura_appliance.knowledge.folding import normalize
from nura_appliance.knowledge.generic import generic
from nura_appliance.knowledge.indexer import from_blob
from nura_appliance.knowledge.language import arabizi_text
from nura_appliance.knowledge.lexicon import (
    carrier_family,
    carrier_numbers,
    carrier_question,
    carries_desk_matter,
    own_carriers,
    paper_question,
    service_facets,
    services_asked,
    water_named,
    without_own_names,
)
from nura_appliance.knowledge.normalize import analysis as shared_analysis
from nura_appliance.knowledge.normalize import has_sorani_letters
from nura_appliance.knowledge.numbered import Numbered, numbered_items, unlisted_numbers
from nura_appliance.knowledge.places import Gazetteer, default_gazetteer
from nura_appliance.knowledge.stemming import sorani_predicates
from nura_appliance.knowledge.topics import topic_words
from nura_appliance.storage.base import SearchStore, Transaction

# Fusion weights and calibration (docs/KNOWLEDGE.md). Weights: grid search for the best mean
# top-1 over the dev splits, cases.jsonl (packs with and without example questions) and the
# default pack's 5-fold example questions (operator2's k-fold only checked).
W_VMAX, W_V2, W_CENTROID, W_BM25_ITEM, W_BM25_ARTICLE = 1.0, 0.2, 0.4, 0.2, 0.4
W_LEARNED, W_SPARSE = 0.5, 2.0
BM25_DAMPING = 3.0  # bm25 / (best + damping): a weak lexical best match stays small
LONG_MESSAGE_WORDS = 40  # more content words than this: offer topics, never answer directly
# Calibration: logistic regression on the same data, out-of-scope cases weighted 3 (a confident
# wrong answer is the worst outcome). Inputs: the best fused score and its margin over the
# runner-up; the IDF-weighted share of the message's content words the winning article covers;
# whether at most one of them is covered; the largest IDF among the covered ones (a match carried
# by one generic word has a small one); the learned model's margin for the winner.
CAL_BIAS, CAL_SCORE, CAL_MARGIN = -2.819, 2.25, 2.452
CAL_COVERED, CAL_ONE_WORD, CAL_RAREST, CAL_LEARNED = -0.262, -1.322, 0.282, 1.157
# The background ("none of these") classes of the term model (oos_bank.json and the pack's own
# out_of_scope_examples): how far the best background class's score may exceed the winning
# article's before the question is out of scope, and above which the answer may not be confident
# (chosen on the dev splits and knowledge/eval/oos-dev; docs/KNOWLEDGE.md).
BACKGROUND_OUT, BACKGROUND_UNSURE, BACKGROUND_CAP = 0.1, 0.0, 0.79
# Coverage evidence that caps the confidence below "confident" (the answer itself stands): the
# message holds a content word no article knows ("instagram" in "reset my instagram password",
# "electricity" in "pay my electricity bill"), or the winning article covers less than this
# IDF-weighted share of its content words ("recharge my car battery" → the recharge-card article
# through "recharge" alone). Chosen on the dev splits and knowledge/eval/oos-dev2 (docs/KNOWLEDGE.md):
# a confident answer must not rest on part of the question.
UNCOVERED_SHARE, UNCOVERED_CAP = 0.25, 0.79
# Out of scope when at least this many content words of the message that the winning article does
# not cover occur together in one out-of-scope question (a line of oos_bank.json or of the pack's
# out_of_scope_examples): what the article leaves out of the message is what a known out-of-scope
# question is about ("how do i recharge my car battery" → "car battery dead": the recharge-card
# article covers "recharge" only). Two words, as one matched word is weak evidence on the article's
# side too. Chosen on the dev splits and knowledge/eval/oos-dev, oos-dev2 (docs/KNOWLEDGE.md).
BACKGROUND_WORDS = 2
# Two articles this close in fused score that share the message's topic words are told apart by
# what only one of them covers (``what_decides``): chosen on the dev splits (docs/KNOWLEDGE.md).
RERANK_MARGIN = 0.1
# Two articles within this fused score of each other, of which the runner-up covers every content
# word the best one covers and more, one of them rarer in the pack by at least this much (the largest
# covered IDF, 0-1): the rarer word is what the question is about, and the runner-up leads
# (``specific_word_decides``: "لە دەرەوەی وڵات … ئینتەرنێت", internet abroad, is roaming, not the
# data-usage article that covers only "internet" and "use"). Chosen on the dev splits (docs/KNOWLEDGE.md).
DECIDING_MARGIN, DECIDING_RARITY = 0.2, 0.3
# The optional sentence encoder (ARTICLE_ENCODER, knowledge.encoder): ``semantic`` is the best
# cosine between the message and the winning article's titles and example questions in the
# encoder's space, one more input of the calibration (CAL_SEMANTIC · (semantic − SEMANTIC_PIVOT)).
# It moves the confidence by at most SEMANTIC_REACH in logits, so the message is encoded only when
# that can change the decision: a confidence that far from both thresholds keeps its kind. Chosen
# on the dev splits; using it in the fused score or as out-of-scope evidence was measured and not
# kept (docs/KNOWLEDGE.md, "Sentence encoder").
CAL_SEMANTIC, SEMANTIC_PIVOT = 1.0, 0.5
SEMANTIC_REACH = CAL_SEMANTIC * max(SEMANTIC_PIVOT, 1.0 - SEMANTIC_PIVOT)
SEMANTIC_FIELDS = ("title", "examples")


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
    product: np.ndarray = np.einsum("ij,j->i", matrix, vector)
    return product


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


def knowledge_version(store: SearchStore, conn: Transaction) -> str:
    """The knowledge version ``conn`` sees; every change of articles or handbook bumps it, and the
    in-memory indexes (article snapshot, binary codes, term frequencies) are kept per version."""
    return store.meta_in(conn, "version") or "0"


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


def _load_lexicon(store: SearchStore, conn: Transaction, position: dict[str, int]) -> _Lexicon | None:
    """Build the :class:`_Lexicon` from the lexical index's own postings, or None where the store
    scores per query (the matcher then asks it per message)."""
    index = store.article_postings_in(conn)
    if index is None:
        return None
    meta, counts = index.rows, index.counts
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
    lexicon: _Lexicon | None = None  # where the store gives postings; else it is asked per message
    # The index terms of each article (every item, every language) and in how many articles each
    # term occurs: what part of a message an article covers, and how telling each word is.
    terms: list[frozenset[str]] = field(default_factory=list)
    df: dict[str, int] = field(default_factory=dict)
    # The pack's learned model (see :func:`train_model`), one row per article: weights @ query
    # vector → a score per article.
    weights: np.ndarray | None = None
    sparse: SparseModel | None = None  # the pack's term model (see :class:`SparseModel`)
    # How many background ("none of these") classes the term model holds after the articles
    # (its last rows; see :func:`background_bags`).
    background: int = 0
    # The out-of-scope questions (bank lines and the pack's own) as an inverted index: index term
    # → the questions holding it (see :func:`background_words`).
    questions: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # The operators and wallets the pack's name and scope message name (``lexicon.own_carriers``),
    # read with the rest of this knowledge version: an import that renames the pack counts from
    # its first message on.
    own_carriers: frozenset[str] = frozenset()
    # The consonant skeletons of the company's own name (``own_name_skeletons``): a match carried
    # by it alone says the question is for this desk, not which article answers it.
    own_names: frozenset[str] = frozenset()
    # The places the desk serves (``pack.places``, else the shipped ones): a branch or package
    # question naming one of them that the listing article lacks asks for an unlisted item.
    places: Gazetteer = field(default_factory=default_gazetteer)
    # The numbered items each article's text holds ("zone 2", "Plus 30"; ``numbered``): a question
    # naming another number of an item it lists asks for an unlisted item.
    numbered: list[Numbered] = field(default_factory=list)
    # The sentence encoder's vectors of this version's titles, examples and out-of-scope
    # questions (None without ARTICLE_ENCODER; see :class:`_Semantic`).
    semantic: _Semantic | None = None

    def __post_init__(self) -> None:
        self.position = {a: i for i, a in enumerate(self.article_ids)}


@dataclass
class _Semantic:
    """The sentence encoder's view of one knowledge version: a vector per title and example
    question of every article (rows grouped by article)."""

    vectors: np.ndarray  # (items, dim)
    item_article: np.ndarray  # item row → article index
    starts: np.ndarray  # first row of each article that has items
    owners: np.ndarray  # the article index of each group in ``starts``
    articles: int

    def score(self, query: np.ndarray) -> np.ndarray:
        """Best cosine per article (0 for an article with no item)."""
        best = np.zeros(self.articles)
        if len(self.vectors):
            cosines = dot_rows(self.vectors, query)
            best[self.owners] = np.maximum.reduceat(cosines, self.starts)
        return best


def _texts_of(value: Any) -> list[str]:
    """Every text of a stored JSON field ({lang: text} or {lang: [texts]})."""
    try:
        loaded = json.loads(value) if isinstance(value, str) and value else value
    except ValueError:
        return []
    out: list[str] = []
    if isinstance(loaded, dict):
        for item in loaded.values():
            if isinstance(item, str) and item.strip():
                out.append(item)
            elif isinstance(item, list):
                out.extend(t for t in item if isinstance(t, str) and t.strip())
    return out


def _load_semantic(
    store: SearchStore, conn: Transaction, encoder: SentenceEncoder, position: dict[str, int]
) -> _Semantic:
    """Encode this version's titles and example questions (once per version, with the snapshot)."""
    texts: list[str] = []
    owners: list[int] = []
    for row in store.article_sources_in(conn):
        index = position.get(row["id"])
        if index is None:
            continue
        for name in SEMANTIC_FIELDS:
            found = _texts_of(row[name])
            texts.extend(found)
            owners.extend([index] * len(found))
    order = np.argsort(np.array(owners, dtype=np.int64), kind="stable")
    item_article = np.array(owners, dtype=np.int64)[order]
    vectors = encoder.encode([texts[i] for i in order]) if texts else np.zeros((0, encoder.dim), dtype=np.float32)
    starts = (
        np.flatnonzero(np.r_[True, item_article[1:] != item_article[:-1]])
        if len(texts)
        else np.zeros(0, dtype=np.int64)
    )
    return _Semantic(vectors, item_article, starts, item_article[starts], len(position))


def _numbered_of(store: SearchStore, conn: Transaction, position: dict[str, int]) -> list[Numbered]:
    """The numbered items of each article's title, body and examples (``numbered.numbered_items``)."""
    found = [Numbered() for _ in position]
    for row in store.article_sources_in(conn):
        index = position.get(row["id"])
        if index is not None:
            texts = [text for name in ("title", "body", "examples") for text in _texts_of(row[name])]
            found[index] = numbered_items("\n".join(texts))
    return found


def _load_snapshot(
    store: SearchStore,
    conn: Transaction,
    version: str,
    learn: bool = True,
    encoder: SentenceEncoder | None = None,
) -> _Snapshot:
    rows = store.article_items_in(conn)
    space = store.meta_in(conn, "vector_space") or ""
    article_ids = sorted({ref for ref, _, _ in rows})
    position = {a: i for i, a in enumerate(article_ids)}
    if not rows:
        empty = np.zeros((0, 1), dtype=np.float32)
        return _Snapshot(version, "", [], np.zeros(0, dtype=np.int64), empty, empty, np.zeros(0, dtype=np.int64))
    vectors = np.vstack([from_blob(vector) for _, _, vector in rows])
    item_article = np.array([position[ref] for ref, _, _ in rows], dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, item_article[1:] != item_article[:-1]])
    centroids = np.zeros((len(article_ids), vectors.shape[1]), dtype=np.float32)
    centroids[item_article[starts]] = np.add.reduceat(vectors, starts, axis=0)  # rows grouped by article
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    snap = _Snapshot(
        version,
        space,
        article_ids,
        item_article,
        vectors,
        centroids / norms,
        starts,
    )
    snap.lexicon = _load_lexicon(store, conn, snap.position)
    terms: list[set[str]] = [set() for _ in article_ids]
    counts: list[dict[str, float]] = [{} for _ in article_ids]  # term → field-weighted count
    for ref, kind, text in store.article_fields_in(conn):
        index = position.get(ref)
        if index is not None:
            words = text.split()
            terms[index].update(words)
            weight = TERM_FIELD_WEIGHT.get(kind, 0.3)
            bag = counts[index]
            for word in words:
                bag[word] = bag.get(word, 0.0) + weight
    snap.terms = [frozenset(t) for t in terms]
    names = _pack_names(store, conn)
    snap.own_carriers = own_carriers(names)
    snap.own_names = own_name_skeletons(names)
    snap.places = _pack_places(store, conn)
    snap.numbered = _numbered_of(store, conn, position)
    if encoder is not None:
        snap.semantic = _load_semantic(store, conn, encoder, snap.position)
    if learn:
        own = _pack_background_texts(store, conn)
        background = [*background_bags(), *([_background_bag(own)] if own else [])]
        background = [bag for bag in background if bag]
        snap.sparse = SparseModel.build([term_features(bag) for bag in counts], background)
        snap.background = len(background)
        snap.questions = _question_index([*bank_questions(), *(_question_terms(t) for t in own)])
    df: dict[str, int] = {}
    for found in snap.terms:
        for term in found:
            df[term] = df.get(term, 0) + 1
    snap.df = df
    fields = [kind for _, kind, _ in rows]
    if learn and len(fields) == len(item_article):
        snap.weights = np.ascontiguousarray(train_model(vectors, item_article, fields, len(article_ids)).T)
    return snap


BANK_PATH = Path(__file__).with_name("oos_bank.json")


def _background_bag(texts: list[str]) -> dict[str, float]:
    counts: dict[str, float] = {}
    for text in texts:
        # An Arabizi question is matched in Arabic script (signals.matching_text): the bank's
        # Arabizi lines count in both scripts; a word both readings hold (an English or telecom
        # word, a service or operator name kept in Latin letters) counts once.
        arabic = arabizi_text(text)
        latin = analyse(text)[0]
        seen = set(latin)
        for term in latin + ([t for t in analyse(arabic)[0] if t not in seen] if arabic else []):
            counts[term] = counts.get(term, 0.0) + 1.0
    return term_features(counts) if counts else {}


@functools.lru_cache(maxsize=1)
def background_bags() -> tuple[dict[str, float], ...]:
    """The built-in background classes of the term model: one bag of index terms per category of
    out-of-scope questions in ``oos_bank.json`` (currency and gold prices, phones for sale, other
    companies, news, weather, sports, homework, coding, CVs, health …), as the term model's
    features. Trained next to the articles, they let each pack's model learn what is *not* any of
    its articles: a question nearer a background class than its best article is out of scope."""
    data = json.loads(BANK_PATH.read_text(encoding="utf-8"))
    bags = (_background_bag(texts) for texts in data["categories"].values())
    return tuple(bag for bag in bags if bag)


def _pack_background_texts(store: SearchStore, conn: Transaction) -> list[str]:
    """The pack's own out-of-scope questions: its ``out_of_scope_examples`` (kb_meta), if any."""
    value = store.meta_in(conn, "out_of_scope_examples")
    texts = json.loads(value) if value is not None else []
    return [t for t in texts if isinstance(t, str)] if isinstance(texts, list) else []


def _pack_names(store: SearchStore, conn: Transaction) -> list[str]:
    """The pack's name and its scope message in every language (kb_meta)."""
    names = [store.meta_in(conn, "pack_name") or ""]
    value = store.meta_in(conn, "scope_message")
    try:
        scope = json.loads(value) if value else {}
    except ValueError:
        scope = {}
    if isinstance(scope, dict):
        names.extend(t for t in scope.values() if isinstance(t, str))
    return names


def _pack_places(store: SearchStore, conn: Transaction) -> Gazetteer:
    """The places the pack declares (``pack.places``, kb_meta), else the shipped ones."""
    value = store.meta_in(conn, "places")
    if not value or value == "null":
        return default_gazetteer()
    try:
        return Gazetteer.from_data(json.loads(value))
    except ValueError:  # checked on import; a hand-edited row reads as none
        return default_gazetteer()


def own_name_skeletons(names: list[str]) -> frozenset[str]:
    """The company's own name in the pack: the words of the pack's name (``names[0]``) that its
    scope message also writes (in any of its languages) and that are no English word ("Nahr" of
    "Nahr Telecom", not "Telecom"), as the consonant skeletons (``bridge.spelling_key``, one
    alphabet for both scripts) of the word and of its Arabizi reading."""
    if not names or not names[0]:
        return frozenset()
    scope = {w for text in names[1:] for w in normalize(text).split()}
    found: set[str] = set()
    for word in normalize(names[0]).split():
        word = word.strip("()[],.:;")
        if len(word) < 4 or not word.isalpha() or word not in scope or is_english_word(word):
            continue
        for form in (word, transliterate_word(word)):
            shape = spelling_key(form)
            if len(shape) >= 3:
                found.add(shape)
    return frozenset(found)


def names_only_own(snap: _Snapshot, units: list[tuple[str, str | None]], index: int) -> bool:
    """Whether every content word of the message article ``index`` covers is the company's own
    name ("who is the ceo of nahr telecom" and the one-article pack's app article, through
    "nahr"): the name says the question is for this desk, not which article answers it."""
    if not snap.own_names:
        return False
    covered = covered_units(snap, units, index)
    if not covered:
        return False
    for root in covered:
        shape = spelling_key(root)
        if len(shape) < 3 or not any(own.startswith(shape) or shape.startswith(own) for own in snap.own_names):
            return False
    return True


def _question_terms(text: str) -> frozenset[str]:
    """The index terms of one out-of-scope question (an Arabizi one in both scripts)."""
    arabic = arabizi_text(text)
    return frozenset(analyse(text)[0] + (analyse(arabic)[0] if arabic else []))


@functools.lru_cache(maxsize=1)
def bank_questions() -> tuple[frozenset[str], ...]:
    """Every question of ``oos_bank.json`` as its set of index terms."""
    data = json.loads(BANK_PATH.read_text(encoding="utf-8"))
    return tuple(_question_terms(text) for texts in data["categories"].values() for text in texts)


def _question_index(questions: list[frozenset[str]]) -> dict[str, tuple[int, ...]]:
    index: dict[str, list[int]] = {}
    for number, terms in enumerate(questions):
        for term in terms:
            index.setdefault(term, []).append(number)
    return {term: tuple(found) for term, found in index.items()}


# The term model: each article as one weighted bag of its items' index terms (stems and concepts)
# and their character 3/4-grams, TF-IDF over articles, L2-normalised (a Rocchio classifier).
TERM_FIELD_WEIGHT = {"example": 1.0, "title": 1.0, "keyword": 0.7, "body": 0.3}
GRAM_WEIGHT = 0.3


@functools.lru_cache(maxsize=200_000)
def _grams(term: str) -> tuple[str, ...]:
    padded = f"<{term}>"
    return tuple("g:" + padded[i : i + n] for n in (3, 4) for i in range(len(padded) - n + 1))


def _add_term(bag: dict[str, float], term: str, weight: float) -> None:
    """Add one index term's features to ``bag``: the word, and its letter grams unless a concept."""
    key = "w:" + term
    bag[key] = bag.get(key, 0.0) + weight
    if not term.startswith("kc"):
        part = GRAM_WEIGHT * weight
        for gram in _grams(term):
            bag[gram] = bag.get(gram, 0.0) + part


def term_features(counts: dict[str, float]) -> dict[str, float]:
    """The term model's features of a bag of index terms with (weighted) counts."""
    bag: dict[str, float] = {}
    for term, weight in counts.items():
        _add_term(bag, term, weight)
    return bag


def add_features(bag: dict[str, float], terms: list[str], weight: float = 1.0) -> dict[str, float]:
    """Add the term model's features of ``terms`` (index terms of one text) to ``bag``."""
    for term in terms:
        _add_term(bag, term, weight)
    return bag


@dataclass
class SparseModel:
    """A per-pack term model learnt from the articles' items, example questions weighing most.

    Where ``vmax`` lets one near-duplicate example decide, this pools every example of an article
    (with its title, keywords and, lightly, its body) into one profile, and IDF over articles
    discounts the words many articles' examples share. Character n-grams keep typos and dialect
    spellings close. The profiles are stored as postings sorted by feature (CSR), so scoring a
    message is a handful of vectorised numpy operations over its features' postings."""

    slot: dict[str, int]  # feature → its row
    idf: np.ndarray  # row → IDF over articles
    indptr: np.ndarray  # row → start of its postings (len = rows + 1)
    owners: np.ndarray  # posting → article index
    values: np.ndarray  # posting → the article profile's (normalised) weight
    articles: int
    _terms: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)

    @classmethod
    def build(cls, docs: list[dict[str, float]], background: Sequence[dict[str, float]] = ()) -> SparseModel:
        """The model of ``docs`` (one per article) and ``background`` classes (rows after the
        articles, scored the same way). The background counts in the IDF like an article: a word
        that out-of-scope questions use as much as the pack's articles ("سعر", "عروض", "price")
        is discounted as evidence for an article."""
        docs = [*docs, *background]
        n = len(docs)
        df: dict[str, int] = {}
        for doc in docs:
            for feature in doc:
                df[feature] = df.get(feature, 0) + 1
        slot = {f: i for i, f in enumerate(df)}
        idf = np.log((n + 1) / (np.fromiter(df.values(), dtype=np.float64, count=len(df)) + 0.5))
        feature_of: list[int] = []
        article_of: list[int] = []
        raw: list[float] = []
        for index, doc in enumerate(docs):
            feature_of.extend(slot[f] for f in doc)
            article_of.extend([index] * len(doc))
            raw.extend(doc.values())
        features = np.array(feature_of, dtype=np.int64)
        owners = np.array(article_of, dtype=np.int64)
        values = np.sqrt(np.array(raw, dtype=np.float64)) * idf[features] if len(features) else np.zeros(0)
        norms = np.sqrt(np.bincount(owners, weights=values * values, minlength=n))
        norms[norms == 0] = 1.0
        values = values / norms[owners] if len(features) else values
        order = np.argsort(features, kind="stable")
        features, owners, values = features[order], owners[order], values[order]
        indptr = np.searchsorted(features, np.arange(len(slot) + 1))
        return cls(slot, idf, indptr, owners, values, n)

    def _features(self, term: str) -> tuple[list[int], list[float]]:
        """The rows and weights of one index term's features the model knows (memoised)."""
        found = self._terms.get(term)
        if found is None:
            bag = add_features({}, [term])
            rows = [(self.slot[f], w) for f, w in bag.items() if f in self.slot]
            found = ([r for r, _ in rows], [w for _, w in rows])
            if len(self._terms) < 200_000:
                self._terms[term] = found
        return found

    def score(self, terms: list[str]) -> np.ndarray:
        """Cosine between the message's TF-IDF features and each article's profile."""
        bag: dict[int, float] = {}
        for term in terms:
            rows, weights = self._features(term)
            for row, weight in zip(rows, weights, strict=True):
                bag[row] = bag.get(row, 0.0) + weight
        if not bag:
            return np.zeros(self.articles)
        unique = np.fromiter(bag.keys(), dtype=np.int64, count=len(bag))
        query = np.sqrt(np.fromiter(bag.values(), dtype=np.float64, count=len(bag))) * self.idf[unique]
        starts = self.indptr[unique]
        counts = self.indptr[unique + 1] - starts
        total = int(counts.sum())
        if total == 0:
            return np.zeros(self.articles)
        # positions of every posting of every query feature, without a Python loop
        offsets = np.repeat(starts - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(total)
        scores = np.bincount(
            self.owners[offsets], weights=self.values[offsets] * np.repeat(query, counts), minlength=self.articles
        )
        return scores / math.sqrt(float(query @ query))


# How much each kind of item teaches the learned model: example questions are what customers
# write, titles and keywords name the topic, body sentences describe it in the pack's own words.
FIELD_WEIGHT = {"example": 1.0, "title": 1.0, "keyword": 0.6, "body": 0.25}
RIDGE = 1.0


def train_model(vectors: np.ndarray, item_article: np.ndarray, fields: list[str], articles: int) -> np.ndarray:
    """A linear model per pack: ridge regression from an item's vector to its article (one-hot),
    over every item, weighted by its field.

    Unlike the best single item (``vmax``), it learns which directions of the feature space tell
    the articles apart (the words shared by many articles' examples are discounted, the words
    only one article's examples use count), so one near-duplicate example does not decide alone.
    The closed form costs one d × d solve (d = the embedding dimension): 10,000 examples train in
    well under a second, so it is trained when a knowledge version is loaded."""
    x = np.asarray(vectors, dtype=np.float32)
    w = np.array([FIELD_WEIGHT.get(f, 0.25) for f in fields], dtype=np.float32)
    xw = x * w[:, None]
    gram = (xw.T @ x).astype(np.float64) + RIDGE * np.eye(x.shape[1])
    # Xᵀ·W·Y for one-hot Y: the weighted item vectors summed per article (no items × articles matrix)
    per_article = np.zeros((articles, x.shape[1]), dtype=np.float64)
    if len(item_article) and np.all(item_article[1:] >= item_article[:-1]):  # grouped by article
        starts = np.flatnonzero(np.r_[True, item_article[1:] != item_article[:-1]])
        per_article[item_article[starts]] = np.add.reduceat(xw, starts, axis=0)
    else:
        np.add.at(per_article, item_article, xw)
    return np.linalg.solve(gram, per_article.T).astype(np.float32)


def analyse(text: str) -> tuple[list[str], list[tuple[str, str | None]]]:
    """One pass of text analysis for the article tier: the message's index terms (exactly
    :func:`~nura_appliance.knowledge.normalize.index_terms`) and its content words as
    (stem, concept term or None), stopwords left out — the shared, remembered
    :func:`~nura_appliance.knowledge.normalize.analysis` of the message."""
    found = shared_analysis(text)
    return list(found.terms), found.units()


def coverage(snap: _Snapshot, units: list[tuple[str, str | None]], index: int) -> tuple[float, int, float]:
    """See :func:`coverage_evidence` (its first three numbers)."""
    return coverage_evidence(snap, units, index)[:3]


def coverage_evidence(
    snap: _Snapshot, units: list[tuple[str, str | None]], index: int
) -> tuple[float, int, float, float, int]:
    """How much of a message article ``index`` covers: the IDF-weighted share of its content
    words found in the article (a word counts through its concept too; a word the knowledge
    does not know at all weighs most), how many distinct words it covers, and the largest IDF
    among them (a match carried by one generic word — "سعر", "كود", "رقم" — is weak evidence);
    then the largest IDF among the words it does *not* cover (0–1; 1 = a word no article knows)
    and how many words no article knows at all."""
    if not units:
        return 0.0, 0, 0.0, 0.0, 0
    n = len(snap.article_ids)
    terms = snap.terms[index] if index < len(snap.terms) else frozenset()
    total = covered = best = missing = 0.0
    count = unknown = 0
    scale = math.log(2 * (n + 1))
    for root, concept in units:
        seen = max(snap.df.get(root, 0), snap.df.get(concept, 0) if concept else 0)
        weight = math.log((n + 1) / (seen + 0.5))
        total += weight
        if root in terms or (concept is not None and concept in terms):
            covered += weight
            count += 1
            best = max(best, weight / scale)
        else:
            missing = max(missing, weight / scale)
            if seen == 0 and len(root) > 2 and not root.isdigit():
                unknown += 1
    return (covered / total if total > 0 else 0.0), count, best, missing, unknown


def covered_units(snap: _Snapshot, units: list[tuple[str, str | None]], index: int) -> frozenset[str]:
    """The message's content words (their stems) article ``index`` covers, itself or by concept."""
    terms = snap.terms[index] if index < len(snap.terms) else frozenset()
    return frozenset(root for root, concept in units if root in terms or (concept is not None and concept in terms))


def what_decides(
    snap: _Snapshot,
    units: list[tuple[str, str | None]],
    order: np.ndarray,
    fused: np.ndarray,
    predicates: frozenset[str],
) -> bool:
    """Whether the runner-up should win over a best article it nearly ties with
    (``RERANK_MARGIN``): the two share the message's nouns, and the runner-up also covers its
    predicate (``stemming.sorani_predicates``: "باڵانسەکەم … تەواو دەبێت", my balance finishes —
    the draining article's verb, where the balance-check article shares only the noun) while the
    best one covers nothing the runner-up lacks."""
    if not predicates or len(order) < 2 or float(fused[order[0]] - fused[order[1]]) >= RERANK_MARGIN:
        return False
    best, runner = covered_units(snap, units, int(order[0])), covered_units(snap, units, int(order[1]))
    extra = runner - best
    return bool(best & runner) and best < runner and extra <= predicates


def specific_word_decides(
    snap: _Snapshot, units: list[tuple[str, str | None]], order: np.ndarray, fused: np.ndarray
) -> bool:
    """Whether the runner-up should win over a best article it nearly ties with
    (``DECIDING_MARGIN``): it covers every content word of the message the best one covers, and
    more, among them a word rarer in the pack (``DECIDING_RARITY`` more of the largest covered IDF)
    than any the best one covers — the best one won on the message's generic words."""
    if len(order) < 2 or float(fused[order[0]] - fused[order[1]]) >= DECIDING_MARGIN:
        return False
    first, second = int(order[0]), int(order[1])
    best, runner = covered_units(snap, units, first), covered_units(snap, units, second)
    if not best or not best < runner:
        return False
    return coverage_evidence(snap, units, second)[2] - coverage_evidence(snap, units, first)[2] >= DECIDING_RARITY


def background_words(snap: _Snapshot, units: list[tuple[str, str | None]], index: int) -> int:
    """How many of the message's content words that article ``index`` does not cover one
    out-of-scope question holds (the most over the questions; a word counts through its concept
    too; numbers do not count)."""
    questions = snap.questions
    if not questions or not units:
        return 0
    terms = snap.terms[index] if index < len(snap.terms) else frozenset()
    found: dict[int, int] = {}
    for root, concept in units:
        if root.isdigit() or root in terms or (concept is not None and concept in terms):
            continue
        lines = set(questions.get(root, ()))
        if concept is not None:
            lines.update(questions.get(concept, ()))
        for line in lines:
            found[line] = found.get(line, 0) + 1
    return max(found.values()) if found else 0


def generic_only(snap: _Snapshot, units: list[tuple[str, str | None]], index: int) -> int:
    """Whether article ``index``'s match with a message rests on generic words alone
    (``generic.generic``: a code, a number, a price, charging, a phone …) while the message has
    other content words the article does not hold: 0 when not; 1 when those words are known to
    the pack (another article's matter: offer topics, do not answer); 2 when one of them is known
    to no article at all (the question is about something else: "شحن جواهر فري فاير", game gems,
    and the recharge article through "شحن" alone). Numbers count on neither side."""
    terms = snap.terms[index] if index < len(snap.terms) else frozenset()
    matched = rest = unknown = 0
    for root, concept in units:
        if root.isdigit():
            continue
        if root in terms or (concept is not None and concept in terms):
            if not generic(root, concept):
                return 0
            matched += 1
        elif len(root) > 2:
            rest += 1
            if max(snap.df.get(root, 0), snap.df.get(concept, 0) if concept else 0) == 0:
                unknown += 1
    if not matched or not rest:
        return 0
    return 2 if unknown else 1


# Concepts whose articles list named items (branches by town, packages by mountain or river): a
# message about one of them that names such a place the winning article does not hold asks about
# an item the list lacks (``unlisted_places``).
LIST_KINDS = frozenset({"kcpackage", "kcbranch"})


def unlisted_places(snap: _Snapshot, text: str, units: list[tuple[str, str | None]], index: int) -> list[str]:
    """The local places (``Gazetteer.place_words``) a message about a branch or a package names that
    article ``index`` does not hold, when that article covers the branch or package word: "وين
    فرعكم بالكوت" and the article listing the branches in other cities, "كم سعر باقة آزمر" and
    the packages article. Empty when there are none."""
    terms = snap.terms[index] if index < len(snap.terms) else frozenset()
    kinds = {concept for _, concept in units if concept in LIST_KINDS and concept in terms}
    if not kinds:
        return []
    # Branches are named by town, packages by mountain or river: a town in a package question is
    # where the customer is ("باقة نت بأربيل").
    nature_only = "kcbranch" not in kinds
    return [name for name in snap.places.place_words(text, nature_only) if not snap.places.held_in(name, terms)]


def other_service_words(
    snap: _Snapshot, units: list[tuple[str, str | None]], terms: Sequence[str], index: int
) -> list[str]:
    """The other services (``lexicon.other_services``: another platform, shop, bank or utility)
    a message names and article ``index`` does not, when the message asks for an account,
    password, subscription, price, bill, refund or card and names nothing the desk carries
    (``lexicon.service_facets``; a bank or card only beyond paying and topping up): "reset my instagram password" is Instagram's question, however
    well the password article covers "reset" and "password". Empty when there are none."""
    names = services_asked([root for root, _ in units], service_facets(units, terms))
    if not names:
        return []
    covered = snap.terms[index] if index < len(snap.terms) else frozenset()
    return [name for name in names if not all(part in covered for part in name.split())]


def foreign_topic_words(
    snap: _Snapshot, text: str, units: list[tuple[str, str | None]], terms: Sequence[str], index: int
) -> list[str]:
    """The words of a subject no telecom desk carries (``topics.topic_words``: health, food,
    animals, sport, the weather, cars, jokes …) that a message names and article ``index`` does
    not hold, when the message names nothing the desk carries ("is paracetamol safe every day",
    not "my dog chewed my SIM"). Empty when there are none."""
    if carries_desk_matter(terms):
        return []
    found = topic_words(text, [root for root, _ in units])
    if not found:
        return []
    covered = [root for root in covered_units(snap, units, index) if len(root) >= 3]
    held = snap.terms[index] if index < len(snap.terms) else frozenset()
    return [w for w in found if w not in held and not any(w.startswith(r) or r.startswith(w) for r in covered)]


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1.0 - 1e-12)
    return math.log(p / (1.0 - p))


OWN_BRAND_ARTICLES = 3  # a carrier name this many articles hold is the pack's own operator


@functools.lru_cache(maxsize=16)
def _named_carriers(name: str) -> frozenset[str]:
    """``lexicon.own_carriers`` of one name (the COMPANY_NAME setting: asked at every message)."""
    return own_carriers([name])


def other_carrier_words(
    snap: _Snapshot,
    text: str,
    units: list[tuple[str, str | None]],
    terms: Sequence[str],
    index: int,
    own: frozenset[str] = frozenset(),
) -> list[str]:
    """The other operators or wallets whose balance, packages, prices, top-up or app a message
    asks about (``lexicon.carrier_question``), leaving out a name the winning article ``index``
    holds, that the pack itself uses widely, or that the pack's name, its scope message or
    ``own`` (the COMPANY_NAME setting's operators) name: the desk's own operator. Empty when
    there are none."""
    names = carrier_question(text, units, terms)
    if not names:
        return []
    covered = snap.terms[index] if index < len(snap.terms) else frozenset()
    found = []
    for name in names:
        if carrier_family(name) in snap.own_carriers or carrier_family(name) in own:
            continue
        stems = [root for root, _ in shared_analysis(name).units()] or name.split()
        if all(s in covered for s in stems) or min(snap.df.get(s, 0) for s in stems) >= OWN_BRAND_ARTICLES:
            continue
        found.append(name)
    return found


class ArticleMatcher:
    """The article tier: scores articles and decides answer / ambiguous / none."""

    def __init__(
        self,
        store: SearchStore,
        *,
        answer_threshold: float,
        ambiguous_threshold: float,
        embedder: Embedder | None = None,
        company_name: Callable[[], str] | str = "",
        encoder: SentenceEncoder | None = None,
    ) -> None:
        self.store = store
        # The COMPANY_NAME setting, read at each message (an admin may change it at run time): its
        # operator is the desk's own (``other_carrier_words``, ``company_carriers``).
        self.company_name: Callable[[], str] = company_name if callable(company_name) else lambda: company_name
        self.answer_threshold = answer_threshold
        self.ambiguous_threshold = ambiguous_threshold
        self.embedder: Embedder = embedder or BuiltinEmbedder()
        # The optional sentence encoder (ARTICLE_ENCODER): one more signal (``semantic``).
        self.encoder = encoder
        self._snapshot: _Snapshot | None = None
        # One build of a version's snapshot at a time: the reader threads that ask for it together
        # (the first messages after a start or a knowledge edit) wait for that build and share it,
        # instead of each building its own copy (SparseModel.build and train_model: CPU-heavy).
        self._build_lock = threading.Lock()
        # The pack's learned models (term model, ridge model); off only to measure what they cost
        # (tests/bench/bench_pack_import.py).
        self.learn = True

    def company_carriers(self) -> frozenset[str]:
        """The operators and wallets the COMPANY_NAME setting names now (``lexicon.own_carriers``)."""
        return _named_carriers(self.company_name())

    def _snapshot_in(self, conn: Transaction) -> _Snapshot:
        """The article index for the knowledge version ``conn`` sees (reloaded when it changed)."""
        version = knowledge_version(self.store, conn)
        snap = self._snapshot
        if snap is None or snap.version != version:
            with self._build_lock:
                snap = self._snapshot  # built by the thread that held the lock meanwhile?
                if snap is None or snap.version != version:
                    snap = self._snapshot = _load_snapshot(self.store, conn, version, self.learn, self.encoder)
        return snap

    def _lexical(
        self, conn: Transaction, snap: _Snapshot, terms: list[str], *, use_lexicon: bool = True
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
        bm_item, bm_article = _best_per_article(snap, self.store.article_bm25_in(conn, terms))
        if not words:
            return bm_item, bm_article, 1.0
        vocab = snap.vocab
        unseen = [w for w in words if w not in vocab]
        if unseen:
            if len(vocab) > 50_000:  # bound memory against floods of made-up words
                vocab.clear()
            indexed = self.store.indexed_terms_in(conn, unseen)
            for word in unseen:
                vocab[word] = word in indexed
        return bm_item, bm_article, sum(1 for w in words if vocab.get(w)) / len(words)

    async def scores(self, text: str) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        """Fused score per article (and the raw signals) for one message."""
        return (await self._versioned_scores(text))[1]

    async def _versioned_scores(
        self, text: str, analysis: dict[str, Any] | None = None, own: frozenset[str] = frozenset()
    ) -> tuple[str | None, tuple[list[str], np.ndarray, dict[str, np.ndarray]], _Snapshot]:
        """The knowledge version the scores were computed on, the scores and the snapshot.

        The version check, the text analysis, the BM25 query, the built-in embedding and the
        fusion run together on a reader thread: one hop, and no CPU-heavy work on the event loop.
        The message is scored without the words that name the desk's own operators — ``own``
        (COMPANY_NAME's) and the snapshot's (the pack's name and scope message, of the version the
        message is decided on: a pack imported a moment ago counts at once). ``analysis`` (filled
        in when given): the message's ``terms`` and content words (``units``) from the same pass."""
        builtin = isinstance(self.embedder, BuiltinEmbedder)
        found: dict[str, Any] = {} if analysis is None else analysis

        def work(conn: Transaction) -> tuple[_Snapshot, Any]:
            snap = self._snapshot_in(conn)
            # A pack rarely writes its own brand: to its articles the name is an unknown word that
            # only lowers the match ("رصيد آسياسيل" to Asiacell's desk is "رصيد").
            scored = without_own_names(text, own | snap.own_carriers)
            terms, units = analyse(scored)
            found.update(terms=terms, units=units, scored=scored)
            if not snap.article_ids:
                return snap, None
            lexical = self._lexical(conn, snap, terms)
            if not builtin:
                return snap, lexical
            return snap, self._fuse(snap, lexical, self.embedder.embed([scored])[0], terms)

        snap, result = await self.store.read(work)
        if result is None:
            return snap.version, ([], np.zeros(0), {}), snap
        if not builtin:  # a provider may do network I/O: embed outside the reader pool
            query = (await asyncio.to_thread(self.embedder.embed, [found["scored"]]))[0]
            result = self._fuse(snap, result, query, found["terms"])
        return snap.version, result, snap

    @staticmethod
    def _fuse(
        snap: _Snapshot, lexical: tuple[np.ndarray, np.ndarray, float], query: np.ndarray, terms: Sequence[str] = ()
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
        weights = snap.weights
        if weights is None or query.shape[0] != weights.shape[1]:
            learned = np.zeros(n)
        else:
            learned = dot_rows(weights, query).astype(np.float64)
        bm_item, bm_article, known = lexical
        sparse = snap.sparse.score(list(terms)) if snap.sparse is not None else np.zeros(n)
        signals = {
            "vmax": vmax,
            "v2": v2,
            "centroid": centroid,
            "bm25_item": bm_item / (bm_item.max() + BM25_DAMPING),
            "bm25_article": bm_article / (bm_article.max() + BM25_DAMPING),
            "known": np.full(n, known),
            "learned": learned,
            "sparse": sparse[:n],
            "background": sparse[n:],
        }
        fused = (
            W_VMAX * vmax
            + W_V2 * v2
            + W_CENTROID * centroid
            + W_BM25_ITEM * signals["bm25_item"]
            + W_BM25_ARTICLE * signals["bm25_article"]
            + W_LEARNED * learned
            + W_SPARSE * signals["sparse"]
        )
        return snap.article_ids, fused, signals

    @staticmethod
    def calibrate(
        best: float,
        margin: float,
        covered: float = 1.0,
        words: int = 2,
        rarest: float = 1.0,
        learned: float = 0.0,
        semantic: float = SEMANTIC_PIVOT,
    ) -> float:
        """Confidence in [0, 1] that the best article is the right answer (logistic; see the
        constants above): a strong score and margin raise it; content words the article does
        not cover, a match on one word only, a generic matched word and a learned model that
        prefers another article lower it."""
        z = (
            CAL_BIAS
            + CAL_SCORE * best
            + CAL_MARGIN * margin
            + CAL_COVERED * covered
            + CAL_ONE_WORD * (1.0 if words <= 1 else 0.0)
            + CAL_RAREST * rarest
            + CAL_LEARNED * learned
            + CAL_SEMANTIC * (min(max(semantic, 0.0), 1.0) - SEMANTIC_PIVOT)
        )
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def _semantic_may_decide(self, confidence: float) -> bool:
        """Whether moving ``confidence`` by ``SEMANTIC_REACH`` logits either way can cross the
        answer or the ambiguous threshold (the caps after it only lower it: they keep the kind)."""
        z = math.log(max(confidence, 1e-12) / max(1.0 - confidence, 1e-12))
        low = min(self.ambiguous_threshold, self.answer_threshold)
        high = max(self.ambiguous_threshold, self.answer_threshold)
        return _logit(low) - SEMANTIC_REACH <= z < _logit(high) + SEMANTIC_REACH

    @classmethod
    def _confidence_of(
        cls,
        snap: _Snapshot,
        units: list[tuple[str, str | None]],
        top: int,
        best: float,
        runner: float,
        learned: np.ndarray,
    ) -> float:
        """:meth:`calibrate` for article ``top`` leading with ``best`` over ``runner``."""
        covered, words, rarest = coverage(snap, units, top)
        learned_margin = float(learned[top] - np.max(np.delete(learned, top))) if len(learned) > 1 else 0.0
        return cls.calibrate(best, best - runner, covered, words, rarest, learned_margin)

    async def decide(self, text: str, lang: str) -> Decision:
        """Answer with one article, offer candidates (ambiguous) or nothing (out of scope)."""
        analysis: dict[str, Any] = {}
        # The desk's own operator named in the message ("رصيد آسياسيل" to Asiacell's desk) is no
        # content its articles must hold (``_versioned_scores``): COMPANY_NAME as it is now, the
        # pack's name and scope message as the knowledge version the message is decided on.
        own = self.company_carriers()
        version, (article_ids, fused, signals), snap = await self._versioned_scores(text, analysis, own)
        units, length = analysis["units"], len(analysis["terms"])
        if not article_ids or not text.strip():
            return Decision("none", 0.0, version=version)
        order = np.argsort(-fused, kind="stable")
        best = float(fused[order[0]])
        runner = float(fused[order[1]]) if len(order) > 1 else 0.0
        learned = signals["learned"]
        ceiling = 1.0
        if what_decides(
            snap, units, order, fused, sorani_predicates(text) if has_sorani_letters(text) else frozenset()
        ):
            # The runner-up holds what the best one lacks: it leads, on no margin (a near tie).
            order[[0, 1]] = order[[1, 0]]
            best = runner
        elif specific_word_decides(snap, units, order, fused):
            # The same, on a rarer word: no more confident than the order it overturns.
            ceiling = self._confidence_of(snap, units, int(order[0]), best, runner, learned)
            order[[0, 1]] = order[[1, 0]]
            best = runner
        known = float(signals["known"][0])
        top = int(order[0])
        covered, words, rarest, missing, unknown = coverage_evidence(snap, units, top)
        learned_margin = float(learned[top] - np.max(np.delete(learned, top))) if len(learned) > 1 else 0.0
        evidence = (best, best - runner, covered, words, rarest, learned_margin)
        confidence = self.calibrate(*evidence)
        semantic: float | None = None
        if self.encoder is not None and snap.semantic is not None and self._semantic_may_decide(confidence):
            # A message the sentence encoder can move across a threshold: its cosine with the
            # winning article's titles and examples is one more input (on a reader thread: ~2 ms CPU).
            query = await asyncio.to_thread(self.encoder.encode_one, analysis["scored"])
            semantic = float(snap.semantic.score(query)[top])
            confidence = self.calibrate(*evidence, semantic=semantic)
        confidence = round(min(ceiling, confidence), 3)
        if length > LONG_MESSAGE_WORDS and confidence >= self.answer_threshold:
            # A pasted text, not a question: the calibration never saw one (its questions have
            # 1-25 content words), and a long text shares generic words with every article. Offer
            # the best topics instead of answering with one.
            confidence = round(max(self.ambiguous_threshold, self.answer_threshold - 0.01), 3)
        candidates = [
            Candidate(article_ids[i], round(float(fused[i]), 4), round(float(signals["vmax"][i]), 4)) for i in order[:5]
        ]
        background = signals["background"]
        background_best = float(background.max()) if len(background) else 0.0
        background_margin = background_best - float(signals["sparse"][top])
        # Another operator named as the other end of the customer's line (calls or messages to
        # its numbers, a number brought from it): the background class of questions *about* other
        # operators shares the name, not the question — the answer stands, not confidently.
        their_numbers = carrier_numbers(text, units, analysis["terms"])
        if background_margin > BACKGROUND_OUT and not their_numbers:
            # Nearer a background class than its best article in the pack's own term model:
            # the question is about something else (a price of gold, another company, a recipe).
            confidence = round(min(confidence, self.ambiguous_threshold - 0.01), 3)
        elif background_margin > BACKGROUND_UNSURE:
            confidence = round(min(confidence, BACKGROUND_CAP), 3)
        explained = background_words(snap, units, top)
        if explained >= BACKGROUND_WORDS:
            # What the article leaves out of the message is what a known out-of-scope question is about.
            confidence = round(min(confidence, self.ambiguous_threshold - 0.01), 3)
        if unknown or covered < UNCOVERED_SHARE:
            confidence = round(min(confidence, UNCOVERED_CAP), 3)
        carried = generic_only(snap, units, top)
        if carried:
            # Only generic words match ("كود", "سعر", "رقم", "شحن"), and the rest of the message is
            # not in the article: never a direct answer; out of scope when no article knows the rest.
            limit = self.ambiguous_threshold if carried == 2 else self.answer_threshold
            confidence = round(min(confidence, limit - 0.01), 3)
        unlisted = unlisted_places(snap, text, units, top)
        if unlisted:
            # A branch or a package in a place the article that lists them does not name.
            confidence = round(min(confidence, self.ambiguous_threshold - 0.01), 3)
        numbers = unlisted_numbers(numbered_items(text), snap.numbered[top]) if top < len(snap.numbered) else []
        if numbers:
            # A numbered item ("zone 7", "Plus 90") whose word the article holds, never that number.
            confidence = round(min(confidence, self.ambiguous_threshold - 0.01), 3)
        own_only = names_only_own(snap, units, top)
        if own_only:
            # Carried by the company's own name alone: for this desk, but not this article's.
            confidence = round(min(confidence, self.ambiguous_threshold - 0.01), 3)
        services = other_service_words(snap, units, analysis["terms"], top)
        if not services and water_named(text) and service_facets(units, analysis["terms"]):
            services = ["water"]  # the water bill: the utility beside electricity, matched as written
        if services:
            # Another service's account, password, bill or price: not this desk's to answer.
            confidence = round(min(confidence, self.ambiguous_threshold - 0.01), 3)
        topics = foreign_topic_words(snap, text, units, analysis["terms"], top)
        if topics:
            # A subject no telecom desk carries (a medicine, a recipe, a dog, the weather).
            confidence = round(min(confidence, self.ambiguous_threshold - 0.01), 3)
        carriers = other_carrier_words(snap, text, units, analysis["terms"], top, own)
        papers = paper_question(units, analysis["terms"])
        if carriers or papers:
            # Another operator's balance, packages or prices, another wallet's money, or getting a
            # passport: theirs to answer.
            confidence = round(min(confidence, self.ambiguous_threshold - 0.01), 3)
        detail = {
            "background_margin": round(background_margin, 4),
            "other_carriers": len(carriers),
            "papers": len(papers),
            "background_words": explained,
            "other_services": len(services),
            "foreign_topics": len(topics),
            "generic_only": carried,
            "unlisted": len(unlisted),
            "unlisted_numbers": len(numbers),
            "own_name_only": int(own_only),
            "best": round(best, 4),
            "margin": round(best - runner, 4),
            "known": round(known, 3),
            "covered": round(covered, 3),
            "covered_words": words,
            "rarest_covered": round(rarest, 3),
            "learned_margin": round(learned_margin, 4),
            "missing": round(missing, 3),
            "unknown_words": unknown,
            "content_words": len(units),
        }
        if semantic is not None:
            detail["semantic"] = round(semantic, 4)
        if confidence >= self.answer_threshold:
            return Decision("article", confidence, candidates[0].article_id, candidates, detail, version)
        if confidence >= self.ambiguous_threshold:
            return Decision("ambiguous", confidence, None, candidates[:3], detail, version)
        return Decision("none", confidence, None, candidates, detail, version)
