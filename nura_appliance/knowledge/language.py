"""Per-message language detection: ``ar``, ``ckb`` (Sorani), ``ku`` (Kurmanji) or ``en``, and
whether the text is Arabizi (Arabic in Latin letters, answered in Arabic).

Arabic script is Arabic or Sorani. Evidence for Sorani: the letters only Kurdish uses (ڕ ڵ ێ ۆ
ە ھ), the zero-width non-joiner inside words, a word starting with ئ, the Persian-Kurdish forms of
kaf and ya (ک ی, weak: some Arabic keyboards type them), and Sorani function words. Evidence for
Arabic: the article ال, letters Sorani does not write (ة ى ؤ أ إ ء, harakat) and Arabic function
words of every dialect. Each word adds to one side; the larger total wins.

Latin script is Kurmanji with Kurdish letters (ê î û ç ş) or more Kurmanji than English function
words, Arabic when it is Arabizi (digits for letters, distinctive dialect words), else English.

Whether the evidence is strong matters when the client sends a language hint (the widget's
tab): weak evidence yields to the hint (``conversation.service.choose_language``).
"""

from __future__ import annotations

import functools
import re

from nura_appliance.knowledge.arabizi import reads_as_arabic, transliterate
from nura_appliance.knowledge.english import is_english_word
from nura_appliance.knowledge.folding import normalize
from nura_appliance.knowledge.latin_words import arabizi_evidence, lexicon_word

_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_ARABIC_WORD = re.compile("[\u0600-\u06ff\u200c\u200d]+")
_SORANI_LETTERS = frozenset("ڕڵێۆەھ")
_PERSIAN_FORMS = frozenset("کی")
_ARABIC_ONLY = frozenset("ةىؤأإءًٌٍَُِّْ")
_KURDISH_LATIN_LETTERS = frozenset("êîûşç")
STRONG = 2.0  # evidence at least this large, and this far ahead, overrides a client's hint


def _words(block: str) -> frozenset[str]:
    """The normalised words of ``block``; Sorani words also as typed on an Arabic keyboard (ە as ه)."""
    words = {w for text in block.split() for w in normalize(text).split()}
    # Short ones ("به", "له") would be Arabic words once ە is typed as ه.
    return frozenset(words | {w.replace("\u06d5", "ه") for w in words if len(w) >= 4})


# Function and frequent words that only one of the two Arabic-script languages uses ("من" is
# both "I" and "from", "چی" is also the Arabic spelling of "G" in "فور جي": neither counts).
_SORANI_WORDS = _words(
    "تۆ ئەو ئێمە ئێوە ئەوان ئەم ئەمە ئەوە لە بە بۆ لەگەڵ کە یان چۆن چییە بۆچی کەی کوا "
    "چەند هەیە نییە نیە یە بوو دەبێت دەکرێت دەتوانم ناتوانم دەمەوێت ئەمەوێت مەوێت تکایە سوپاس سڵاو "
    "زۆر هەر هیچ ئێستا ئەمڕۆ بەڵام ئایا خۆم هەموو ناکات ناکا کارناکات بکەم بکەین دەکەم چیە "
    "باشە باشم نازانم ناتوانێ دەکەیت بکە بدە پێم پێت لێم بۆم"
)
_ARABIC_WORDS = _words(
    "في على عن هل ماذا كيف لماذا هو هي انا عندي لي مع او يا شلون شو ليش وين اريد ابي بدي عايز عاوز "
    "ممكن هذا هذه هاي هذي ذلك التي الذي اللي ان كان كانت لا لم لن مو مش ماكو اكو شنو شني وش ايش ازاي "
    "ليه كده هيك هلق الحين هسه يعني بس اذا ثم حتى كل شي شيء اي قد عند عندك عندنا لك لكم منو شكد قديش "
    "اشتغل يشتغل ما ليس انت احنا نحن هم عندكم عليكم السلام مرحبا شكرا"
)
_KURMANJI_WORDS = _words(
    "ez tu min te em hûn ew çawa çi çima kengî ji li bi û ye e nabe naxebite dixwazim dixwazin heye tune "
    "kar nake karmend bikim bike silav spas rojbaş çend kîjan hêdî pir xêra bêje re biaxivim pere hejmara "
    "hejmar xeta xetê kirin dikim nikarim im in we vê wê jî baş bo naçe hatiye bû ne mala malê şîfre"
)
_ENGLISH_WORDS = _words(
    "the is are my i you to how what can not do does a an and it for of in on with please want need why "
    "where when have has me your this that be working work doesnt dont cant help hello hi"
)


def _arabic_script_scores(text: str) -> tuple[float, float]:
    """(Sorani evidence, Arabic evidence) of the Arabic-script words of ``text``."""
    sorani = arabic = 0.0
    for raw in _ARABIC_WORD.findall(text):
        word = normalize(raw)
        letters = set(raw)
        if letters & _SORANI_LETTERS or "\u200c" in raw.strip("\u200c"):
            sorani += 3
        elif raw.startswith("ئ") and len(raw) > 1:
            sorani += 2
        elif letters & _PERSIAN_FORMS:
            sorani += 1
        if letters & _ARABIC_ONLY:
            arabic += 2
        elif raw.startswith("ال") and len(raw) > 3:
            arabic += 2
        if word in _SORANI_WORDS:
            sorani += 2
        elif word in _ARABIC_WORDS:
            arabic += 2
    return sorani, arabic


