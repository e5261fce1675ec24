"""One text normaliser for indexing and querying alike, and per-message language detection.

SQLite's FTS5 tokenizers do not fold Arabic (harakat split words, tatweel counts as a letter),
so every text is normalised here before it is indexed and before it is searched.

Arabic policy:
* harakat, Quranic marks, superscript alef and tatweel are removed;
* أ إ آ ٱ → ا, ؤ → و, ئ → ي, a lone ء is dropped; ى → ي;
* ta marbuta ة → ه (customers write "باقه" as often as "باقة": folding both to ha matches either);
* Persian/Kurdish letter forms fold to their Arabic base (ک → ك, ی → ي, گ → ك, چ → ج, ڤ → ف,
  پ → ب, ە → ه, ڕ → ر, ڵ → ل, ۆ → و, ێ → ي, ژ → ز) so Kurdish in Arabic script and Iraqi spellings
  meet the standard spelling;
* Arabic-Indic and Persian digits → ASCII digits;
* a letter repeated three or more times is kept once ("مرحباااا" → "مرحبا").

Latin policy: NFKC, casefold, Kurdish ê î û ç ş → e i u c s, other accents stripped.
Everything that is not a letter or digit becomes a space; runs of spaces collapse.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_CHAR_MAP = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ؤ": "و",
        "ئ": "ي",
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
        "ە": "ه",
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
_REPEATS = re.compile(r"(\w)\1{2,}")
_NON_WORD = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """Normalise ``text`` for matching; idempotent, total over any Unicode string."""
    if not text:
        return ""
    # One message is normalised by several tiers (signals, rules, articles); short texts repeat
    # across customers too. Long texts (handbook pages) are not worth remembering.
    return _normalize_short(text) if len(text) <= _MEMO_MAX_CHARS else _normalize(text)


_MEMO_MAX_CHARS = 300


@functools.lru_cache(maxsize=4096)
def _normalize_short(text: str) -> str:
    return _normalize(text)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _ARABIC_MARKS.sub("", text)
    text = text.translate(_CHAR_MAP)
    # Strip remaining Latin accents (é → e) without touching Arabic letters.
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFC", text)
    text = _ARABIC_MARKS.sub("", text).translate(_CHAR_MAP)
    text = _REPEATS.sub(r"\1", text)
    text = _NON_WORD.sub(" ", text)
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    return normalize(text).split()


# -- language detection ---------------------------------------------------------------------------
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_KURDISH_ARABIC_LETTERS = set("ڕڵۆێەڤ")
_KURDISH_LATIN_LETTERS = set("êîûşç")
_KURMANJI_WORDS = {
    "ez",
    "tu",
    "min",
    "te",
    "em",
    "hûn",
    "hun",
    "ew",
    "çawa",
    "cawa",
    "çi",
    "ci",
    "çima",
    "cima",
    "kengî",
    "kengi",
    "ji",
    "li",
    "bi",
    "û",
    "ye",
    "e",
    "nabe",
    "naxebite",
    "dixwazim",
    "dixwazin",
    "heye",
    "tune",
    "kar",
    "nake",
    "karmend",
    "bikim",
    "bike",
    "silav",
    "spas",
    "rojbaş",
    "rojbas",
    "çend",
    "cend",
    "kîjan",
    "kijan",
    "hêdî",
    "hedi",
    "pir",
    "xêra",
    "xera",
    "bêje",
    "beje",
    "re",
    "biaxivim",
    "pere",
    "hejmara",
    "hejmar",
    "xeta",
    "xetê",
    "kirin",
    "dikim",
    "nikarim",
    "im",
    "in",
    "we",
    "vê",
    "ve",
    "wê",
    "jî",
    "baş",
    "bas",
    "bo",
    "naçe",
    "nace",
    "hatiye",
    "bû",
    "bu",
    "ne",
    "mala",
    "malê",
    "şîfre",
    "sifre",
}
_ENGLISH_WORDS = {
    "the",
    "is",
    "are",
    "my",
    "i",
    "you",
    "to",
    "how",
    "what",
    "can",
    "not",
    "do",
    "does",
    "a",
    "an",
    "and",
    "it",
    "for",
    "of",
    "in",
    "on",
    "with",
    "please",
    "want",
    "need",
    "why",
    "where",
    "when",
    "have",
    "has",
    "me",
    "your",
    "this",
    "that",
    "be",
    "working",
    "work",
    "doesnt",
    "dont",
    "cant",
    "help",
    "hello",
    "hi",
}
_ARABIZI = re.compile(r"\b\w*[a-z][2375689]\w*\b|\b[2375689][a-z]\w*\b")
_ARABIZI_WORDS = {
    "shlon",
    "shlonak",
    "ashlon",
    "areed",
    "arid",
    "abi",
    "abgha",
    "ana",
    "inta",
    "enta",
    "wallah",
    "wallahi",
    "habibi",
    "mako",
    "maku",
    "shaku",
    "shno",
    "shinu",
    "leish",
    "lesh",
    "ليش",
    "kaif",
    "keef",
    "kifak",
    "bidi",
    "baddi",
    "3ayez",
    "3awz",
    "mish",
    "msh",
    "ya3ni",
    "yani",
    "insha",
    "inshallah",
    "marhaba",
    "salam",
    "shukran",
    "mashkoor",
    "haj",
    "akhi",
    "ukhti",
    "hala",
    "ahlan",
    "tayeb",
    "zain",
    "zein",
    "hwaya",
    "kullish",
    "balki",
    "hassa",
    "hessa",
    "hala2",
    "halla2",
}


def detect_language(text: str, default: str = "ar") -> str:
    """Tell ``ar``, ``ku`` or ``en`` for one message.

    Arabic script is Arabic unless it carries letters only Kurdish uses. Latin script is Kurmanji
    when it has Kurdish letters or enough Kurmanji function words, Arabic when it looks like
    Arabizi (digits for letters, common Arabizi words), else English.
    """
    if not text or not text.strip():
        return default
    arabic = len(_ARABIC_SCRIPT.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic == 0 and latin == 0:
        return default
    if arabic >= latin:
        if any(ch in _KURDISH_ARABIC_LETTERS for ch in text):
            return "ku"
        return "ar"
    lowered = text.casefold()
    words = re.findall(r"[\w']+", lowered)
    if not words:
        return default
    if any(ch in _KURDISH_LATIN_LETTERS for ch in lowered):
        return "ku"
    ku_hits = sum(1 for w in words if w in _KURMANJI_WORDS)
    en_hits = sum(1 for w in words if w in _ENGLISH_WORDS)
    arabizi_hits = sum(1 for w in words if w in _ARABIZI_WORDS) + len(_ARABIZI.findall(lowered))
    if arabizi_hits and arabizi_hits >= max(ku_hits, en_hits):
        return "ar"
    if ku_hits > en_hits:
        return "ku"
    return "en"


# -- light stemming and stopwords -------------------------------------------------------------------
# Why light stemming: Arabic glues articles, conjunctions and prepositions to the word ("بالموبايل",
# "والنت") and Kurmanji adds case/definiteness suffixes ("înterneta", "înternetê"). Both defeat
# exact-word BM25. We strip only the most frequent affixes and keep at least three letters, so
# errors stay rare; character n-grams in the embedder cover what stemming misses.
_AR_PREFIXES = ("وبال", "فبال", "وال", "فال", "بال", "كال", "لل", "ال", "و", "ب")
_AR_SUFFIXES = ("هما", "كما", "ات", "ون", "ين", "ان", "ها", "هم", "كم", "نا", "تي", "ه", "ي", "ك")
_LATIN_SUFFIXES = (
    # Kurmanji (after folding ê→e, î→i): definite/indefinite and case endings
    "ekê",
    "eke",
    "eki",
    "ekî",
    "ên",
    "en",
    "an",
    "ya",
    "ye",
    "yê",
    "ek",
    "a",
    "ê",
    "e",
    "î",
    "i",
    # English
    "ing",
    "ed",
    "es",
    "s",
)
_LATIN_SUFFIXES_FOLDED = tuple(sorted({normalize(s) for s in _LATIN_SUFFIXES}, key=len, reverse=True))


def _is_arabic_word(word: str) -> bool:
    return bool(word) and "\u0600" <= word[0] <= "\u06ff"


@functools.lru_cache(maxsize=262_144)
def stem(word: str) -> str:
    """Light stem of one *normalised* word (Arabic prefixes/suffixes, Kurmanji/English endings).

    Memoised: a pack repeats a small vocabulary thousands of times (importing 1,000 articles
    stemmed 220k words, 6 s of the import's 20)."""
    if len(word) <= 3 or word.isdigit():
        return word
    if _is_arabic_word(word):
        # Strip up to two prefixes, so "الباسورد" and "باسورد" reach the same stem. The article
        # "ال" may leave two letters ("النت" → "نت"); a lone ب must leave three and a lone و
        # four, since many words simply begin with those letters.
        for _ in range(2):
            for prefix in _AR_PREFIXES:
                keep = 2 if prefix.endswith("ال") or prefix == "لل" else (3 if prefix == "ب" else 4)
                if word.startswith(prefix) and len(word) - len(prefix) >= keep:
                    word = word[len(prefix) :]
                    break
            else:
                break
        if len(word) <= 3:
            return word
        for suffix in _AR_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)]
        return word
    for suffix in _LATIN_SUFFIXES_FOLDED:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


