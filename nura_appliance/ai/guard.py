"""The answer guard and the extractive answer it falls back to.

A generated answer is used only when it is in the customer's language, not empty, not cut off,
cites only passages that were retrieved, invents no numbers, and shares enough content words with
the context. Small local models fail these checks often; that is the point — they then yield the
extractive answer, built from the best retrieved passage, instead of an invented policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nura_appliance.ai.prompts import Passage, clean_text
from nura_appliance.knowledge.normalize import detect_language, normalize

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
    context_norm = normalize(context)
    context_numbers = set(_NUMBER.findall(context_norm))
    for number in _NUMBER.findall(normalize(plain)):
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


def pick_passage(passages: list[Passage], lang: str) -> Passage | None:
    """The passage to quote: the best one in the customer's language when it scores close to the
    best overall (a translated handbook section), else the best overall."""
    if not passages:
        return None
    best = max(passages, key=lambda p: p.score)
    same = [p for p in passages if p.score >= 0.8 * best.score and p.lang == lang]
    return max(same, key=lambda p: p.score) if same else best


def extract_answer(question: str, passage: Passage, *, max_chars: int = 600) -> str:
    """The sentences of ``passage`` that best match the question, in their original order."""
    text = clean_text(passage.text)
    if len(text) <= max_chars:
        return text
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    wanted = set(content_terms(question))
    scored = sorted(range(len(sentences)), key=lambda i: (-len(wanted & set(content_terms(sentences[i]))), i))
    chosen: list[int] = []
    length = 0
    for index in scored:
        if length + len(sentences[index]) > max_chars and chosen:
            break
        chosen.append(index)
        length += len(sentences[index]) + 1
        if len(chosen) >= 3:
            break
    picked = " ".join(sentences[i] for i in sorted(chosen))
    return picked[:max_chars].rstrip()
