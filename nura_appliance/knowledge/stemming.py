"""Light stemming and stopwords for Arabic, Kurdish Sorani, Kurdish Kurmanji and English.

Why light stemming: Arabic glues conjunctions, prepositions and the article to the word
("بالموبايل", "والنت"), Sorani adds definiteness, plural and possessive suffixes
("باڵانسەکەم" = my balance, "پاکێجەکان" = the packages) and Kurmanji case endings
("înterneta"). All of them defeat exact-word BM25. We strip only the most frequent affixes;
character n-grams in the embedder cover what stemming misses.

The method, and why it errs on the side of keeping letters:

* Arabic proclitics are read in their only possible order — conjunction (و ف), preposition
  (ب ك ل), article (ال) — so nothing is stripped after the article ("الباقات" → "باقات", never
  "اقات"). A bare one-letter proclitic (no article after it) is stripped only when what remains
  is a known word (``بطاقه``, ``باقه``, ``وحدات`` keep their first letter; ``برصيدي`` → ``رصيدي``),
  and a preposition + article (بال، وال، لل …) is not stripped from a known word ("بالانس").
  "Known" means the telecom lexicon's words plus a short list of common words below.
* Sorani words (they carry the vowel letter ە or start with ئ) lose one suffix from a closed list
  (ەکە ەکان ەکەم ەکەت ەکەی ەکانم … ەوە یەک, the ezafe ی), unless the whole word is known ("شەبەکە" is the
  network, not "شەب" + the article). Then the Sorani spelling is folded onto the Arabic consonant
  skeleton — a word-initial ئ becomes ا, an inner ە is dropped and a final ە becomes ه — so
  "باڵانسەکەم" meets "بالانس", "باقەکە" meets "باقة" and "ئینتەرنێت" shares most of its
  letters with "انترنت".
* Then one Arabic suffix (ات ون ين ان ها ه ي …), keeping at least three letters; Kurmanji and
  English endings the same way.
"""

from __future__ import annotations

import functools
import re

from nura_appliance.knowledge.folding import SORANI_ALEF, SORANI_E, is_arabic_word, normalize

_AR_SUFFIXES = ("هما", "كما", "ات", "ون", "ين", "ان", "ها", "هم", "كم", "نا", "تي", "ه", "ي", "ك")
# Suffixes a known word may carry when checking a candidate stem ("شحنت" is "شحن" + ت).
_CHECK_SUFFIXES = (*_AR_SUFFIXES, "ت", "وا", "تو", "ني", "يه", "اتي")
CHECK_SUFFIXES = _CHECK_SUFFIXES  # the suffixes is_known looks behind (Arabizi candidates use them too)
_SORANI_SUFFIXES = tuple(
    sorted(
        (
            normalize(s)
            for s in (
                "ەکانمان ەکانتان ەکانیان ەکەمان ەکەتان ەکەیان ەکانم ەکانت ەکانی ەکەم ەکەت ەکەی ەکەش "
                "ەکان ەکە ەوە یەکی یەک ی"
            ).split()
        ),
        key=len,
        reverse=True,
    )
)
# In a Sorani text also the indefinite article and "my"/"our" on words without ە; a one-letter
# suffix only when three letters remain ("کارتم" → "کارت", never "نێت" → "نێ").
# After a vowel the definite suffixes lose their ە ("فرۆشگاکان" the shops, "پارەکە" the money),
# and "is" is یە ("لەسەرخۆیە" it is slow, "گرانە" it is expensive after a consonant: see ە).
_AFTER_VOWEL = tuple(
    normalize(s) for s in "کانمان کانتان کانیان کەمان کەتان کانم کانت کانی کەم کەت کەی کان کە یە".split()
)
_SORANI_TEXT_SUFFIXES = tuple(
    sorted(
        {*_SORANI_SUFFIXES, *_AFTER_VOWEL, *(normalize(s) for s in "ێکی ێکم ێک م مان دا".split())},
        key=len,
        reverse=True,
    )
)
# After a consonant the plural possessives "their"/"your" join the noun directly ("نرخیان" their
# price, "پاکێجێکتان" a package of yours); three letters must remain.
_SORANI_TEXT_SUFFIXES = tuple(
    sorted(
        {*_SORANI_TEXT_SUFFIXES, *(normalize(s) for s in "یان تان ێکت ێکتان ێکمان ێکیان".split())},
        key=len,
        reverse=True,
    )
)
_SORANI_MIN_STEM = {
    normalize("م"): 3,
    normalize("ی"): 2,
    normalize("دا"): 3,
    normalize("یان"): 3,
    normalize("تان"): 3,
}
# The outer layer of a Sorani noun: a postposition or "too" after the article and the possessive
# ("هێڵەکەدا" in the line, "پاکێجەکانتانم" … "ئەڵمانیاوە" to Germany, "مەسجیشم"): taken off first,
# then one suffix of the inner layer above, so the stacked form meets the bare noun; "too" (ش) and
# the person of the verb that follows (م: "پاکێجەکانتانم دەوێت" I want your packages) only after
# an article or a possessive. Three letters of the noun must remain at every step.
_SORANI_OUTER = tuple(normalize(s) for s in ("ەوە", "دا", "ش", "م"))
_VOWEL_LETTERS = frozenset("اويە")
_VE = normalize("وە")
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

