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
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nura_appliance.knowledge.arabizi import NO_VOCABULARY, transliterate_word
from nura_appliance.knowledge.bridge import Bridge
from nura_appliance.knowledge.embedding import BuiltinEmbedder, Embedder
from nura_appliance.knowledge.indexer import coarse
from nura_appliance.knowledge.language import arabizi_text
from nura_appliance.knowledge.lexicon import concepts
from nura_appliance.knowledge.normalize import STOPWORDS, has_sorani_letters, index_terms, normalize, stem
from nura_appliance.knowledge.pack import pick_text
from nura_appliance.knowledge.retrieval import knowledge_version
from nura_appliance.knowledge.values import (
    answer_types,
    asking_kinds,
    count_kind,
    counted,
    named_numbers,
    ordinal_number,
    support_forms,
    thing_forms,
    value_kinds,
)
from nura_appliance.storage.base import SearchStore, Transaction

log = logging.getLogger(__name__)
RRF_K = 60
MAX_QUERY_TERMS = 8
COMMON_SHARE, COMMON_MIN_CHUNKS = 0.05, 500  # a term this common is not sent to FTS5
UNSEEN_SHARE = 0.1  # see Weights.of
SHORTLIST = 10  # candidates per source scored in full (at least 2k)
COUNT_HOLDERS = 2  # see _finish
RARE_CHUNKS = 3  # a question term in this few chunks keeps its lexical candidates in the shortlist
SOURCE_KEEP = 2  # the best of the lexical and of the vector list are scored in full in any case
BM25_K1, BM25_B = 1.2, 0.75
# Calibrated relevance (logistic regression on the handbook dev questions; docs/KNOWLEDGE.md).
REL_BIAS, REL_COVERAGE, REL_RARE, REL_COSINE = -2.52, 2.70, 2.48, 0.80


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


# Units of data as customers spell them ("جيگا", "جيجا", "ميغا", "giga") and as handbooks write
# them ("1 GB", "500 MB").
_DATA_UNITS = {
    **dict.fromkeys(
        (normalize(w) for w in "جيگا جيجا جيكا جيغا غيغا قيقا كيكا جيكات جيگات giga gigs gig گیگا".split()), "gb"
    ),
    **dict.fromkeys((normalize(w) for w in "ميغا ميجا ميكا ميگا mega megs meg".split()), "mb"),
}


# A feminine noun's ت before a possessive pronoun ("صلاحيته", "باقتي", "فاتورتكم"): the noun ends in ة.
_POSSESSIVE_T = re.compile(r"(?<=\w{3})ت(?:ه|ها|هم|ي|ك|كم|نا)$")
_POSSESSIVE = re.compile(r"(?:ي|ه|ك|ها|هم|كم|نا)$")


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
    if word in _DATA_UNITS or unit in _DATA_UNITS:
        forms.add(_DATA_UNITS.get(word) or _DATA_UNITS[unit])  # "1 جيگا" is the handbook's "1 GB"
    if len(unit) >= 2 and unit[-1] in _ARABIC_LETTERS:
        if len(unit) >= 3:
            if len(unit) >= 4 and unit[-1] in "يه":
                forms.add(unit[:-1])
            forms.update((unit + "ي", unit + "ه"))
        base = unit[1:] if len(unit) >= 4 and unit[0] in _VERB_PREFIXES else unit
        forms.add(base)
        forms.update(prefix + base for prefix in _VERB_PREFIXES)
        if not sorani:
            # A dialect noun with a preposition and a possessive: "برقمي" (with my number) is
            # "رقم", "صلاحيته" (its validity) is "صلاحية" — the light stemmer keeps both whole.
            bare = _POSSESSIVE_T.sub("ه", word)
            if bare != word:
                forms.add(stem(bare))
            if len(word) >= 5 and word[0] in "بل" and word[1] != "ا" and (own := _POSSESSIVE.search(word)):
                inner = word[1 : own.start()]
                inner = inner[:-1] + "ه" if inner.endswith("ت") and len(inner) >= 4 else inner
                if len(inner) >= 3:
                    forms.add(stem(inner))
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


