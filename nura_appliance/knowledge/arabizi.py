"""Arabizi: Arabic written in Latin letters and digits ("shlon a3ref rasidi", "el net 3indi kulish
ba6i2"), recognised and transliterated to Arabic script before matching.

The method, per word:

1. a dialect word list (Iraqi, Gulf, Levantine, Egyptian; greetings, question words, verbs of
   wanting and talking, telecom nouns, insults) maps the most frequent words directly — these are
   the words whose vowels and letters no rule can guess ("wiya" → "ويا", "mako" → "ماكو");
2. otherwise the word is spelled letter by letter: digit letters (2 ء/ق, 3 ع, 3' غ, 5 خ, 6 ط, 6' ظ,
   7 ح, 7' خ, 8 ق, 9 ص, 9' ض) and letter clusters (sh ش, ch چ, kh خ, gh غ, th ث, dh ذ …) first;
   short vowels are unwritten in Arabic, so every vowel is either dropped or written long, and the
   consonants Latin letters merge (s س/ص, t ت/ط, d د/ض, h ه/ح, k ك/ق, g گ/ق, z ز/ظ, th ث/ذ,
   dh ذ/ض/ظ) branch too. The candidate spellings are checked against the words the normaliser
   and lexicon know (telecom vocabulary in every dialect); of the known ones the fullest wins;
3. when none is known, the plain spelling (long vowels kept only where doubled or final, an
   initial vowel written ا) is used — character n-grams still match most of it;
4. an article written apart ("el net", "il rasid", "bil internet") is glued on ("النت", "بالانترنت");
   English telecom words the lexicon already bridges ("internet", "sim", "roaming") stay as they are.

The normaliser folds the result (hamza, ta marbuta, Iraqi چ/گ), so candidates only need to reach
one of the folded spellings.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable

from nura_appliance.knowledge.english import is_english_word
from nura_appliance.knowledge.folding import normalize
from nura_appliance.knowledge.latin_words import DIALECT as _DIALECT
from nura_appliance.knowledge.latin_words import NOT_ARABIZI as _NOT_ARABIZI
from nura_appliance.knowledge.latin_words import ONE_LETTER_DIGIT as _ONE_LETTER_DIGIT
from nura_appliance.knowledge.stemming import CHECK_SUFFIXES as _CHECK_SUFFIXES
from nura_appliance.knowledge.stemming import ENGLISH_STOPWORDS as _ENGLISH_STOPWORDS
from nura_appliance.knowledge.stemming import is_known, is_known_word

_ARTICLES = {
    "el": "ال",
    "il": "ال",
    "al": "ال",
    "bil": "بال",
    "bel": "بال",
    "bl": "بال",
    "wel": "وال",
    "wil": "وال",
    "lil": "لل",
    "lel": "لل",
    "lal": "لل",
    "hal": "هال",
    "b": "ب",  # the preposition written apart ("b wa7ad", "b el app")
}

# Latin spellings → Arabic letters. Each entry lists the alternatives to try, most likely first;
# "" means "not written" (a short vowel).
_CLUSTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("3'", ("غ",)),
    ("6'", ("ظ",)),
    ("7'", ("خ",)),
    ("9'", ("ض",)),
    ("sh", ("ش",)),
    ("ch", ("چ", "ش")),
    ("kh", ("خ",)),
    ("gh", ("غ",)),
    ("th", ("ث", "ذ", "ت", "ظ")),  # ظ as Iraqi and Gulf say it ("mowathaf" → "موظف")
    ("dh", ("ذ", "ض", "ظ")),
    ("ph", ("ف",)),
    ("aa", ("ا", "ع", "اع")),  # without digits a doubled a is often the ع ("aaref", "adfaa", "saa")
    ("ee", ("ي",)),
    ("ii", ("ي",)),
    ("oo", ("و",)),
    ("ou", ("و",)),
    ("ai", ("ي", "اي")),
    ("ay", ("ي", "اي")),
    ("ei", ("ي",)),
    ("aw", ("و", "او")),
    ("2", ("ء", "ا", "ق")),  # hamza, and ق as Levantine and Egyptian pronounce it
    ("3", ("ع",)),
    ("5", ("خ",)),
    ("6", ("ط",)),
    ("7", ("ح",)),
    ("8", ("ق", "غ")),  # ق in Levantine and Iraqi writing, غ in some Gulf writing
    ("9", ("ص", "ق")),
    ("a", ("", "ا")),
    ("e", ("", "ي")),
    ("i", ("", "ي")),
    ("o", ("", "و")),
    ("u", ("", "و")),
    ("b", ("ب",)),
    ("p", ("ب",)),
    ("t", ("ت", "ط")),
    ("j", ("ج",)),
    ("d", ("د", "ض")),
    ("r", ("ر",)),
    ("z", ("ز", "ظ", "ذ")),  # ذ as Levantine and Egyptian say it ("haza", "kaza")
    ("s", ("س", "ص")),
    ("f", ("ف",)),
    ("v", ("ف",)),
    ("q", ("ق",)),
    ("k", ("ك", "ق")),
    ("c", ("ك", "س")),
    ("g", ("گ", "ق", "ج")),
    ("l", ("ل",)),
    ("m", ("م",)),
    ("n", ("ن",)),
    ("h", ("ه", "ح")),
    ("w", ("و",)),
    ("y", ("ي",)),
    ("x", ("كس",)),
)
# Words of anger, complaint and asking for a person that the signal families (conversation.anger,
# conversation.signals) look for, so that their Arabizi spellings reach them ("2erfna" → "قرفنا",
# "nasaba" → "نصابه", "tawsilni" → "توصلني"); known to the transliteration only (the stemmer's
# dictionary, and so the index, stays as it is).
_EXPRESSIVE = frozenset(
    normalize(w)
    for w in """