# Proclitic sequences, longest first: (letters, carries the article).
_PROCLITICS: tuple[tuple[str, bool], ...] = tuple(
    sorted(
        {
            (conj + prep + art if not (prep == "ل" and art) else conj + "لل", bool(art))
            for conj in ("", "و", "ف")
            for prep in ("", "ب", "ك", "ل")
            for art in ("", "ال")
            if conj + prep + art
        },
        key=lambda p: len(p[0]),
        reverse=True,
    )
)

# Common words whose first letter looks like a proclitic (ب ك ل و ف) but is part of the word,
# and Sorani words that end like a suffix. The lexicon's words are known too (see _known).
_DICTIONARY = (
    "بطاقه بطاقات باقه باقات بالانس برنامج برامج بيانات بطيء بطيئ بلد بنك بريد بطاريه بوابه بيت باب "
    "بلاغ بديل بدل بحث بيع بث باسم بكره بعد بين بدون بوك بلوك بلوتوث بكج بكيج باكيج بكجات "
    "كارت كرت كروت كود كلمه كلمات كلفه كهرباء كمبيوتر كاميرا كيبل كابل كاش كفاله "
    "لابتوب لاب لوحه لغه لعبه ليل لون لاين لينك "
    "وقت وحده وحدات وصل وصول واتساب واي وايفاي ويفي ورقه وثيقه وظيفه وكيل ولايه ولايات واحد وارد وطني "
    "وكاله وزاره وسيله وضع وسط ورق وجه ويب "
    "فاتوره فواتير فايبر فرع فروع فلوس فيديو فيسبوك فولتي فتح فني فصل فشل فكره فوري "
    "شەبەکە شبكه شبكات تۆڕ هێڵ "
    # frequent support words, for Arabizi candidates ("e3dadat" → "اعدادات")
    "اعدادات اعداد ضبط تشغيل مشكله مشاكل خدمه خدمات شخص حقيقي موبايل جهاز هاتف تلفون ايفون اندرويد "
    "رمز صفحه حساب عرض عروض سرعه منطقه مكان عنوان رسايل اتصال اتصالات مسافر سفر تحويل دقيقه دقايق "
    "موظف موظفين شخص انسان مسوول ممثل بشر حقيقي فايده"
)