@functools.lru_cache(maxsize=4096)  # asked of one message by detection, the hint and the Arabizi check
def writing_script(text: str) -> str | None:
    """``arabic``, ``latin`` or None (no letters) for a message, by its words: Arabic script
    when it has at least as many Arabic-script words as Latin ones, or two of them — an English
    speaker rarely writes Arabic words, while Arabic and Kurdish speakers mix in English ones
    ("النت slow جدا today", "my رصيد finished بسرعة")."""
    arabic = latin = 0
    for word in text.split():
        if _ARABIC_SCRIPT.search(word):
            arabic += 1
        elif _LATIN.search(word):
            latin += 1
    if not arabic and not latin:
        return None
    return "arabic" if arabic >= latin or arabic >= 2 else "latin"


def has_letters(text: str) -> bool:
    """Whether a message has any word at all (not only digits, emoji or punctuation)."""
    return writing_script(text) is not None


def detect(text: str, default: str = "ar") -> tuple[str, bool]:
    """``(language, strong)``: the language of one message and whether the evidence is strong
    enough to override a client's hint. Text with no letters is ``default``, weak."""
    found = _detect(text)
    return (default, False) if found is None else found


@functools.lru_cache(maxsize=4096)
def _detect(text: str) -> tuple[str, bool] | None:
    """:func:`detect` of a text with letters, else None. Remembered per text alone (``default``
    plays no part once there are letters): one message is detected with the widget's hint and
    again, without one, by the Arabizi check."""
    if not text or not text.strip():
        return None
    script = writing_script(text)
    if script is None:
        return None
    if script == "arabic":
        sorani, arabic = _arabic_script_scores(text)
        if sorani > arabic:
            return "ckb", sorani >= STRONG and sorani - arabic >= STRONG
        return "ar", arabic >= STRONG and arabic - sorani >= STRONG
    lowered = text.casefold()
    if any(ch in _KURDISH_LATIN_LETTERS for ch in lowered):
        return "ku", True
    # ASCII text normalises to the same words with or without case folding first; the text
    # itself was normalised already (the hand-off check, sentiment), so its memo answers.
    words = normalize(text if text.isascii() else lowered).split()
    ku_hits = sum(1 for w in words if w in _KURMANJI_WORDS)
    en_hits = sum(1 for w in words if w in _ENGLISH_WORDS)
    arabizi_hits = arabizi_evidence(words)
    if max(ku_hits, en_hits) <= 1 and len(words) <= _SPELLED_MAX_WORDS:
        # Arabizi without digits or listed words ("ma agdar asawi ittisal"): two or more words
        # that spell known Arabic words, one of them a dialect verb or a hand-off or anger word
        # (a telecom noun may be a loanword: "laptop code"), count half each
        spelled = [reads_as_arabic(w) for w in words]
        if sum(1 for x in spelled if x) >= 2 and 2 in spelled:
            arabizi_hits += 0.5 * sum(1 for x in spelled if x)
    # Known English content words (not the dialect list's, not Kurmanji) weigh half against
    # Arabizi: "zain iraq unlimited plan price" is English around a name that Arabizi also spells.
    english = en_hits + 0.5 * sum(
        1
        for w in words
        if w not in _ENGLISH_WORDS and w not in _KURMANJI_WORDS and not lexicon_word(w) and is_english_word(w)
    )
    if arabizi_hits >= 1 and arabizi_hits >= max(ku_hits, english):
        return "ar", arabizi_hits > max(ku_hits, english)
    if ku_hits > en_hits:
        return "ku", ku_hits - en_hits >= 2
    return "en", en_hits - ku_hits >= 2


_SPELLED_MAX_WORDS = 16  # a short message: a long one with at most one function word is rarely prose
_ARABIC_SCRIPT_LANGS = ("ar", "ckb")
_LATIN_SCRIPT_LANGS = ("ku", "en", "ar")  # Arabic in Latin letters is Arabizi


def detect_with_hint(text: str, hint: str | None, default: str) -> str:
    """The language to answer ``text`` in, given the client's choice (the widget's tab).

    The text decides when its evidence is strong; otherwise a hint that writes the same script
    wins: a short Arabic-script message without Sorani or Arabic markers is Sorani on the Sorani
    tab, a short Latin message is Kurmanji on the Kurmanji tab. A hint never turns Arabic script
    into English or Latin letters into Sorani."""
    detected, strong = detect(text, default=hint or default)
    if not hint or hint == detected or strong:
        return detected
    if hint in (_ARABIC_SCRIPT_LANGS if writing_script(text) == "arabic" else _LATIN_SCRIPT_LANGS):
        return hint
    return detected


def detect_language(text: str, default: str = "ar") -> str:
    """The language of one message: ``ar``, ``ckb``, ``ku`` or ``en`` (see the module docstring)."""
    return detect(text, default)[0]


def arabizi_text(text: str, vocabulary: frozenset[str] = frozenset()) -> str | None:
    """``text`` transliterated to Arabic script when it is Arabizi (mostly Latin letters, detected
    as Arabic), else None. ``vocabulary``: the knowledge base's own words (arabizi.vocabulary_of)."""
    if not text or writing_script(text) != "latin":
        return None
    if detect(text)[0] != "ar":
        return None
    return transliterate(text, vocabulary)