# "how long is the warranty", "how often", "how far": the adjective asks for the value's kind.
_HOW_ADJECTIVES = frozenset({"long", "often", "far", "soon", "fast", "old"})


# "Can I" in the dialects: a modal verb, not a topic. The shared stopword list has "ممكن" and
# "يمكنني" but not the dialects' "اقدر" / "أكدر"; a handbook writes it in its agent scripts ("كيف
# أقدر أخدمك"), where, as a rare word, it drew "كم خط اقدر اطلع باسمي" to the greeting.
MODAL_WORDS = frozenset(
    normalize(w)
    for w in "اقدر أقدر نقدر تقدر يقدر اكدر أكدر نكدر تكدر اگدر نگدر تگدر بقدر بنقدر اقدرش استطيع أستطيع نستطيع تستطيع".split()
)


# A particle standing apart is no question word (round 15): the Sorani izafe written apart ("MCC ی
# زاگرۆس"), the Arabic article cut off by a tatweel ("بورت الـ MMS" → "ال"). Counted, the article
# was held by every Arabic passage (the "rarest" word of the package table for "بورت الـ MMS شكد")
# and the izafe made the settings lines lone for "MCC ی زاگرۆس چەندە". Latin letters are left alone
# (a digit is a number: "zone 2"; Arabizi "b", "el" changed article answers when dropped).
def particle(word: str) -> bool:
    """Whether a normalised question word is a one-letter particle or a detached article."""
    return (len(word) == 1 and not word.isascii()) or word == "ال"


# A function word with its clitics is still a function word (round 16): the conjunction before it
# ("وانا" while I, "فهو") and a pronoun after it ("عندكم", Iraqi "عدكم" you have, "عندي", "عليه",
# Iraqi "مالتكم" yours). The stopword list has the bare words; counted as content words, "عدكم eSIM"
# made the eSIM line lone (two words asked, one held) and "وانا" was the "rarest" word of the
# angry-customer script ("أوقف خطي وأنا مسافر"). The dialects' bare forms the list lacks: Iraqi
# "عد" (= عند) and the possessive "مالت-".
_PRONOUN_SUFFIXES = ("كم", "كن", "هم", "ها", "نا", "ك", "ه", "ي")
_FUNCTION_BASES = frozenset({"عد", "مالت"})