# Sorani verbs: (preverb, present stem, past stem). A Sorani verb shows its present stem in the
# present and the subjunctive ("بیگۆڕم", "بگوازمەوە", "دەبڕن", "ناناسێتەوە") and its past stem in
# the past, the perfect and the verbal noun the articles' titles use ("گۆڕین", "گواستنەوە",
# "بڕین", "ناسینەوە"); the two rarely share their letters. Every form generated below (mood and
# negation prefixes, person endings, passive, perfect, verbal noun, ەوە) reads as one lemma, the
# verbal noun. A closed table of the verbs of telecom support, written from Sorani grammar, not
# from evaluation cases: a word is read as a verb only when it is one of these forms. Left out:
# general verbs (write, read, find, choose: "سیڤییەکم بۆ بنووسە", write me a CV, then met the
# articles' "نووسین") and "remain" (مان: "ماوە" what is left and "نامێنێت" it does not last
# became one word, and "how much balance is left" went to the draining article).
_SORANI_VERBS: tuple[tuple[str, str, str], ...] = (
    ("", "کڕ", "کڕی"),  # buy
    ("", "گۆڕ", "گۆڕی"),  # change
    ("", "گواز", "گواست"),  # move, transfer (with ەوە)
    ("", "نێر", "نارد"),  # send
    ("", "زان", "زانی"),  # know
    ("دا", "بەزێن", "بەزاند"),  # download
    ("هەڵ", "وەشێن", "وەشاند"),  # cancel (with ەوە)
    ("ڕا", "گر", "گرت"),  # stop, hold
    ("وەر", "گر", "گرت"),  # receive
    ("", "بڕ", "بڕی"),  # cut, deduct
    ("", "ناس", "ناسی"),  # recognise (with ەوە)
    ("", "وەست", "وەستا"),  # stop (by itself)
    ("", "کوژێن", "کوژاند"),  # switch off (with ەوە)
    ("", "گەڕێن", "گەڕاند"),  # give back, refund (with ەوە)
    ("", "گەڕێ", "گەڕا"),  # go back, search
    ("", "پچڕێ", "پچڕا"),  # break off, drop
    ("", "بەست", "بەست"),  # connect
    ("بەکار", "هێن", "هێنا"),  # use
    ("سەر", "کەو", "کەوت"),  # succeed
    ("دەر", "کەو", "کەوت"),  # appear
    ("", "چ", "چوو"),  # go
    ("", "دە", "دا"),  # give, pay
)
_SORANI_MOODS = ("", "دە", "ئە", "نا", "نە", "ب", "مە", "بی", "دەی", "نای", "نەی")
_SORANI_PERSONS = ("", "م", "یت", "ێت", "ێ", "ین", "ن", "ە", "ات", "ت")
_SORANI_PAST_ENDINGS = ("", "م", "ت", "ی", "مان", "تان", "یان", "ن", "ین", "وو", "ووە", "ووم", "وە", "یوە", "بوو")
_SORANI_AFTER = ("", "ەوە", "ە", "ەوەی")


@functools.lru_cache(maxsize=1)
def _sorani_verb_forms() -> dict[str, str]:
    """Every normalised form of the verbs above → the normalised verbal noun (the lemma). The
    pieces are normalised once and joined (normalising 34,000 forms one by one took 4 s)."""
    n = functools.lru_cache(maxsize=None)(normalize)
    stop = {n(w) for w in _STOP_SORANI.split()}
    moods = [n(m) for m in _SORANI_MOODS]
    persons = [n(p) for p in _SORANI_PERSONS]
    endings = [n(e) for e in _SORANI_PAST_ENDINGS]
    afters = [n(a) for a in _SORANI_AFTER]
    forms: dict[str, str] = {}
    for preverb_, present_, past_ in _SORANI_VERBS:
        preverb, present, past = n(preverb_), n(present_), n(past_)
        lemma = n(preverb_ + past_ + "ن")
        heads: list[str] = []
        for mood in moods:
            if preverb and mood == n("ئە"):
                continue
            for stem_ in (present, present + n("درێ"), present + n("رێ")):
                if not mood and not preverb and len(stem_) < 3:
                    continue  # a bare short stem ("چ", "دە") is no verb form
                heads += [preverb + mood + stem_ + person for person in persons]
        for negation in ("", n("نە")):
            for ending in endings:
                if not negation and not preverb and not ending and len(past) < 3:
                    continue
                heads.append(preverb + negation + past + ending)
            heads += [preverb + negation + past + n("ن") + n(tail) for tail in ("ی", "ەوەی")]
        for head in heads:
            for after in afters:
                form = _TRIPLE.sub(r"\1", head + after)
                if len(form) >= 3 and form not in stop:
                    forms.setdefault(form, lemma)
    return forms