# Function words in all three languages (and common dialect question words) carry no topic; they
# are dropped from lexical queries and weighted down in the embedder.
STOPWORDS: frozenset[str] = frozenset(
    normalize(w)
    for w in (
        # Arabic, MSA and dialects
        "في",
        "من",
        "على",
        "الى",
        "إلى",
        "عن",
        "ما",
        "ماذا",
        "هل",
        "كيف",
        "لماذا",
        "هو",
        "هي",
        "انا",
        "أنا",
        "عندي",
        "لي",
        "مع",
        "او",
        "أو",
        "و",
        "يا",
        "شلون",
        "شو",
        "ليش",
        "وين",
        "اريد",
        "أريد",
        "ابي",
        "بدي",
        "عايز",
        "عاوز",
        "ممكن",
        "هذا",
        "هذه",
        "هاي",
        "هذي",
        "ذلك",
        "التي",
        "الذي",
        "اللي",
        "انه",
        "ان",
        "إن",
        "أن",
        "كان",
        "كانت",
        "يكون",
        "لا",
        "لم",
        "لن",
        "مو",
        "مش",
        "ماكو",
        "اكو",
        "شنو",
        "شني",
        "وش",
        "ايش",
        "إيش",
        "ازاي",
        "إزاي",
        "ليه",
        "كده",
        "هيك",
        "هلق",
        "الحين",
        "هسه",
        "هسا",
        "اليوم",
        "يعني",
        "بس",
        "لو",
        "اذا",
        "إذا",
        "ثم",
        "حتى",
        "كل",
        "شي",
        "شيء",
        "اي",
        "أي",
        "قد",
        "عند",
        "عندك",
        "عندنا",
        "لك",
        "لكم",
        "لنا",
        "بسرعه",
        "الله",
        "السلام",
        "عليكم",
        "مرحبا",
        "اهلا",
        "شكرا",
        "رجاء",
        "لو سمحت",
        "من فضلك",
        "اخي",
        "أخي",
        "حبيبي",
        "كم",
        "متى",
        "مين",
        "منو",
        "شكد",
        "قديش",
        "بكم",
        "الي",
        "علي",
        "بي",
        "فيه",
        "فيها",
        "به",
        "بها",
        "له",
        "لها",
        "احنا",
        "نحن",
        "انت",
        "إنت",
        "انتم",
        "هم",
        "يمكن",
        "يمكنني",
        # English
        "the",
        "a",
        "an",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "my",
        "i",
        "im",
        "i'm",
        "me",
        "to",
        "how",
        "what",
        "do",
        "does",
        "did",
        "can",
        "could",
        "of",
        "in",
        "on",
        "at",
        "for",
        "and",
        "or",
        "it",
        "its",
        "with",
        "please",
        "pls",
        "plz",
        "why",
        "when",
        "where",
        "which",
        "who",
        "you",
        "your",
        "u",
        "this",
        "that",
        "there",
        "here",
        "have",
        "has",
        "had",
        "not",
        "no",
        "dont",
        "doesnt",
        "cant",
        "will",
        "would",
        "should",
        "from",
        "by",
        "about",
        "so",
        "if",
        "but",
        "any",
        "some",
        "get",
        "want",
        "need",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "just",
        "still",
        "also",
        "very",
        "too",
        "all",
        "we",
        "our",
        # Kurmanji
        "ez",
        "tu",
        "min",
        "te",
        "em",
        "we",
        "ew",
        "wî",
        "wê",
        "ji",
        "li",
        "bi",
        "di",
        "de",
        "da",
        "re",
        "ra",
        "û",
        "u",
        "ye",
        "e",
        "in",
        "im",
        "î",
        "çi",
        "ci",
        "çawa",
        "cawa",
        "çima",
        "cima",
        "kengî",
        "kengi",
        "an",
        "jî",
        "ji",
        "ku",
        "vê",
        "ve",
        "ev",
        "hûn",
        "hun",
        "me",
        "xwe",
        "dikarim",
        "dixwazim",
        "heye",
        "silav",
        "spas",
        "ka",
        "kî",
        "ki",
        "çend",
        "cend",
        "pir",
        "gelek",
        "ne",
        "na",
        "lê",
        "le",
        "ser",
    )
)


def index_terms(text: str) -> list[str]:
    """Stemmed content words of ``text`` (stopwords removed) plus its lexicon concepts
    (``kcroaming`` for "رومنج" or "roaming"), for BM25 indexing and querying."""
    from nura_appliance.knowledge.lexicon import concepts  # the lexicon itself uses normalize

    words = normalize(text).split()
    stems = [stem(w) for w in words]
    content = [s for w, s in zip(words, stems, strict=True) if w not in STOPWORDS]
    return content + concepts(stems)