زباله قرف قرفان قرفانه زهق زهقان طفش طفشان مليت ملينا نصاب نصابه نصابين حرامي حراميه حراميين سراق سرقه سرقتوا
سرقتونا سرقت ينسرق نهب فاشل فاشله فاشلين خرا زفت تعبان تعبانه بايخ بايخه غالي ضمير ذمه عيب حرام حسبي اشتكي شكوى
مقطوع مقطوعه منقطع طافي طافيه عطلان خربان كذاب كذابين غشاش غشاشين تضحكون استغلال ظلم قصه سالفه مشكله محترمين
احترام فايده ضوجتونا تعبتونا جننتونا مهزله مسخره كارثه فضيحه خايس معفن مقرف
وصلني وصلوني توصلني توصلوني حولني حولوني تحولني تحولوني كلمني تكلمني يكلمني يحكيني يتصل اتواصل تواصل
""".split()
)


# Dialect verbs by stem (folded as the candidates are: گ → ك, چ → ج, no hamza): the lexicon knows
# telecom nouns, and a customer's verbs ("asawi", "agdar", "aaref", "anzil", "ekteb") had no known
# spelling, so "aaref" became "ارف" and a message of verbs was not recognised as Arabizi at all.
# Each stem is known with the dialects' person and tense prefixes and the common object endings
# (``_verb_forms``); these spellings are known to the transliteration only, like ``_EXPRESSIVE``.
# Left out after the dev sets: two-letter and hollow stems whose forms other words spell too (حط:
# "a7tag" became "احطك"; صار/صير: "sara2tu", "sir2o" became "صارتو", "صيرو" instead of stealing;
# نطي: "ente", you, became "انطي"), and لقي ("al8i" is "الغي", cancel, not "القي").
_VERB_STEMS = """
سوي سوو قدر كدر عرف كتب نزل شوف شاف خلص دفع حول شغل فتح طفي رجع وصل طلع دخل غير جيب روح شحن فعل لغي
شترك سجل بعث بعت رسل حجي حكي كلم تصل دور حمل نقل سكر بطل وقف شتغل ضيع ستلم طلب عطي قرا فهم ساعد تاكد
عمل خلي بدل شيل سحب ضيف مسح حذف جدد نسي قطع فصل ظهر بين طبق
""".split()
_VERB_PREFIXES = ("", "ا", "ي", "ت", "ن", "بي", "بت", "بن", "با", "ح", "رح", "عم")
_VERB_ENDINGS = ("", "ه", "ها", "ني", "لي", "له", "ون", "ين", "وا", "و", "ك", "كم", "نا", "ت", "تو", "تي")


def _verb_forms() -> frozenset[str]:
    forms = set()
    for stem in _VERB_STEMS:
        for prefix in _VERB_PREFIXES:
            for ending in _VERB_ENDINGS:
                if prefix or ending:  # a bare stem of two or three letters is too often another word
                    forms.add(prefix + stem + ending)
    return frozenset(f for f in forms if len(f) >= 3)


_VERB_FORMS = _verb_forms()


def add_known_spellings(words: Iterable[str]) -> None:
    """Make normalised Arabic-script ``words`` known spellings of the transliteration, as the
    words above are: the hand-off composition's person, wanting and talking words register
    themselves (conversation.handoff), so "modir", "mas2ul", "ehki" reach "مدير", "مسول", "احكي"."""
    global _EXPRESSIVE
    extra = frozenset(w for w in words if w) - _EXPRESSIVE
    if extra:
        _EXPRESSIVE = _EXPRESSIVE | extra
        transliterate_word.cache_clear()


_CLUSTER_RE = re.compile("|".join(re.escape(c) for c, _ in _CLUSTERS))
_OPTIONS = dict(_CLUSTERS)
_INITIAL_VOWEL = {"a": "ا", "e": "ا", "i": "ا", "o": "ا", "u": "ا"}
# An initial vowel is ا, or a long vowel after it ("iphone" → "ايفون", "ootel" → "اوتيل").
_INITIAL_OPTIONS = {"a": ("ا",), "e": ("ا", "اي"), "i": ("ا", "اي"), "o": ("ا", "او"), "u": ("ا", "او")}
_FINAL_VOWEL = {"a": ("ه", "ا"), "e": ("ه", "ي", ""), "i": ("ي",), "o": ("و",), "u": ("و",)}  # "" : "iphone"
MAX_CANDIDATES = 512
# Words of one message whose candidate spellings are searched; later ones get the plain spelling.
# A question is a few dozen words; a 4,000-character paste of unseen Latin words would otherwise
# cost ~140 ms of candidate search.
MAX_SEARCHED_WORDS = 32
# The candidates' letters come from the table above, so folding them as the normaliser does
# (hamza dropped, Iraqi چ and گ to ج and ك) needs no full normalisation: 20x faster per word.
_CANDIDATE_FOLD = str.maketrans({"ء": "", "چ": "ج", "گ": "ك"})


# Digits inside Latin words that are units or technology names, not letters ("4g", "10gb").
@functools.lru_cache(maxsize=1)
def _dialect_spellings() -> frozenset[str]:
    """The Arabic words of the dialect list (its frequent, irregularly written words), folded as
    the candidates are."""
    return frozenset(v.translate(_CANDIDATE_FOLD) for v in _DIALECT.values() if " " not in v)


@functools.lru_cache(maxsize=4096)
def quantity_as_letters(word: str) -> str | None:
    """The Arabic word a number-with-unit-shaped word spells in an Arabizi message, if any.

    "7d" is seven days in an English message and حد (someone) in "3ayz a7ky m3 7d"; "3nd" may
    be عند. One digit that stands for a letter (2 3 5 6 7 8 9) before letters, read as letters,
    that spell a word of the dialect list — the dialects' frequent words, written short and
    without vowels — is that word once the message is known to be Arabizi; anything else with a
    number's shape ("4g", "10gb", "5g", "2m", "3rd": no dialect word) stays a quantity. Detection
    never counts such a word as Arabizi evidence (``arabizi_word``): the rest of the message must."""
    if not _ONE_LETTER_DIGIT.match(word) or not _NOT_ARABIZI.match(word):
        return None
    spellings = {
        "".join(choice).translate(_CANDIDATE_FOLD)
        for choice in itertools.product(*_pieces(word))
        if choice[0].translate(_CANDIDATE_FOLD)  # the digit is a letter of the word, not a dropped hamza
    }
    found = sorted(spellings & _dialect_spellings(), key=lambda c: (-len(c), c))
    return found[0] if found else None


def _pieces(word: str) -> list[tuple[str, ...]]:
    """The letter options of each Latin cluster of ``word``, position-aware for vowels. A doubled
    consonant is written once (Arabic leaves the shadda unwritten: "afa33il" is "افعل"), and a
    final "at" is the feminine plural ات ("e3dadat" is "اعدادات"). Two vowels that make no
    diphthong ("moawen", "shaeb") may hide an unwritten ع between them: "معاون", "شعب"."""
    raw = _CLUSTER_RE.findall(word)
    # (also after a diphthong ending in the same letter: "7awwelni" is "aw" + "w", one و)
    clusters = [c for i, c in enumerate(raw) if not (i and raw[i - 1].endswith(c) and c in _DOUBLED)]
    out: list[tuple[str, ...]] = []
    for i, cluster in enumerate(clusters):
        options = _OPTIONS.get(cluster, ("",))
        if cluster in _INITIAL_VOWEL:
            if i == 0:
                options = _INITIAL_OPTIONS[cluster]
            elif i == len(clusters) - 1:
                options = _FINAL_VOWEL[cluster]
            elif cluster == "a" and i == len(clusters) - 2 and clusters[-1] == "t":
                options = ("ا", "")  # the plural ات, or a verb's feminine past ("sara2at")
        elif cluster == "2" and i and _next_to_consonant(clusters, i):
            # Next to a consonant a hamza is rare in Arabic spelling; there 2 is the ق that
            # Levantine and Egyptian pronounce as a glottal stop ("zh2na" is "زهقنا").
            options = ("ق", "ء", "ا")
        if i and clusters[i - 1] in _INITIAL_VOWEL and cluster[0] in _INITIAL_VOWEL:
            out.append(("", "ع"))  # a hiatus: the ع a Latin spelling without digits leaves out
        out.append(options)
    return out


def _next_to_consonant(clusters: list[str], i: int) -> bool:
    before = clusters[i - 1] not in _INITIAL_VOWEL
    after = i + 1 < len(clusters) and clusters[i + 1] not in _INITIAL_VOWEL
    return before or after


_DOUBLED = frozenset(c for c, _ in _CLUSTERS if c not in _INITIAL_VOWEL and len(c) == 1)


NO_VOCABULARY: frozenset[str] = frozenset()
_VOCABULARY_MIN = 3  # a knowledge base's word decides a spelling only from three letters on
# Glued before a word: conjunction, prepositions and the article, and the Levantine/Egyptian b-
# of the present tense ("byo5las" → "بيخلص" is ب + "يخلص").
_PREFIXES = ("وال", "بال", "فال", "لل", "ال", "و", "ب", "ل", "ف")


def vocabulary_of(texts: Iterable[str]) -> frozenset[str]:
    """The words of a knowledge base's own texts, as transliteration candidates are compared with
    them: normalised Arabic-script words (also without a glued article or preposition + article)
    and the Latin words written inside Arabic text (product and brand names: "eSIM", "iPhone",
    "MyZagros"). Give it the Arabic texts of the articles (titles, bodies, example questions,
    keywords): an operator's own product words are what a dictionary of the dialects cannot know."""
    words: set[str] = set()
    tokens: set[str] = set()
    for text in texts:  # a pack repeats its words: each distinct token is normalised once
        tokens.update(text.split())
    for token in tokens:
        for word in normalize(token).split():
            if _is_latin(word):
                if word.isalpha() and len(word) >= _VOCABULARY_MIN:
                    words.add("latin:" + word)
                continue
            words.add(word)
            for prefix in _PREFIXES[:5]:
                if word.startswith(prefix) and len(word) - len(prefix) >= _VOCABULARY_MIN:
                    words.add(word[len(prefix) :])
                    break
    return frozenset(words)