_TRIPLE = re.compile(r"(.)\1\1+")


# Sorani compound verbs are a noun or adjective + "do"/"be" (تۆمارکردن register, چالاککردن
# activate, خاوبوون become slow), written joined in titles and apart in questions ("تۆمار
# بکەم"): the glued light verb goes when three letters remain, so both meet the noun.
# The verbal noun also takes the noun's own endings, the person of the verb after it or the
# article and a possessive ("پشتڕاستکردنەوەم بۆ نایەت", my verification does not come;
# "تۆمارکردنەکەم", my registration): those come off with it.
_VERBAL_NOUN_ENDINGS = ("", "م", "ت", "مان", "تان", "یان", "ەکە", "ەکەم", "ەکەت", "ەکەی", "ەکەمان", "ەکەتان", "ەکان")
_LIGHT_VERBS = tuple(
    sorted(
        {
            *(normalize(v) for v in "کردنەوەی کردنی کراوە کردووە کرا بوونی بووە بوو".split()),
            *(normalize(v + e) for v in ("کردنەوە", "کردن", "بوونەوە", "بوون") for e in _VERBAL_NOUN_ENDINGS),
        },
        key=len,
        reverse=True,
    )
)


def light_verb_noun(word: str) -> str:
    """The noun of a glued Sorani compound verb ("تۆمارکردن" → "تۆمار"), else ``word``."""
    for verb in _LIGHT_VERBS:
        if word.endswith(verb) and len(fold_sorani(word[: -len(verb)])) >= 3:
            return word[: -len(verb)]
    return word


# The light verbs "do" and "become" as Sorani writes them apart after their noun ("چالاک بکەم",
# "تەواو دەبێت"): mood or negation, stem, person (present) and the common past forms.
_LIGHT_VERB_FORMS = frozenset(
    normalize(mood + stem_ + person)
    for mood in ("", "دە", "ئە", "ب", "نا", "نە")
    for stem_, persons in (
        ("کە", ("م", "یت", "ین", "ن", "ن")),
        ("کا", ("ت",)),
        ("کر", ("ێت", "ا", "اوە")),
        ("ب", ("ێت", "ێ", "م", "ین", "ن", "یت")),
    )
    for person in persons
    if mood or stem_ != "ب"  # a bare "بێ" is "without", "بم", "بن" are other words
) | frozenset(normalize(w) for w in "کرد کردم کردین کردووە کراوە بوو بووە بووم بوون بێت بکە مەکە".split())


_WITH_START, _WITH_END = normalize("بە"), normalize("ەوە")


def sorani_predicates(text: str) -> frozenset[str]:
    """The stems (as a Sorani text is stemmed) of the words of ``text`` that are its verbs: a verb
    of the table above, a glued compound verb ("تەواوبوون") and a noun or adjective followed by a
    light verb written apart ("تەواو دەبێت" finishes, "چالاک بکەم" activate). Between articles that
    share a message's nouns, these words say what is asked of them."""
    words = normalize(text).split()
    found: set[str] = set()
    for i, word in enumerate(words):
        if word in STOPWORDS or word in _LIGHT_VERB_FORMS:
            continue
        glued = sorani_verb(word) is not None or light_verb_noun(word) != word
        # ... not the object of the circumposition "بە … ەوە" before the light verb ("پەیوەندی
        # بە ژمارەی کۆڕەکەوە بکەم": call Korek's number — the noun of the verb is "پەیوەندی")
        inside = word.endswith(_WITH_END) and _WITH_START in words[max(0, i - 3) : i]
        if glued or (i + 1 < len(words) and words[i + 1] in _LIGHT_VERB_FORMS and not inside):
            found.add(stem(word, sorani=True))
    return frozenset(found)


