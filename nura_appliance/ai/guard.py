"""The answer guard and the extractive answer it falls back to.

A generated answer is used only when it is in the customer's language, not empty, not cut off,
cites only passages that were retrieved, invents no numbers, and shares enough content words with
the context. Small local models fail these checks often; that is the point — they then yield the
extractive answer, built from the best retrieved passage, instead of an invented policy.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field

from nura_appliance.ai.prompts import Passage, clean_text
from nura_appliance.knowledge.hybrid import QueryTerms
from nura_appliance.knowledge.normalize import detect_language, normalize
from nura_appliance.knowledge.values import ANSWER_TYPES, answer_types, holds_type, value_kinds, without_values

_CITATION = re.compile(r"\s*\[(\d{1,2})\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_SENTENCE = re.compile(r"(?<=[.!?؟۔])\s+|\n+")
# Function words carry no evidence of grounding, so they are left out of the overlap measure.
_FUNCTION_WORDS = frozenset(
    normalize(w)
    for w in (
        "the a an is are was be to of in on at for and or it this that with you your we our can will not "
        "by from as if do does please yes no".split()
        + "في من على الى إلى عن ما هل كيف هو هي ان أن إن او أو و لا لم مع هذا هذه ذلك التي الذي كل قد يمكن "
        "يمكنك عند لك".split()
        + "ez tu em ew ji li bi di de da re û u ye e in im î çi ci çawa ku vê ev hûn me xwe ne na lê ser "
        "dikarî dikarin an jî".split()
    )
)
_AR_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ل", "ف")


def _stem(word: str) -> str:
    if len(word) > 4 and "\u0600" <= word[0] <= "\u06ff":
        for prefix in _AR_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                return word[len(prefix) :]
    if len(word) > 5 and word.isascii() and word.endswith("s"):
        return word[:-1]
    return word


def content_terms(text: str) -> list[str]:
    """Normalised, lightly stemmed words that carry meaning (no function words, no one-letter words)."""
    return [_stem(w) for w in normalize(text).split() if len(w) > 1 and w not in _FUNCTION_WORDS and not w.isdigit()]


def same_language(text: str, lang: str) -> bool:
    """Whether ``text`` is written in ``lang``; Arabic-script Kurdish letters in an Arabic answer
    (a loan word) are not a language switch, but an Arabic answer to a Sorani speaker is."""
    detected = detect_language(text, default=lang)
    if lang == "ar":
        return detected in ("ar", "ckb") and bool(re.search("[\u0600-\u06ff]", text))
    return detected == lang


@dataclass
class Verdict:
    ok: bool
    reason: str | None
    text: str
    cited: list[int] = field(default_factory=list)
    overlap: float = 0.0
    declined: bool = False


def check_answer(
    text: str, finish_reason: str | None, lang: str, passages: list[Passage], scope: str, *, min_overlap: float
) -> Verdict:
    """Judge one generated answer against what was retrieved."""
    raw = (text or "").strip()
    for prefix in ("assistant:", "answer:", "الإجابة:", "bersiv:"):
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix) :].strip()
    if not raw:
        return Verdict(False, "empty", "")
    if finish_reason == "length":
        return Verdict(False, "cut_off", raw)
    markers = [int(m) for m in _CITATION.findall(raw)]
    plain = _CITATION.sub("", raw).strip()
    scope_terms = set(content_terms(scope))
    answer_terms = content_terms(plain)
    if scope_terms and answer_terms and len(scope_terms & set(answer_terms)) >= 0.6 * len(scope_terms):
        return Verdict(False, "declined", plain, declined=True)
    if not answer_terms:
        return Verdict(False, "empty", plain)
    if not same_language(plain, lang):
        return Verdict(False, "wrong_language", plain)
    valid = sorted({n for n in markers if 1 <= n <= len(passages)})
    if markers and not valid:
        return Verdict(False, "cites_nothing_retrieved", plain)
    context = "\n".join(p.text + " " + p.title for p in passages)
    context_numbers = set(numbers(context))
    for number in numbers(plain):
        if number not in context_numbers:
            return Verdict(False, "invented_number", plain)
    context_terms = set(content_terms(context))
    overlap = sum(1 for t in answer_terms if t in context_terms) / len(answer_terms)
    if overlap < min_overlap:
        return Verdict(False, "low_overlap", plain, overlap=overlap)
    if not valid:
        # No citation: attribute the answer to the passage it shares most words with.
        best = max(passages, key=lambda p: len(set(content_terms(p.text)) & set(answer_terms)), default=None)
        valid = [best.n] if best is not None else []
    if plain[-1] not in ".!?؟۔)»\"'" and finish_reason not in ("stop", "eos", None):
        return Verdict(False, "cut_off", plain, overlap=overlap)
    return Verdict(True, None, plain, cited=valid, overlap=overlap)


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_GROUPED = re.compile(r"(?<=\d)[,٬'’](?=\d{3}\b)")


def numbers(text: str) -> list[str]:
    """The numbers of a text as written (Arabic-Indic digits as ASCII, "27,000" as "27000"), with
    their decimal point ("2.5"), which the search normaliser turns into a space."""
    folded = unicodedata.normalize("NFKC", text or "").translate(_DIGITS)
    return _NUMBER.findall(_GROUPED.sub("", folded))


def pick_passage(passages: list[Passage], lang: str) -> Passage | None:
    """The passage to quote: the best one in the customer's language when it scores close to the
    best overall (a translated handbook section), else the best overall."""
    if not passages:
        return None
    best = max(passages, key=lambda p: p.score)
    # ... and holds as much of the question: a passage in the customer's language that merely
    # shares a word ("code") must not replace the one holding the answer in another language.
    same = [p for p in passages if p.score >= 0.8 * best.score and p.lang == lang and p.coverage >= best.coverage]
    return max(same, key=lambda p: p.score) if same else best


# Words that ask for an amount, a count or a date: the sentence that answers them holds a number.
_QUANTITY_WORDS = frozenset(
    normalize(w)
    for w in (
        "كم بكم قديش شقد سعر أسعار اسعار رسوم كلفة تكلفة ثمن عدد متى ساعات چەند چەندە نرخ نرخی کەی "
        "çend çiqas kengî biha bihayê buha how much many price prices cost costs fee fees when number"
    ).split()
)


_PROCLITIC = re.compile(r"(?<!\S)[لبكوف]([\u0621-\u064a]{3,})")


def _units(text: str, *, proclitics: bool = False) -> set[str]:
    """A text's matching units: light stems of its content words and their lexicon concepts.
    ``proclitics``: an Arabic word with a one-letter proclitic (ل، ب، ك، و، ف) also counts as the
    word without it ("لمعرفة" holds "معرفة"), which the search's light stemmer leaves whole."""
    if proclitics:
        bare = " ".join(_PROCLITIC.findall(normalize(text)))
        if bare:
            text = f"{text}\n{bare}"
    query = QueryTerms.of(text)
    found: set[str] = set(query.terms)
    for unit, forms in query.units:
        found.add(unit)
        found.update(forms)
    return found