def _known_word(c: str) -> bool:
    return is_known_word(c) or c in _EXPRESSIVE


@functools.lru_cache(maxsize=8192)
def reads_as_arabic(word: str) -> int:
    """Whether a normalised Latin word without digits spells a known Arabic word (lexicon,
    anger and hand-off words, dialect verbs) — evidence of Arabizi written without digits
    ("ma agdar asawi ittisal", "dazli mwatheff"). Words of four letters or more only, and none
    that the dialect list, the English stopwords or the telecom words kept in Latin already place
    (on the dev sets' English and Kurmanji text about 1 word in 30 reads so, by chance or as a
    loanword — "code", "laptop" — against 1 in 5 of Arabizi; ``language`` asks for two, one of
    them a dialect verb or a word of the anger and hand-off families).
    0: no; 1: a word of the lexicon (telecom nouns, loanwords among them); 2: a dialect verb form
    or a word of the anger and hand-off families — the dialect's grammar, not a shared noun."""
    if len(word) < 4 or not word.isalpha() or not word.isascii() or word in _DIALECT or word in _ENGLISH_STOPWORDS:
        return 0
    if _KEEP_LATIN(word):
        return 0
    pieces = _pieces(word)
    total = 1
    for options in pieces:
        total *= len(options)
    if total > MAX_CANDIDATES:
        return 0
    found = 0
    for choice in itertools.product(*pieces):
        c = "".join(choice).translate(_CANDIDATE_FOLD)
        if len(c) >= 3:
            if c in _VERB_FORMS or c in _EXPRESSIVE:
                return 2
            if not found and is_known_word(c):
                found = 1
    return found