def sorani_verb(word: str) -> str | None:
    """The lemma (verbal noun) of a normalised Sorani verb form of the table above, if it is one."""
    return _sorani_verb_forms().get(word)


def fold_sorani(word: str) -> str:
    """A normalised Sorani-spelled word on the Arabic consonant skeleton (no ە, no initial ئ, and
    the doubled ی of "پەیوەندییەکان" once)."""
    if word.startswith(SORANI_ALEF):
        # ئە and ئا are one vowel each ("ئایفۆن" is the Arabic "ايفون", not "اايفون")
        word = "ا" + word[2:] if word[1:2] in (SORANI_E, "ا") else "ا" + word[1:]
    if SORANI_E in word:
        word = word[:-1].replace(SORANI_E, "") + ("ه" if word[-1] == SORANI_E else word[-1])
    return word[:-1] if word.endswith("يي") else word


@functools.lru_cache(maxsize=2)
def _known(content_only: bool = False) -> frozenset[str]:
    """Known words (folded): the lexicon's, the dictionary above and, unless ``content_only``,
    the stopwords of every language."""
    from nura_appliance.knowledge.lexicon import vocabulary  # the lexicon itself builds on stem()

    words: set[str] = set()
    # Single-word entries only: a phrase's words may be inflected ("ئینتەرنێتی ماڵەوە").
    single = [form for form in vocabulary() if len(normalize(form).split()) == 1]
    for text in (*_DICTIONARY.split(), *single, *(() if content_only else STOPWORDS)):
        for part in normalize(text).split():
            words.add(fold_sorani(part))
    return frozenset(words)


def is_known_word(word: str) -> bool:
    """Whether a normalised (Sorani-folded) word is itself one of the known words."""
    return word in _known()


def is_known(word: str) -> bool:
    """Whether a normalised (Sorani-folded) word, or it without one common suffix, is known."""
    known = _known()
    if word in known:
        return True
    return any(
        word.endswith(suffix) and len(word) - len(suffix) >= 3 and word[: -len(suffix)] in known
        for suffix in _CHECK_SUFFIXES
    )


def _strip_arabic_suffix(word: str) -> str:
    if len(word) == 4 and word[1] == "ا" and word[3] == "ي":
        # فاعي: the ي of a defective participle is the root's ("باقي" remaining, "غالي",
        # "كافي"), not "my": stripping it would make "remaining" the stem of "package" (باقه).
        return word
    for suffix in _AR_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _strip_proclitics(word: str) -> str:
    for prefix, article in _PROCLITICS:
        if not word.startswith(prefix):
            continue
        rest = word[len(prefix) :]
        if article:
            # The article alone is stripped from any word that keeps two letters ("النت" → "نت");
            # a preposition or conjunction before it only when the whole word is not a known word
            # that happens to start with those letters ("بالانس").
            if len(rest) >= 2 and (prefix == "ال" or not is_known(word)):
                return rest
        elif len(rest) >= 3 and not is_known(word) and _bare_proclitic(prefix, rest):
            return rest
    return word


def _bare_proclitic(prefix: str, rest: str) -> bool:
    """Whether a proclitic with no article after it is one ("برصيدي", "وتطلب", "بيشتغل") rather
    than the word's own first letter ("بطاقه", "كارت", "وين")."""
    if is_known(rest):
        return True
    if prefix == "و":  # "and" glues to any word; a long remainder is rarely a word of its own
        return len(rest) >= 4
    # Levantine and Egyptian b- before a present-tense verb ("بيشتغل", "بتروح", "بنقدر").
    return prefix == "ب" and rest[0] in "يتن" and len(rest) >= 4


