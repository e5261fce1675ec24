"""The character policy of the normaliser: one function for indexing and querying alike.

SQLite's FTS5 tokenizers do not fold Arabic (harakat split words, tatweel counts as a letter),
so every text is folded here before it is indexed and before it is searched.

Arabic script:
* harakat, Quranic marks, superscript alef and tatweel are removed;
* أ إ آ ٱ → ا, ؤ → و, ئ → ي inside a word, a lone ء is dropped; ى → ي;
* ta marbuta ة → ه (customers write "باقه" as often as "باقة": folding both to ha matches either);
* Persian/Kurdish consonant forms fold to their Arabic base (ک → ك, ی → ي, گ → ك, چ → ج, ڤ → ف,
  پ → ب, ڕ → ر, ڵ → ل, ۆ → و, ێ → ي, ھ → ه, ژ → ز) so Kurdish in Arabic script and Iraqi
  spellings meet the standard spelling;
* Kurdish Sorani keeps two marks the stemmer needs: the vowel letter ە (U+06D5) and a
  word-initial ئ (Sorani writes every initial vowel with it; Arabic words do not start with it).
  The old Sorani encoding of ە — ه followed by a zero-width non-joiner — becomes ە;
* zero-width non-joiner and joiner, word joiner and direction marks (U+200C–U+200F, U+2060,
  U+061C, U+FEFF) are removed, so they join a word instead of splitting it ("ده‌مه‌وێت");
* Arabic-Indic and Persian digits → ASCII digits;
* a letter repeated three or more times is kept once ("مرحباااا" → "مرحبا"); digits never are
  ("27000" stays 27000).

Latin script: NFKC, casefold, Kurdish ê î û ç ş → e i u c s, other accents stripped.
Everything that is not a letter or digit becomes a space; runs of spaces collapse.
The result is idempotent and total over any Unicode string (property-tested).
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Bumped whenever the folding, the stemmer, the stopwords or the lexicon change what a text
# indexes as: stored FTS rows and vectors of an older analysis are rebuilt at start-up
# (knowledge.service.needs_reindex).
ANALYSIS_VERSION = "19"

SORANI_E = "\u06d5"  # ە, the Sorani vowel letter kept by the normaliser
SORANI_ALEF = "ئ"  # word-initial vowel carrier, kept at the start of a word

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_OLD_SORANI_E = re.compile("[\u0647\u06be]\u200c")  # ه + ZWNJ: how Sorani wrote ە before Unicode had it
_JOINERS = re.compile("[\u200c-\u200f\u2060\u061c\ufeff]")
_INNER_HAMZA_YA = re.compile(r"(?<=\w)ئ")
_CHAR_MAP = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ؤ": "و",
        "ء": "",
        "ى": "ي",
        "ة": "ه",
        "ک": "ك",
        "ی": "ي",
        "ې": "ي",
        "ۍ": "ي",
        "گ": "ك",
        "ڪ": "ك",
        "چ": "ج",
        "ڤ": "ف",
        "پ": "ب",
        "ۀ": "ه",
        "ھ": "ه",
        "ڕ": "ر",
        "ڵ": "ل",
        "ۆ": "و",
        "ۇ": "و",
        "ێ": "ي",
        "ژ": "ز",
        "٠": "0",
        "١": "1",
        "٢": "2",
        "٣": "3",
        "٤": "4",
        "٥": "5",
        "٦": "6",
        "٧": "7",
        "٨": "8",
        "٩": "9",
        "۰": "0",
        "۱": "1",
        "۲": "2",
        "۳": "3",
        "۴": "4",
        "۵": "5",
        "۶": "6",
        "۷": "7",
        "۸": "8",
        "۹": "9",
        "ê": "e",
        "î": "i",
        "û": "u",
        "ç": "c",
        "ş": "s",
    }
)
# Letters only: a number's repeated digits are its value ("27000", "*111#"), not a stretched word.
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_NON_WORD = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """Normalise ``text`` for matching; idempotent, total over any Unicode string."""
    if not text:
        return ""
    # Single words (language detection and the lexicons normalise word by word) have their own
    # memo: they come back across messages, and a stream of distinct whole messages would push
    # them out of the shared one (every message then paid for its words again).
    if len(text) <= _WORD_MAX_CHARS and " " not in text:
        return _normalize_word(text)
    # One message is normalised by several tiers (signals, rules, articles); short texts repeat
    # across customers too. Long texts (handbook pages) are not worth remembering.
    return _normalize_short(text) if len(text) <= _MEMO_MAX_CHARS else _normalize(text)


_MEMO_MAX_CHARS = 300
_WORD_MAX_CHARS = 40


@functools.lru_cache(maxsize=4096)
def _normalize_short(text: str) -> str:
    return _normalize(text)


@functools.lru_cache(maxsize=32768)
def _normalize_word(word: str) -> str:
    return _normalize(word)


def _fold(text: str) -> str:
    text = _OLD_SORANI_E.sub(SORANI_E, text)
    text = _JOINERS.sub("", text)
    text = _ARABIC_MARKS.sub("", text)
    text = _INNER_HAMZA_YA.sub("ي", text)
    return text.translate(_CHAR_MAP)


def _strip_accents(text: str) -> str:
    """Latin accents off (é → e); Arabic-script letters untouched (NFD would split ئ into ي and a
    hamza mark, losing the Sorani word-initial vowel carrier)."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch < "\u00c0" or _ARABIC_BLOCK.match(ch):
            out.append(ch)
        else:
            out.extend(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", "".join(out))


_ARABIC_BLOCK = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def _normalize(text: str) -> str:
    text = _fold(unicodedata.normalize("NFKC", text).casefold())
    text = _fold(_strip_accents(text))
    text = _REPEATS.sub(r"\1", text)
    text = _NON_WORD.sub(" ", text)
    if _MIXED.search(text):
        text = _split_scripts(text)
    return " ".join(text.split())


# A Latin word with Arabic-script clitics glued on ("APNی", "PINم", "eSIMەکەم", "5Gی", "الـAPN"
# once the tatweel is gone): Sorani and Arabic write their grammar onto a borrowed Latin name. Kept
# as one token, "pinم" matched nothing. The clitics are taken off — a suffix made only of the
# Sorani ezafe, definite, indefinite, plural and pronoun endings, a prefix only of the article,
# prepositions and conjunctions — and any other Arabic-script part is split off as a word of its own.
_MIXED = re.compile("[a-z0-9][\u0600-\u06ff]|[\u0600-\u06ff][a-z]")
_LATIN_THEN_ARABIC = re.compile("(?<=[a-z0-9])(?=[\u0600-\u06ff])|(?<=[\u0600-\u06ff])(?=[a-z])")
_SUFFIX_ONLY = re.compile(
    "^(?:ي|يي)?(?:\u06d5كان|\u06d5كه|\u06d5ك|كان|كه|يك|ان)?(?:م|ت|ي|ش|مان|تان|يان|دا|\u06d5وه|وه|\u06d5|ه|ات)*$"
)
_PREFIX_ONLY = re.compile("^(?:و|ف)?(?:بال|لل|ال|ب|ل|ك)?$")


def _split_scripts(text: str) -> str:
    out = []
    for word in text.split():
        if not _MIXED.search(word):
            out.append(word)
            continue
        parts = _LATIN_THEN_ARABIC.split(word)
        kept = []
        for i, part in enumerate(parts):
            if not part:
                continue
            if not part.isascii():
                latin_before = i > 0 and parts[i - 1].isascii()
                latin_after = i + 1 < len(parts) and parts[i + 1].isascii()
                if latin_before and _SUFFIX_ONLY.match(part) or latin_after and _PREFIX_ONLY.match(part):
                    continue
            kept.append(part)
        out.append(" ".join(kept) if kept else word)
    return " ".join(out)


def tokens(text: str) -> list[str]:
    """The words of ``text`` after normalisation."""
    return normalize(text).split()


def is_arabic_word(word: str) -> bool:
    """True when a normalised word is written in Arabic script."""
    return bool(word) and "\u0600" <= word[0] <= "\u06ff"


def fold_letters(pattern: str) -> str:
    """The letter folding alone (no removal of punctuation), for writing regular expressions in
    natural spelling that match normalised text: "ما عندكم ذمة" → "ما عندكم ذمه"."""
    return _INNER_HAMZA_YA.sub("ي", pattern).translate(_CHAR_MAP)


_SORANI_MARKS = re.compile("[\u0695\u06b5\u06ce\u06c6\u06d5\u06be]|[\u0647\u06be]\u200c")


def has_sorani_letters(text: str) -> bool:
    """Whether raw ``text`` carries a letter only Sorani writes (ڕ ڵ ێ ۆ ە ھ, or ه + ZWNJ): its
    Arabic-script words are then stemmed as Sorani (stemming.stem(..., sorani=True))."""
    return bool(_SORANI_MARKS.search(text))