def _in_vocabulary(c: str, vocabulary: frozenset[str]) -> int:
    """2: a word of the knowledge base; 1: one with a suffix ("رصيدي") or a glued prefix
    ("بيخلص", "بالاقساط"); 0: neither."""
    if len(c) < _VOCABULARY_MIN:
        return 0
    if c in vocabulary:
        return 2
    for suffix in _CHECK_SUFFIXES:
        if c.endswith(suffix) and len(c) - len(suffix) >= _VOCABULARY_MIN and c[: -len(suffix)] in vocabulary:
            return 1
    for prefix in _PREFIXES:
        if c.startswith(prefix) and len(c) - len(prefix) >= _VOCABULARY_MIN and c[len(prefix) :] in vocabulary:
            return 1
    return 0


@functools.lru_cache(maxsize=8192)
def transliterate_word(word: str, vocabulary: frozenset[str] = NO_VOCABULARY, search: bool = True) -> str:
    """One normalised Latin word in Arabic script (see the module docstring for the method).
    ``vocabulary``: the knowledge base's own words (``vocabulary_of``), consulted after the lexicon."""
    if word in _DIALECT:
        return _DIALECT[word]
    if word.isdigit():
        return word
    pieces = _pieces(word)
    if not pieces:
        return word
    total = 1
    for options in pieces:
        total *= len(options)
    if search and total <= MAX_CANDIDATES:
        # Of the spellings the normaliser, the lexicon and the knowledge base know, the fullest
        # wins: a short one is usually a function word the vowels collapsed into ("ba2i" is
        # "باقي", not "بي").
        spellings = {"".join(choice).translate(_CANDIDATE_FOLD) for choice in itertools.product(*pieces)}
        # Whole words first, from the lexicon (written for the dialects) or the knowledge base (the
        # operator's own words: "a8sa6" → "اقساط", "awra8" → "اوراق" rather than "ورق"); the
        # fullest wins. Then a known word with a suffix or prefix ("rasidi" → "رصيدي"), the
        # lexicon's before the knowledge base's (a clitic reading of a large vocabulary is the
        # likelier accident: "7awlni" is "حولني", not "حاولني").
        known = {c for c in spellings if c and (_known_word(c) or _in_vocabulary(c, vocabulary) == 2)}
        if not known:
            # then a dialect verb form ("aaref" → "اعرف", "anzil" → "انزل"): after the whole words of
            # the lexicon and the knowledge base (the desk's topics), before a known word read with
            # a glued clitic ("انذل" is not ا + the insult "نذل")
            known = {c for c in spellings if c in _VERB_FORMS}
        if not known:
            known = {c for c in spellings if c and (is_known(c) or _in_vocabulary(c, _EXPRESSIVE))}
        if not known and vocabulary:
            known = {c for c in spellings if c and _in_vocabulary(c, vocabulary)}
        if known:
            return max(known, key=lambda c: (len(c), _known_word(c), c))
    plain = "".join(_plain(options) for options in pieces)
    return normalize(plain) or word