def _sorani_outer(word: str) -> str:
    """``word`` without the outer layer of a Sorani noun (see ``_SORANI_OUTER``), if it has one."""
    for outer in _SORANI_OUTER:
        if not word.endswith(outer):
            continue
        rest = word[: -len(outer)]
        if outer in _AFTER_POSSESSIVE_ONLY and not rest.endswith(_POSSESSIVE_ENDINGS):
            return word  # "too" and a person only after an article or a possessive, not "فرۆش"
        if len(fold_sorani(rest)) >= 3 and rest not in STOPWORDS:
            return rest
        return word  # the longest ending decides: "دەرەوە" is not "دەرە" + وە
    # ەوە after a vowel is وە ("ئەڵمانیاوە", from/to Germany): taken off only when what remains
    # is a known content word ("تەواوە", it is finished, is not "تەوا" + وە)
    if word.endswith(_VE) and word[-3:-2] in _VOWEL_LETTERS and fold_sorani(word[:-2]) in _known(content_only=True):
        return word[:-2]
    return word


_AFTER_POSSESSIVE_ONLY = frozenset(normalize(s) for s in ("ش", "م"))
_POSSESSIVE_ENDINGS = tuple(normalize(s) for s in "ەکە ەکان کە کان ێک مان تان یان".split())


def _stem_sorani(word: str, suffixes: tuple[str, ...] = _SORANI_SUFFIXES) -> str:
    # Only content words protect a suffix: "ئەپی" (the app of) folds to "ابي", an Arabic stopword.
    # And only when the word without its suffix is no known word itself: "شەبەکە" is the network
    # (not "شەب" + the article), but "باقەی" is "باقە" + the ezafe, though folded it spells the
    # Arabic "باقي" (remaining).
    if suffixes is _SORANI_TEXT_SUFFIXES:
        word = _sorani_outer(word)
    if fold_sorani(word) not in _known(content_only=True) or _known_remainder(word, suffixes):
        for suffix in suffixes:
            rest = word[: -len(suffix)]
            if not word.endswith(suffix) or len(fold_sorani(rest)) < _SORANI_MIN_STEM.get(suffix, 2):
                continue
            if suffix in _AFTER_VOWEL and rest[-1] not in _VOWEL_LETTERS:
                continue
            word = rest
            break
    return fold_sorani(word)


def _known_remainder(word: str, suffixes: tuple[str, ...]) -> bool:
    """Whether ``word`` ends in a Sorani suffix whose remainder is itself a known content word."""
    known = _known(content_only=True)
    return any(
        word.endswith(suffix) and len(word) > len(suffix) and fold_sorani(word[: -len(suffix)]) in known
        for suffix in suffixes
        if SORANI_E in suffix or word[: -len(suffix)].endswith(SORANI_E)
    )


def sorani_final_e(word: str) -> str:
    """A normalised word of a Sorani text with a final ه read as ە: typed the old way (ە as ه +
    ZWNJ) a word's last ە is a bare ه, since nothing follows to need the joiner ("لاوازه",
    "هەڵبوەشێنمەوه", "چەنده"). Folding keeps them on the standard spelling's stems and stopwords."""
    if len(word) >= 2 and word.endswith("ه") and is_arabic_word(word):
        return word[:-1] + SORANI_E
    return word


@functools.lru_cache(maxsize=262_144)
def stem(word: str, sorani: bool = False) -> str:
    """Light stem of one *normalised* word (Arabic clitics, Sorani suffixes, Kurmanji/English endings).

    ``sorani``: the word is part of a Sorani text, so a Sorani suffix is stripped even from a word
    that shows no Sorani letter once normalised ("باڵانسم" my balance, "پاکێجێک" a package).

    Memoised: a pack repeats a small vocabulary thousands of times (importing 1,000 articles
    stemmed 220k words, 6 s of the import's 20)."""
    if len(word) <= 2 or word.isdigit():
        return word
    if is_arabic_word(word):
        if sorani:
            word = sorani_final_e(word)
        if SORANI_E in word and word in STOPWORDS:
            # A Sorani function word keeps its spelling: folded onto the Arabic skeleton "بکەم"
            # (I do) became "بكم" (how much, a price concept) in every "… بکەم" request.
            return word
        if sorani or SORANI_E in word or word.startswith(SORANI_ALEF):
            lemma = sorani_verb(word)
            if lemma is not None:
                return fold_sorani(lemma)
            word = light_verb_noun(word)
        if sorani:
            word = _stem_sorani(word, _SORANI_TEXT_SUFFIXES)
        elif SORANI_E in word or word.startswith(SORANI_ALEF):
            word = _stem_sorani(word)
        else:
            word = _strip_proclitics(word)
        return word if len(word) <= 3 else _strip_arabic_suffix(word)
    lemma = kurmanji_verb(word)
    return lemma if lemma is not None else _stem_latin(word)