def function_word(word: str) -> bool:
    """Whether a normalised Arabic-script question word is a stopword with a proclitic و/ف or a
    pronoun suffix (a base of two letters or more)."""
    if word in STOPWORDS or word.isascii():
        return word in STOPWORDS
    bases = [word]
    if word[0] in "وف" and len(word) >= 3:
        bases.append(word[1:])
    for base in list(bases):
        bases.extend(base[: -len(s)] for s in _PRONOUN_SUFFIXES if base.endswith(s) and len(base) - len(s) >= 2)
    return any(b in STOPWORDS or b in _FUNCTION_BASES for b in bases[1:])


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
    # Per unit, the number an ordinal word stands for ("third" → "3"): held by a passage that names
    # a thing by it (``values.named_numbers``), as ``ordinal:<n>`` among a passage's values.
    ordinals: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str, bridge: Bridge | None = None, derive: bool = True) -> QueryTerms:
        """``bridge``: Arabic translations of Sorani, Kurmanji and English words (learnt from the
        pack) are added to a word's forms and to the BM25 terms. ``derive``: with the handbook's
        words of a question verb's root (``Bridge.derived_for``); not beside a confident article,
        where a root shared with a passage on another topic made that passage follow right
        articles ("كيف أسجل في تطبيق MyZagros" and the student package's registration)."""
        units: dict[str, frozenset[str]] = {}
        sorani = has_sorani_letters(text)
        bridged: list[str] = []
        arabizi = arabizi_text(text) is not None  # Latin letters, Arabic words
        kinds = frozenset(answer_types(text))
        asks: dict[str, frozenset[str]] = {}
        ordinals: dict[str, str] = {}
        counting = counted(normalize(text).split()) if "count" in kinds else set()
        tokens = normalize(text).split()
        for i, word in enumerate(tokens):
            if word in ASKING_WORDS or word in MODAL_WORDS or particle(word) or function_word(word):
                continue
            if i and tokens[i - 1] == "how" and word in _HOW_ADJECTIVES:
                continue  # "how long", "how often": they ask, like "how much"
            if "setting" in kinds and asking_kinds(word) == {"address"}:
                continue  # "what is the MMSC address": the address is the setting asked for
            unit = stem(word, sorani)
            if unit and unit not in units:
                forms = word_forms(word, sorani)
                if len(word) == 3 and not sorani and not word.isascii() and not word.isdigit():
                    # ... and with the conjunction the light stemmer leaves on a three-letter word:
                    # a list writes "السعودية ولبنان ومصر" and indexes "ومصر" whole (round 16)
                    forms = forms | {"و" + word}
                if arabizi and word.isascii() and not word.isdigit():
                    # The Arabic-script reading joins the Latin one ("gara" is also "(Gara)" in
                    # the handbook); a word that reads as a function word is no evidence.
                    # ... spelt with the handbook's own words among the candidates: "2andil" is
                    # "قنديل" ("2" for ق, as the Levant and Egypt say it), "ma2ar" "مقر" (round 18)
                    spelt = normalize(
                        transliterate_word(word, bridge.vocabulary if bridge is not None else NO_VOCABULARY)
                    )
                    if spelt in STOPWORDS or particle(spelt):
                        continue  # ... and "el", "il" read as the article alone (round 18)
                    if spelt and spelt != word:
                        forms = forms | word_forms(spelt)
                        bridged.extend(index_terms(spelt))
                translated = bridge.translations(word, sorani) if bridge is not None else set()
                if translated:
                    bridged.extend(sorted(translated))
                    # a translation that is a verb in its other persons too: "support" → دعم is
                    # written "تدعم"
                    persons = {p + t for t in translated if len(t) == 3 and not t.isascii() for p in _VERB_PREFIXES}
                    forms = forms | translated | persons | set(concepts(sorted(translated)))
                # the other languages' words for a countable thing ("تاوەری" is "برج", "abone"
                # "مشترك"), as the count classes list them
                # ... but an Arabic question word the handbook writes itself needs none: "خط" needs no
                # "xet" or "lines" (they would only draw the handbook's English or Kurdish lines)
                known = (
                    not sorani and not word.isascii() and bridge is not None and not forms.isdisjoint(bridge.vocabulary)
                )
                things = set() if known else (thing_forms(word) | support_forms(word)) - forms
                if things:
                    bridged.extend(sorted(t for t in things if t not in STOPWORDS))
                    forms = forms | things
                # a verb the handbook writes as its verbal noun ("احول" / "تحويل"): the handbook's
                # words of the same root, for an Arabic word it lacks (knowledge/roots.py)
                derived = (
                    bridge.derived_for(word) - forms
                    if derive
                    and bridge is not None
                    and not sorani
                    and not word.isascii()
                    and forms.isdisjoint(bridge.vocabulary)
                    else set()
                )
                if derived:
                    bridged.extend(sorted(derived))
                    forms = forms | derived
                number = ordinal_number(word)
                if number is not None:
                    # "the third zone" is held by the row "المنطقة 3": by a passage that names a
                    # thing by that number (round 18; a "3" in "3 أيام" or a heading's "3." is not)
                    # (the number is among the word's forms for the offline answer's sentence
                    # choice, where "المنطقة 2" is the row's own text; the search does not count it)
                    bridged.append(number)
                    ordinals[unit] = number
                    forms = forms | {number}
                units[unit] = forms
                asked = asking_kinds(word) & kinds
                if word in counting:
                    # "يوم" of "كم يوم" is held by "7 أيام", "towers" by "640 برج" (not "600 ميغابت")
                    asked |= {count_kind(word)}
                if asked:
                    asks[unit] = asked
        kinds = kinds.union(*asks.values())  # with the kinds of count asked ("count:tower")
        return cls(list(dict.fromkeys(index_terms(text) + bridged)), list(units.items()), kinds, asks, ordinals)

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
    # The idf of a term in half the chunks: a word at least this common (the company's own name)
    # that a passage does not hold is not a second word asked for the lone-word rule (round 15).
    common: float = 0.0

    @classmethod
    def of(cls, query: QueryTerms, counts: dict[str, int], total: int) -> Weights:
        unit: dict[str, float] = {}
        seen: dict[str, bool] = {}
        # A word the handbook lacks is as often a filler of the customer's dialect ("وين",
        # "بالضبط") as the name of something the handbook does not offer: it weighs like a word in
        # one chunk of UNSEEN_SHARE, not like the rarest word of all.
        unseen_df = max(1, int(total * UNSEEN_SHARE))
        for name, forms in query.units:
            if name in query.ordinals:  # an ordinal is as rare as its word, not as the digit
                forms = forms - {query.ordinals[name]}
            df = max((counts.get(f, 0) for f in forms | {name}), default=0)
            unit[name] = idf(df if df else unseen_df, total)
            seen[name] = df > 0
        terms = {t: idf(counts.get(t, 0), total) for t in query.lookup_terms()}
        return cls(unit, seen, idf(1, max(total, 1)), terms, idf(max(1, total // 2), total) if total >= 4 else 0.0)


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
    # The words that count as asked for ``lone``: those the passage holds and those it lacks that
    # the handbook does not hold in half its chunks or more; -1: every word counts.
    asked_content: int = -1
    # How many of the held words are held through different passage terms (-1: as ``words``): two
    # question words met by one passage word are one word held ("طلبات … الطلبية" and "طلب").
    distinct: int = -1

    @property
    def lone(self) -> bool:
        """The passage holds only one of the question's several words: "كم سعر الذهب اليوم" and
        the row of the *golden* number, "طريقة عمل الدولمه" and a branch on a *road*. Such a
        passage is never quoted on its own (docs/KNOWLEDGE.md). A word in half the handbook's
        chunks or more that the passage lacks (the company's name: "MCC ی زاگرۆس" and the settings
        line naming "Zagros" in Latin letters) does not count as a second word asked; held, it
        counts as any word (round 15: dropping it from both lost "zagros mcc code")."""
        asked = self.asked if self.asked_content < 0 else self.asked_content
        held = len(self.words) if self.distinct < 0 else self.distinct
        return asked >= 2 and held <= 1


def evidence(
    query: QueryTerms, found: frozenset[str], weights: Weights, values: frozenset[str] = frozenset()
) -> Evidence:
    """The lexical evidence of one passage (its index terms ``found``) for the question.

    ``values``: the kinds of value the passage holds (a price, a time …). A word that asks for a
    kind the passage holds a value of counts as held for ``coverage`` ("رسوم" and a row with
    "4,000 دينار", "open" and "8:30–15:30"), never for ``rare`` nor as a word held: a price in a
    passage is no evidence that it is about the question's topic."""
    total = got = known_total = known_got = rare = by_value = 0.0
    unseen = asked_content = 0
    words: dict[str, float] = {}
    holding: set[frozenset[str]] = set()  # the passage terms through which each held word is held
    for name, forms in query.units:
        weight = weights.unit.get(name, 0.0)
        total += weight
        if name in query.ordinals:
            number = query.ordinals[name]
            matched = name in found or not (forms - {number}).isdisjoint(found) or "ordinal:" + number in values
        else:
            matched = name in found or not forms.isdisjoint(found)
        asked_content += matched or weight > weights.common
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
            holding.add(frozenset(found & (forms | {name})))
            if weights.rarest:
                words[name] = round(min(1.0, weight / weights.rarest), 4)
            if "counts" in values and not values.isdisjoint(query.asks.get(name, ())):
                # the passage names the thing counted and holds a count of it that few passages
                # hold ("how many employees" and "2,300 موظف"): the rarest evidence there is
                rare = max(rare, weights.rarest)
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
        asked_content,
        len(holding),
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

    def __init__(self, store: SearchStore, max_terms: int = 50_000) -> None:
        self.store = store
        self.max_terms = max_terms
        self._version: str | None = None
        self._counts: dict[str, int] = {}
        self._chunks = 0
        self._average = 0.0
        self._has_vocab = False
        self._lock = threading.Lock()

    def _reset(self, conn: Transaction, version: str) -> None:
        self._version, self._counts = version, {}
        # One pass over the index text per version.
        self._chunks, self._average, self._has_vocab = self.store.chunk_stats_in(conn)

    def lookup(self, conn: Transaction, version: str, terms: list[str]) -> tuple[dict[str, int], int] | None:
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
            fresh = self.store.chunk_frequencies_in(conn, missing)
            with self._lock:
                if self._version == version:
                    self._counts.update(fresh)
            known.update(fresh)
        return known, chunks

    def average_length(self, conn: Transaction, version: str) -> float:
        """Average chunk length in index terms under ``version`` (BM25's avgdl)."""
        with self._lock:
            if version != self._version:
                self._reset(conn, version)
            return self._average


def handbook_vocabulary(store: SearchStore, conn: Transaction) -> list[str]:
    """Every index term of the handbook chunks (once per knowledge version, for the bridge's
    names): FTS5's vocabulary table, or PostgreSQL's ``ts_stat`` over the chunk index."""
    try:
        return store.handbook_vocabulary_in(conn)
    except Exception:  # noqa: BLE001 - names are an aid; a search without them still works
        log.exception("reading the handbook vocabulary failed")
        return []


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


def _holds_any(cand: _Candidate, terms: frozenset[str]) -> bool:
    """Whether a lexical candidate's index terms (as stored: one string) hold one of ``terms``."""
    indexed = cand.terms
    if indexed is None:
        return False
    held = indexed.split() if isinstance(indexed, str) else indexed
    return not terms.isdisjoint(held)


def _shortlist(found: dict[str, _Candidate], k: int, rare: frozenset[str] = frozenset()) -> dict[str, _Candidate]:
    """The candidates worth scoring in full: the best ``max(2k, 10)`` by reciprocal rank fusion
    (reading the other half of up to 40 candidates was a third of a search at 50k chunks)."""
    keep = max(2 * k, SHORTLIST)
    if len(found) <= keep:
        return found
    best = {c.ref: c for c in sorted(found.values(), key=lambda c: (-c.fused, c.ref))[:keep]}
    # ... and each list's own best few, whatever the other list thinks: the chunk holding a rare
    # word of the question ("MNC" in "شنو MNC مال زاگروس") is first by BM25 and absent from the
    # vector list, and fusion ranked it below ten chunks that share "زاگروس" with the question.
    for cand in found.values():
        if any(r is not None and r < SOURCE_KEEP for r in (cand.lexical_rank, cand.vector_rank)):
            best.setdefault(cand.ref, cand)
    # ... and every lexical candidate holding one of the question's rare terms (in at most
    # RARE_CHUNKS chunks): "when was nahr telecom founded" — BM25 put the one-line title "Nahr
    # Telecom — Subscriber Service Guide" and three other short chunks sharing the common "nahr",
    # "telecom" above the profile paragraph, the only chunk holding "تأسست", and fusion ranked it
    # twelfth, out of the shortlist (round 18).
    if rare:
        for cand in found.values():
            if cand.lexical_rank is not None and cand.ref not in best and _holds_any(cand, rare):
                best[cand.ref] = cand
    return best


def _finish(
    found: dict[str, _Candidate],
    query: QueryTerms,
    weights: Weights,
    k: int,
    values: dict[str, frozenset[str]] | None = None,
) -> list[_Candidate]:
    """Relevance of every candidate; the best ``k`` by relevance (RRF breaks ties). ``values``:
    per candidate, the kinds of value the question asks for that it holds."""
    # A count of the thing asked ("count:staff") that at most COUNT_HOLDERS candidates hold tells
    # them apart (round 18); one most of them hold ("30 يوماً" of every package row) does not.
    counts = {k for k in query.kinds if k.startswith("count:")} if values else set()
    distinct = (
        {k for k in counts if 0 < sum(k in held for held in values.values()) <= COUNT_HOLDERS} if values else set()
    )
    for cand in found.values():
        terms = cand.terms
        if isinstance(terms, str):
            terms = cand.terms = frozenset(terms.split())
        held = values.get(cand.ref, frozenset()) if values else frozenset()
        if distinct and not distinct.isdisjoint(held):
            held = held | {"counts"}
        cand.evidence = evidence(query, terms or frozenset(), weights, held)
        cand.relevance = relevance(cand.evidence, cand.cosine or 0.0)
    return sorted(found.values(), key=lambda c: (-round(c.relevance, 6), -c.fused, c.ref))[:k]


class HybridRetriever:
    """``ctx.retriever``: hybrid search over handbook chunks and articles."""

    def __init__(self, store: SearchStore, embedder: Embedder | None = None, *, oversample: int = 8) -> None:
        self.store = store
        self.embedder: Embedder = embedder or BuiltinEmbedder()
        self.oversample = oversample
        self._down_until = 0.0
        self._frequencies = ChunkFrequencies(store)
        self._chunk_count: tuple[str, int] | None = None  # (knowledge version, chunks)
        self._bridge: tuple[str, Bridge] | None = None  # (knowledge version, the pack's word bridge)
        self._lock = threading.Lock()

    # -- the search ---------------------------------------------------------------------------
    def search_sync(
        self,
        conn: Transaction,
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
        conn: Transaction,
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
        version = knowledge_version(self.store, conn)
        terms = QueryTerms.of(text, self.bridge(conn, version), derive=focus_article is None)
        looked = self._frequencies.lookup(conn, version, terms.lookup_terms()) if terms.terms else None
        counts, total = looked if looked is not None else ({}, 0)
        weights = Weights.of(terms, counts, total)
        usable = query is not None and float(np.abs(query).sum()) > 0
        has_vec = usable and self.store.has_vectors_in(conn)
        coarse_query = coarse(query) if has_vec and query is not None else None
        out: dict[str, list[Hit]] = {}
        if "chunk" in kinds:
            lexical: list[tuple[str, float, Any]] = []  # the indexed text, split once shortlisted
            if terms.terms:
                sent = selective_terms(counts, total, terms.terms) if looked is not None else terms.terms[:8]
                if sent:
                    average = self._frequencies.average_length(conn, version)
                    rows = self.store.chunk_bm25_in(conn, sent, pool)
                    # FTS5 floors the idf of a term in half the chunks or more to 1e-6: then (a small
                    # handbook) its ranking is re-done with the always-positive idf. Elsewhere FTS5's
                    # idf and Lucene's differ by a few per cent and its order stands.
                    floored = any(2 * counts.get(t, 0) >= total for t in sent)
                    for ref, score, indexed in rows:
                        if floored:
                            score = bm25(indexed.split(), weights.term, average)
                        lexical.append((ref, score, indexed))
            vector: dict[str, float] = {}
            if coarse_query is not None and query is not None:
                vector = self.vector_candidates(conn, "chunk", query, coarse_query, pool * self.oversample, version)
            rare = frozenset(t for t in sent if 0 < counts.get(t, 0) <= RARE_CHUNKS) if lexical else frozenset()
            found = _shortlist(_rank(lexical, vector, pool), k, rare)
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

    def bridge(self, conn: Transaction, version: str) -> Bridge:
        """The pack's word bridge (knowledge/bridge.py) for knowledge ``version``."""
        with self._lock:
            known = self._bridge
        if known is not None and known[0] == version:
            return known[1]
        learnt = Bridge.from_rows(self.store.article_sources_in(conn))
        learnt = learnt.with_vocabulary(handbook_vocabulary(self.store, conn))
        with self._lock:
            self._bridge = (version, learnt)
        return learnt

    def _chunk_values(
        self, conn: Transaction, found: dict[str, _Candidate], query: QueryTerms
    ) -> dict[str, frozenset[str]]:
        """For a question asking for a kind of value (a price, a time …): which of those kinds
        each shortlisted chunk holds a value of, read from the chunk's text (at most the
        shortlist, whatever the handbook's size)."""
        if not (query.asks or query.ordinals) or not found:
            return {}
        texts = self.store.chunk_texts_in(conn, list(found))
        wanted = set(query.ordinals.values())
        return {
            ref: value_kinds(text, query.kinds)
            | frozenset("ordinal:" + n for n in (named_numbers(text) & wanted if wanted else ()))
            for ref, text in texts.items()
        }

    def _complete_chunks(self, conn: Transaction, found: dict[str, _Candidate], query: np.ndarray | None) -> None:
        """Read the missing half of each candidate: the terms of chunks found by vectors only, the
        cosine of chunks found by BM25 only."""
        need_terms = [c for c in found.values() if c.terms is None]
        if need_terms:
            terms = self.store.chunk_terms_in(conn, [c.ref for c in need_terms])
            for cand in need_terms:
                indexed = terms.get(cand.ref)
                cand.terms = frozenset(indexed.split()) if indexed is not None else frozenset()
        if query is None:
            return
        need_cosine = [c for c in found.values() if c.cosine is None]
        if need_cosine:
            best = self.store.cosines_in(conn, "chunk", [c.ref for c in need_cosine], query)
            for cand in need_cosine:
                cand.cosine = best.get(cand.ref)

    def _articles(
        self,
        conn: Transaction,
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
                for ref, score, indexed in self.store.article_matches_in(conn, terms.terms, pool)
            ]
        vector: dict[str, float] = {}
        if query is not None and coarse_query is not None:
            version = knowledge_version(self.store, conn)
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
        self, conn: Transaction, terms: QueryTerms, weights: Weights, query: np.ndarray | None, focus: str
    ) -> _Candidate:
        """One article's evidence and best item cosine, without searching the article list (the
        grounded tier compares the article the article tier chose with the handbook)."""
        cand = self._article_cosine(conn, _Candidate(focus), query)
        self._article_terms(conn, {focus: cand})
        _finish({focus: cand}, terms, weights, 1)
        return cand

    def _article_cosine(self, conn: Transaction, cand: _Candidate, query: np.ndarray | None) -> _Candidate:
        if query is not None:
            found = self.store.cosines_in(conn, "article", [cand.ref], query)
            if cand.ref in found:
                cand.cosine = found[cand.ref]
        return cand

    def _article_terms(self, conn: Transaction, found: dict[str, _Candidate]) -> None:
        missing = [c for c in found.values() if c.terms is None]
        if missing:
            texts = self.store.article_documents_in(conn, [c.ref for c in missing])
            for cand in missing:
                text = texts.get(cand.ref)
                cand.terms = frozenset(text.split()) if text is not None else frozenset()

    # -- the vector half ------------------------------------------------------------------------
    def vector_candidates(
        self, conn: Transaction, kind: str, query: np.ndarray, coarse_query: np.ndarray, count: int, version: str
    ) -> dict[str, float]:
        """The vector half of a search: the ``count`` nearest items of ``kind`` (by their coarse
        codes where the store has them), re-scored with the float vectors; the best cosine per ref."""
        return self.store.nearest_in(conn, kind, query, coarse_query, count, version)

    # -- hits -----------------------------------------------------------------------------------
    def _chunk_hit(self, conn: Transaction, cand: _Candidate) -> Hit | None:
        r = self.store.chunk_row_in(conn, cand.ref)
        if r is None:
            return None  # a chunk being staged or purged (an ingestion in progress), or gone
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

    def _article_hit(self, conn: Transaction, cand: _Candidate, lang: str) -> Hit:
        row = self.store.article_row_in(conn, cand.ref)
        title = text = ""
        used = lang
        if row is not None:
            title, _ = pick_text(json.loads(row[0]), lang)
            text, used = pick_text(json.loads(row[1]), lang)
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

        def count(conn: Transaction) -> tuple[str, int]:
            seen = knowledge_version(self.store, conn)  # first: a later ingestion only adds to the count
            return seen, self.store.chunk_count_in(conn)

        found = await self.store.read(count)
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
        return await self.store.read(lambda c: self.search_sync(c, text, query, k, kinds, lang or "ar"))

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
        return await self.store.read(
            lambda c: self.search_lists_sync(c, text, query, k, kinds, lang or "ar", focus_article)
        )