# "label: value" — a short label (not the "8:30" of a time inside a sentence) and its value.
_LABEL = re.compile(r"^\W*((?:[^\s:：]+\s+){0,5}[^\s:：]+)\s*[:：]\s+\S")
_LABEL_SEP = re.compile(r"[:：]\s")


def asks_quantity(question: str) -> bool:
    """Whether the question asks for an amount, a count or a date."""
    return any(w in _QUANTITY_WORDS for w in normalize(question).split())


def _value_key(value: str) -> str:
    return re.sub(r"[\s,٬]", "", value.translate(_DIGITS)).lower()


@functools.lru_cache(maxsize=1024)  # the same question meets the same passages and article again
def new_values(passage: str, known: str, kinds: frozenset[str]) -> bool:
    """Whether ``passage`` holds a value of an asked kind (a price, a code, an address …) that
    ``known`` (a confident article's text) does not: the handbook adds the particular the article
    lacks ("بدل فاقد … 4,500 دينار" beside the article on a lost SIM that names no fee)."""
    held = _value_key(known)
    for kind in kinds:
        for match in ANSWER_TYPES[kind][1].finditer(passage):
            # The value itself: for an address the words around the marker ("شارع القدس").
            start, end = match.span()
            while start > 0 and (passage[start - 1].isdigit() or passage[start - 1] in ",.٬*#"):
                start -= 1
            if kind == "address":
                end = min(len(passage), end + 12)
            value = _value_key(passage[start:end])
            if value and value not in held:
                return True
    return False


# A question word a sentence holds only through another form (its lexicon concept, a translation)
# counts a little less than the word itself: "corporate" is "Corporate lines get …" before
# "… serves companies" (both the business concept).
INDIRECT_WEIGHT = 0.9
TYPE_WEIGHT = 0.5  # a unit holding a value of the asked kind counts this much more


def extract_answer(question: str, passage: Passage, *, max_chars: int = 600, query: QueryTerms | None = None) -> str:
    """The sentence, line or table row of ``passage`` that answers the question (see
    ``pick_unit``)."""
    found = pick_unit(question, [passage], max_chars=max_chars, query=query)
    return found.body if found is not None else ""