# Kurmanji verbs: (present stem, past stem, infinitive), as for Sorani above: the present with
# bi-/di-/na-/ne- and a person ending ("bişînim", "diqede", "nagihîjin") and the past and
# infinitive the articles use ("şand", "qediya", "gihîştin") read as the infinitive. A closed table
# of support verbs; left out: "kirîn" (buy: folded it is "kirin", do) and "xebitîn" (work:
# "dixebite" works and "naxebite" does not work, in many titles, became one word and "does my line
# work in Turkey" lost the roaming article).
_KURMANJI_VERBS: tuple[tuple[str, str, str], ...] = (
    ("şîn", "şand", "şandin"),  # send
    ("guherîn", "guhert", "guhertin"),  # change
    ("qed", "qediya", "qedîn"),  # end, run out
    ("bîn", "dît", "dîtin"),  # see, find
    ("zan", "zanî", "zanîn"),  # know
    ("daxîn", "daxist", "daxistin"),  # download
    ("rawestîn", "rawestand", "rawestandin"),  # stop
    ("gihîj", "gihîşt", "gihîştin"),  # reach, arrive
)
_KURMANJI_MOODS = ("bi", "di", "na", "ne", "nay")  # a present always has one: "bînim" is "I bring"
_KURMANJI_PERSONS = ("im", "î", "e", "in", "ê", "")
_KURMANJI_PAST_ENDINGS = ("", "im", "î", "in", "e", "iye", "ye", "ne", "in")


@functools.lru_cache(maxsize=1)
def _kurmanji_verb_forms() -> dict[str, str]:
    forms: dict[str, str] = {}
    for present, past, infinitive in _KURMANJI_VERBS:
        lemma = normalize(infinitive)
        generated = [
            mood + present + person for mood in _KURMANJI_MOODS for person in _KURMANJI_PERSONS if mood or person
        ]
        generated += [negation + past + ending for negation in ("", "ne") for ending in _KURMANJI_PAST_ENDINGS]
        generated += [infinitive, infinitive + "ê", infinitive + "a"]
        for form in generated:
            folded = normalize(form)
            if len(folded) >= 4 and folded not in STOPWORDS:
                forms.setdefault(folded, lemma)
    return forms


def kurmanji_verb(word: str) -> str | None:
    """The infinitive of a normalised Kurmanji verb form of the table above, if it is one."""
    return _kurmanji_verb_forms().get(word)


_ENGLISH_ENDINGS = frozenset(("ing", "ed", "es", "s"))


def _stem_latin(word: str) -> str:
    """One Kurmanji or English ending, keeping three letters. After a Kurmanji ending the glide y
    of a vowel-final noun and that final vowel go too, so the inflected forms meet the bare one:
    "krediya" → "kredi" → "kred" as "kredî" → "kred", "bihayên" → "biha" → "bih" as "biha",
    "gazîyan" → "gazi" → "gaz" as "gazî" (before, each form kept a stem of its own)."""
    if len(word) <= 3:
        return word
    for suffix in _LATIN_SUFFIXES_FOLDED:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            rest = word[: -len(suffix)]
            if suffix in _ENGLISH_ENDINGS:
                return rest
            if len(rest) >= 4 and rest[-1] == "y" and rest[-2] in "aeiou":
                rest = rest[:-1]
            if len(rest) >= 4 and rest[-1] in "aei":
                rest = rest[:-1]
            return rest
    return word


