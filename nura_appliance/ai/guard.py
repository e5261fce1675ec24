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
from nura_appliance.knowledge.values import ANSWER_TYPES, answer_types, holds_type, value_kinds

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
TOPIC_WEIGHT = 0.3  # a question word the passage's heading holds, in choosing the sentence


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
    ``_extract``)."""
    return _extract(question, passage, max_chars=max_chars, query=query)[0]


# A question word held only by the passage's heading counts this share of its weight when the
# sentences of several passages are compared (the heading says what the passage is about, the
# sentence what it answers).
HEADING_HELD = 0.5
# A question word no candidate passage holds by a word (held only through a value of the asked
# kind) weighs like a word in a tenth of the chunks, as in the search.
_UNSEEN_WEIGHT = 0.35


def extract_best(
    question: str,
    passages: list[Passage],
    *,
    max_chars: int = 600,
    query: QueryTerms | None = None,
) -> tuple[Passage, str] | None:
    """The sentence or row that answers, chosen among the sentences of several passages: each
    passage's best sentence scores the question's words it holds — by the words' rarity in the
    whole handbook, not by how they tell this passage's sentences apart, so the scores compare
    across passages — and the one holding most of the question wins; ties go to the passage
    ranked first. The ranking of whole passages counts words wherever they stand, so a passage
    whose heading and separate sentences hold the question's words can outrank the one whose
    single sentence holds them all ("رقم خدمة المشتركين من شبكة ثانية": the packages passage
    holds "رقم" and "شبكة" apart, the profile passage's hotline sentence holds them together)."""
    if not passages:
        return None
    query = query or QueryTerms.of(question)
    rarity: dict[str, float] = {}
    for p in passages:
        for word, weight in (getattr(p, "words", None) or {}).items():
            rarity[word] = max(rarity.get(word, 0.0), weight)
    best: tuple[float, Passage, str] | None = None
    for p in passages:
        body, held = _extract(question, p, max_chars=max_chars, query=query, rarity=rarity)
        if body and (best is None or held > best[0] + 1e-9):
            best = (held, p, body)
    return (best[1], best[2]) if best is not None else None


def _extract(
    question: str,
    passage: Passage,
    *,
    max_chars: int = 600,
    query: QueryTerms | None = None,
    rarity: dict[str, float] | None = None,
) -> tuple[str, float]:
    """The sentence, line or table row of ``passage`` that answers the question.

    Each sentence (table rows and list items are lines, so they are sentences here) scores the
    question's words it holds, each weighted by how few of the passage's sentences hold it (the
    word that tells the sentences apart — "رسوم", a product name — decides, not "رقم" which all
    share). A question asking for an amount or a date prefers a sentence with a number. A
    sentence that introduces a list (ends with ":") brings the list with it. A table row passage
    is its own answer."""
    query = query or QueryTerms.of(question)  # the retriever's, with the pack's word bridge
    # The question's words that the passage's heading already holds are its topic (every sentence
    # is about them): they count a third, the other words decide which sentence answers.
    topic = _units(passage.title) if passage.title else set()
    kinds = answer_types(question)
    across = rarity or {}

    def held(body: str, units: set[str] | None = None) -> float:
        """How much of the question ``body`` holds, comparable across passages (``extract_best``):
        its words by their rarity in the handbook, a "label: value" line's label words twice."""
        if units is None:
            units = _units(body, proclitics=True)
            units |= {unit for unit, asked in query.asks.items() if value_kinds(body, asked)}
        # One "label: value" line, not a run of them ("Kuwait: Gulfnet K · Iran: Parsnet"), whose
        # value is of the kind asked (a note "باقة زوزك للطلاب فقط: يجب …" names the package, its
        # row holds the "20 GB" asked).
        typed = bool(kinds) and holds_type(body, kinds)
        one = len(_LABEL_SEP.findall(body)) == 1 and (typed or not kinds)
        label = _units(m.group(1)) if one and (m := _LABEL.match(body)) else set()
        total = 0.0
        for unit, forms in query.units:
            weight = across.get(unit, _UNSEEN_WEIGHT)
            if unit in units or not forms.isdisjoint(units):
                total += weight * (2.0 if unit in label or not forms.isdisjoint(label) else 1.0)
            elif unit in topic or not forms.isdisjoint(topic):
                total += HEADING_HELD * weight
        return total * (1.0 + TYPE_WEIGHT * typed)

    text = clean_text(passage.text)
    if getattr(passage, "unit", "text") == "row" or len(text) <= 80:
        body = text[:max_chars].rstrip()
        return body, held(body)
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    if not sentences:
        return "", 0.0
    found = [_units(s, proclitics=True) for s in sentences]
    # A word that asks for a kind of value is held by a sentence holding one, as in the search
    # ("تاوەری" of "چەند تاوەری" by "4,200 برج", "رسوم" by "4,000 دينار").
    for i, sentence in enumerate(sentences):
        found[i] |= {unit for unit, asked in query.asks.items() if value_kinds(sentence, asked)}
    holding = {unit: sum(1 for f in found if unit in f or not forms.isdisjoint(f)) for unit, forms in query.units}
    weights = {
        u: math.log(1 + len(sentences) / (1 + n)) * (TOPIC_WEIGHT if u in topic or not forms.isdisjoint(topic) else 1.0)
        for (u, forms), n in zip(query.units, holding.values(), strict=True)
        if n
    }
    wants_number = asks_quantity(question)
    # How rare each word is in the whole handbook (from the retriever): the company's name is in
    # every passage, "proxy" in one; within this passage both may be in one sentence each.
    rarity = getattr(passage, "words", None) or {}
    # A "label: value" line whose label names a word of the question is that word's value
    # ("MCC: 418" for "mcc code", "وكيل MMS (MMS proxy): 10.44.0.8"): its label words count twice.
    labels = [_units(m.group(1)) if (m := _LABEL.match(s)) else set() for s in sentences]

    typed = [bool(kinds) and holds_type(s, kinds) for s in sentences]

    def key(i: int) -> tuple[float, int, int, int]:
        got = sum(
            w
            * rarity.get(u, 1.0)
            * (2.0 if u in labels[i] or not forms.isdisjoint(labels[i]) else 1.0)
            * (1.0 if u in found[i] else INDIRECT_WEIGHT)
            for (u, forms) in query.units
            if (w := weights.get(u, 0.0)) and (u in found[i] or not forms.isdisjoint(found[i]))
        )
        got *= 1.0 + TYPE_WEIGHT * typed[i]
        return (round(got, 6), int(typed[i]), int(wants_number and bool(_NUMBER.search(sentences[i]))), -i)

    best = max(range(len(sentences)), key=key)
    if key(best)[0] == 0:
        best = 0  # nothing matched: the passage's opening, it was retrieved as a whole
    picked = [sentences[best]]
    if kinds and not typed[best] and best + 1 < len(sentences) and typed[best + 1]:
        picked.append(sentences[best + 1])  # it names the thing, the next one holds its value
    elif sentences[best].rstrip().endswith(("?", "؟")) and best + 1 < len(sentences):
        picked.append(sentences[best + 1])  # a FAQ's question: its answer is the next sentence
    score = held(" ".join(picked)) if len(picked) > 1 else held(sentences[best], found[best])
    if sentences[best].rstrip().endswith((":", "：")):  # a list's introduction brings its items
        for following in sentences[best + 1 :]:
            if len(" ".join(picked)) + len(following) + 1 > max_chars:
                break
            picked.append(following)
    return "\n".join(picked)[:max_chars].rstrip(), score