# A question word the passage's heading holds counts this much more in a unit that names it again.
TOPIC_WEIGHT = 0.3
# A question word held only by the passage's heading counts this share of its weight (the heading
# says what the passage is about, the unit what it answers).
HEADING_HELD = 0.5
# A question word no candidate passage holds by a word (held only through a value of the asked
# kind) weighs like a word in a tenth of the chunks, as in the search.
_UNSEEN_WEIGHT = 0.35
# A unit of a passage ranked lower counts this much less per point of relevance below the best
# passage's: between two units holding as much of the question the better passage's wins.
RANK_DISCOUNT = 0.5


@dataclass(frozen=True)
class Pick:
    """The unit chosen as the offline answer: its passage, its text (with the unit after it when
    that holds the value, a FAQ question's answer or a list's items), how much of the question it
    holds (``held``, the score units are compared by) and ``share``: the share of the question's
    idf-weighted words it holds, by a word, by a value of the asked kind or by its heading (at
    ``HEADING_HELD``); ``typed``: it holds a value of a kind the question asks for."""

    passage: Passage
    body: str
    held: float
    share: float
    typed: bool


def _sentences(passage: Passage) -> list[str]:
    """A passage's candidate units: its sentences, lines, list items and table rows (a row chunk
    is one unit)."""
    text = clean_text(passage.text)
    if getattr(passage, "unit", "text") == "row" or len(text) <= 80:
        return [text.strip()] if text.strip() else []
    units: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE.split(text)):
        if not sentence:
            continue
        if units and units[-1].endswith(("?", "؟")) and len(units[-1]) <= 120:
            units[-1] = f"{units[-1]} {sentence}"  # a FAQ's question and its answer are one unit
        else:
            units.append(sentence)
    return units


def extract_best(
    question: str,
    passages: list[Passage],
    *,
    max_chars: int = 600,
    query: QueryTerms | None = None,
) -> tuple[Passage, str] | None:
    """The passage and unit that answer (``pick_unit``), or None without passages."""
    found = pick_unit(question, passages, max_chars=max_chars, query=query)
    return (found.passage, found.body) if found is not None else None