# Function words (and common dialect question words, greetings, politeness) carry no topic; they
# are dropped from lexical queries and weighted down in the embedder.
_STOP_ARABIC = (
    "في من على الى إلى عن ما ماذا هل كيف لماذا هو هي انا أنا عندي لي مع او أو و يا شلون شو ليش وين "
    "اريد أريد ابي بدي عايز عاوز ممكن هذا هذه هاي هذي ذلك التي الذي اللي انه ان إن أن كان كانت يكون لا "
    "لم لن مو مش ماكو اكو شنو شني وش ايش إيش ازاي إزاي ليه كده هيك هلق الحين هسه هسا اليوم يعني بس لو "
    "اذا إذا ثم حتى كل شي شيء اي أي قد عند عندك عندنا لك لكم لنا بسرعه الله السلام عليكم مرحبا اهلا شكرا "
    "رجاء اخي أخي حبيبي كم متى مين منو شكد قديش بكم الي علي بي فيه فيها به بها له لها احنا نحن انت إنت "
    "انتم هم يمكن يمكنني"
)
_STOP_SORANI = (
    "تۆ ئەو ئێمە ئێوە ئەوان ئەم ئەمە ئەوە ئەمانە ئەوانە لە بە بۆ لەگەڵ کە یان چۆن چی چییە چیە بۆچی "
    "کەی کوا کێ کام چەند هەیە نییە نیە یە بوو بووە دەبێت دەکرێت دەتوانم ناتوانم دەمەوێت ئەمەوێت "
    "دەمانەوێت مەوێت تکایە سوپاس سڵاو زۆر هەر هیچ ئێستا ئەمڕۆ بەڵام ئایا دا لێ پێ تێ خۆم خۆت خۆی "
    "هەموو هەندێک ئیتر تر کاکە کاک براکەم ببورە بەڕێز ئەگەر تا هێشتا بکەم بکەین بکەیت دەکەم دەکەیت "
    "چۆنە چیم منیش دەوێت دەوێ ئەوێت "
    # on, there: place words of every sentence ("خێرایی داتا لەسەر 4G", "لەوێ کار دەکات")
    "لەسەر لەوێ"
)
_STOP_ENGLISH = (
    "the a an is are was were be been my i im i'm me to how what do does did can could of in on at for "
    "and or it its with please pls plz why when where which who you your u this that there here have has "
    "had not no dont doesnt cant will would should from by about so if but any some get want need hi "
    "hello hey thanks thank just still also very too all we our"
)
_STOP_KURMANJI = (
    "ez tu min te em we ew wî wê ji li bi di de da re ra û u ye e in im î çi ci çawa cawa çima cima kengî "
    "kengi an jî ku vê ve ev hûn hun me xwe dikarim dixwazim heye silav spas ka kî ki çend cend pir gelek "
    "ne na lê le ser bo heta ya yê yên wek wekî disa paşê hemû her heke eger tenê kîjan kengê çiqas"
)
# Sorani writes "is"/"are" as an enclitic on the word before it: "چەندە" (how much is), "چەندن"
# (how much are), "کوێیە". A function word with the copula is still a function word (before,
# "باڵانسم چەندە" kept "چەندە" as a content word shared by every price question).
_SORANI_COPULAS = ("ە", "ن")
_SORANI_STOPS = frozenset(normalize(w) for w in _STOP_SORANI.split()) | frozenset(
    normalize(w + copula) for w in _STOP_SORANI.split() if not w.endswith(("ە", "ی")) for copula in _SORANI_COPULAS
)
STOPWORDS: frozenset[str] = (
    frozenset(normalize(w) for block in (_STOP_ARABIC, _STOP_ENGLISH, _STOP_KURMANJI) for w in block.split())
    | _SORANI_STOPS
    # ... and typed the old way, the final ە as ه ("چەنده", "بووه"; see sorani_final_e)
    | frozenset(w[:-1] + "ه" for w in _SORANI_STOPS if w.endswith(SORANI_E))
)
ENGLISH_STOPWORDS: frozenset[str] = frozenset(_STOP_ENGLISH.split())