def _plain(options: tuple[str, ...]) -> str:
    """The default spelling of one cluster: a consonant's first letter, no short vowel."""
    return options[0]


_APOSTROPHE_DIGITS = (("3'", "gh"), ("6'", "dh"), ("7'", "kh"), ("9'", "dh"))
_MARK_BEFORE_DIGIT = re.compile(r"(?<=[A-Za-z])(['’])([3679])(?![3679'’])")


def transliterate(text: str, vocabulary: frozenset[str] = NO_VOCABULARY) -> str:
    """Arabizi words of ``text`` in Arabic script; other words (English telecom and function
    words, numbers, and Latin product names the knowledge base writes inside its Arabic text)
    kept. Articles written apart are glued onto the next word."""
    # the mark written before the digit is the same letter ("mowa'6af", "ba'3dad")
    text = _MARK_BEFORE_DIGIT.sub(r"\2'", text)
    for digit, letters in _APOSTROPHE_DIGITS:  # the normaliser would split 3' into 3 and a space
        text = text.replace(digit, letters).replace(digit.replace("'", "’"), letters)
    out: list[str] = []
    pending = ""
    searched = 0
    for word in normalize(text).split():
        if word in _ARTICLES:
            pending = _ARTICLES[word]
            continue
        spelled = quantity_as_letters(word)
        if spelled is not None:
            arabic = spelled
        elif (
            not _is_latin(word)
            or _NOT_ARABIZI.match(word)
            or (word not in _DIALECT and (_KEEP_LATIN(word) or "latin:" + word in vocabulary))
        ):
            arabic = word
        else:
            searched += 1
            arabic = transliterate_word(word, vocabulary, searched <= MAX_SEARCHED_WORDS)
        if pending:
            arabic = pending + arabic if _is_arabic(arabic) else f"{pending} {arabic}"
            pending = ""
        out.append(arabic)
    if pending:
        out.append(pending)
    return " ".join(out)


def _is_latin(word: str) -> bool:
    return bool(word) and word.isascii() and any(c.isalpha() for c in word)


def _is_arabic(word: str) -> bool:
    return bool(word) and "\u0600" <= word[0] <= "\u06ff"


def _keep_latin(word: str) -> bool:
    """English function words, telecom words the lexicon already maps to a concept and the names
    of other services and operators ("facebook", "insta", "asiacell": a name is written the same
    in any language, and transliterated it was "فكبوك", "اسكل") stay in Latin letters, as do known
    English words (``english.is_english_word``: "code", "python", "check", "iraq", "unlimited" were
    "كود", "بيتون", "جكك", "ارق", "انلمتد" and matched the desk's Arabic topics)."""
    from nura_appliance.knowledge.lexicon import carrier_name, concept_of, other_services
    from nura_appliance.knowledge.stemming import stem

    if any(c.isdigit() for c in word):
        return False
    root = stem(word)
    return (
        word in _ENGLISH_STOPWORDS
        or concept_of(root) is not None
        or bool(other_services([root]))
        or carrier_name(word)
        or is_english_word(word)
    )


_KEEP_LATIN = functools.lru_cache(maxsize=8192)(_keep_latin)