def pick_unit(
    question: str,
    passages: list[Passage],
    *,
    max_chars: int = 600,
    query: QueryTerms | None = None,
    lang: str | None = None,
) -> Pick | None:
    """The unit (sentence, "label: value" line, list item, table row) of the retrieved passages
    that answers the question: every unit of every passage is scored on one scale, and the best
    one wins (round 14; before, each passage chose its sentence by how its words told that
    passage's sentences apart, and only the passages within 0.1 of the best competed).

    A unit's score is the question's words it holds, each weighted by its rarity in the whole
    handbook (the retriever's idf, ``Passage.words``: the company's name is in every passage, a
    product name in one); a word held only through another form (a lexicon concept, a translation)
    counts ``INDIRECT_WEIGHT``, a word several units of the passage hold counts less (it tells
    them apart less: "APN" in every settings line, "نوع" in one), one held only by the passage's heading ``HEADING_HELD`` (the topic
    of every unit under it); the label of a single "label: value" line counts twice ("MCC: 418"
    for "mcc code"); a word that asks for a kind of value is held by a unit holding one ("رسوم"
    by "4,000 دينار"), at most like a common word (every unit with such a value holds it) and a unit holding a value of an asked kind counts ``1 + TYPE_WEIGHT``. A
    unit of a lower-ranked passage counts ``RANK_DISCOUNT`` less per point of relevance below the
    first. Ties go to a unit with a number when the question asks an amount, then to the
    customer's language (``lang``), then to the better passage and the earlier unit."""
    if not passages:
        return None
    query = query or QueryTerms.of(question)  # the retriever's, with the pack's word bridge
    kinds = answer_types(question)
    wants_number = asks_quantity(question)
    rarity: dict[str, float] = {}
    for p in passages:
        for word, weight in (getattr(p, "words", None) or {}).items():
            rarity[word] = max(rarity.get(word, 0.0), weight)
    weight_of = {unit: rarity.get(unit, _UNSEEN_WEIGHT) for unit, _ in query.units}
    total_weight = sum(weight_of.values()) or 1.0
    top = max(p.score for p in passages)

    def score(
        body: str, found: set[str], topic: set[str], discount: float, local: dict[str, float], valued: set[str]
    ) -> tuple[float, float, bool]:
        single = len(_LABEL_SEP.findall(body)) == 1 and _LABEL.match(body) is not None
        # Settings are written as "label: value" lines: the value of one is a setting whatever its
        # shape ("IPv4/IPv6", "default,supl", "8080"), not only a dotted name, an IP or a URL.
        typed = bool(kinds) and (holds_type(body, kinds) or ("setting" in kinds and single))
        # One "label: value" line, not a run of them ("Kuwait: Gulfnet K · Iran: Parsnet"), whose
        # value is of the kind asked (a note "باقة زوزك للطلاب فقط: يجب …" names the package, its
        # row holds the "20 GB" asked).
        one = len(_LABEL_SEP.findall(body)) == 1 and (typed or not kinds)
        label = _units(m.group(1)) if one and (m := _LABEL.match(body)) else set()
        got = share = 0.0
        for unit, forms in query.units:
            weight = weight_of[unit]
            if unit in topic or not forms.isdisjoint(topic):
                # the heading's word is the topic of every unit under it: it tells them apart only
                # a little (a unit that names it again is a little nearer)
                got += HEADING_HELD * weight
                if unit in found or not forms.isdisjoint(found):
                    got += TOPIC_WEIGHT * weight * (1.0 if unit in found else INDIRECT_WEIGHT)
                    share += (1.0 - HEADING_HELD) * weight
                share += HEADING_HELD * weight
            elif unit in valued and not forms & (found - valued):
                # held through a value of the kind it asks for ("proxy" by any "zg.internet"):
                # every unit with such a value holds it, so it weighs like a common word
                got += min(weight, _UNSEEN_WEIGHT) * local.get(unit, 1.0)
                share += weight
            elif unit in found or not forms.isdisjoint(found):
                direct = 1.0 if unit in found else INDIRECT_WEIGHT
                labelled = 2.0 if unit in label or not forms.isdisjoint(label) else 1.0
                got += weight * local.get(unit, 1.0) * direct * labelled
                share += weight
        got *= (1.0 + TYPE_WEIGHT * typed) * discount
        return got, share / total_weight, typed

    best: tuple[tuple[float, int, int, int, float, int], Passage, list[str], int, float, bool] | None = None
    for rank, p in enumerate(passages):
        sentences = _sentences(p)
        if not sentences:
            continue
        topic = _units(p.title) if p.title else set()
        discount = max(0.0, 1.0 - RANK_DISCOUNT * max(0.0, top - p.score))
        same = int(lang is not None and getattr(p, "lang", None) == lang)
        founds = []
        valued = []
        for sentence in sentences:
            found = _units(sentence, proclitics=True)
            by_value = {unit for unit, asked in query.asks.items() if value_kinds(sentence, asked)}
            # A word that asks for a kind of value held only inside such a value ("ساعة" of "لي
            # ساعة كم" in "بعد 24 ساعة") is held by the value, not named by the unit.
            if by_value & found:
                bare = _units(without_values(sentence, {k for ks in query.asks.values() for k in ks}), proclitics=True)
                inside = {u for u in by_value & found if u not in bare}
            else:
                inside = set()
            by_value = (by_value - found) | inside
            founds.append(found | by_value)
            valued.append(by_value)
        # A word several units of the passage hold tells them apart less ("APN" in every line of
        # the settings, "نوع" in one): log(1 + N/n) / log(1 + N) of its weight, 1 when one holds it.
        n_units = len(sentences)
        local: dict[str, float] = {}
        for unit, forms in query.units:
            n = sum(1 for f in founds if unit in f or not forms.isdisjoint(f))
            if n > 1:
                local[unit] = math.log(1 + n_units / n) / math.log(1 + n_units)
        for i, (sentence, found) in enumerate(zip(sentences, founds, strict=True)):
            got, share, typed = score(sentence, found, topic, discount, local, valued[i])
            number = int(wants_number and bool(_NUMBER.search(sentence)))
            key = (round(got, 6), int(typed), number, same, -p.score, -rank * 1000 - i)
            if best is None or key > best[0]:
                best = (key, p, sentences, i, share, typed)
    if best is None:
        return None
    key, passage, sentences, i, share, typed = best
    if key[0] == 0 and len(passages) == 1:
        i = 0  # nothing matched: the passage's opening, it was retrieved as a whole
    elif key[0] == 0:
        passage, sentences = passages[0], _sentences(passages[0]) or sentences
        i, share, typed = 0, 0.0, False
    picked = [sentences[i]]
    if kinds and not typed and i + 1 < len(sentences) and holds_type(sentences[i + 1], kinds):
        picked.append(sentences[i + 1])  # it names the thing, the next one holds its value
        typed = True
    if sentences[i].rstrip().endswith((":", "：")):  # a list's introduction brings its items
        for following in sentences[i + 1 :]:
            if len(" ".join(picked)) + len(following) + 1 > max_chars:
                break
            picked.append(following)
    return Pick(passage, "\n".join(picked)[:max_chars].rstrip(), key[0], share, typed)
