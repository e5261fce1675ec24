"""Topics a telecom desk never carries: health, food, animals, sport, the weather, cars, jokes,
the neighbourhood generator, prayer, embassies (issue 16, thirteenth pass); wages and hiring
(`h16oos`).

The fifth, ninth and twelfth passes found that a word no article knows cannot tell an
out-of-scope question from an in-scope one: dialect verbs, place names and typos are unknown
words too, and a general word-frequency list does not separate them either (a frequent topic
noun — "dog", "football" — is as frequent as a frequent dialect verb). What separates them is
*what* the word is: a noun of a subject the desk has no part in. This module names those
subjects' nouns, in every language the desk speaks; the article tier refuses a message that
names one, when the winning article does not hold it and the message names nothing the desk
carries (network, calls, messages, data, balance, packages, SIM: ``lexicon.service_facets``'s
guard) — "is paracetamol safe every day", "best pediatrician in Erbil", "کەشوهەوای سبەی".

Written from the subjects, not from evaluation cases. Left out on purpose, because they are also
telecom or everyday words: currencies and gold (the background class carries them), "used",
"مستعمل" and "بەکارهاتوو" (data used, and a recharge card that says it is used: "کارتەکە دەڵێت
بەکارهاتووە" — measured on the k-folds), "traffic", "match", "fine", "tablet", "حمل" (the stem of تحميل, download),
"ضغط" (press a button), "حراره"/"درجه" (a device's heat, a class), "غدا" (tomorrow), "خواردن" and
"xwarin" (eating: "it eats my balance"), "بيت"/"xanî" (home internet), "فيزا" (the card),
"student" and "loan" (student packages, borrowed balance), "علاج" (a fix), "مرض"/"مرضي"
(satisfactory), "حامل" (a line's holder), "مضاد" (antivirus), "وصفه" (a description), "سكري"
(سكر, to close), "كيك"/"کێک" (گيگ, a gigabyte, folds to it), "player", "temperature", "گاڵتە"
(mockery, an angry customer's word), "joke"/"henek" ("your network is a joke"), "حيوانات" (an
insult), "دواء" (its normal form دوا is Sorani "last"), English "car" (Kurmanji "car", a time).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from nura_appliance.knowledge.folding import has_sorani_letters, normalize
from nura_appliance.knowledge.normalize import analysis as shared_analysis

_TOPICS: dict[str, str] = {
    "health": (
        "طبيب دكتور دكتوره صيدليه صيدلية مستشفى مستشفي عياده عيادة ادويه مريض صداع سعال سعله كحه "
        "زكام انفلونزا فيتامين باراسيتامول بنادول ايبوبروفين اسنان جراحه حساسيه سعرات رجيم "
        "دکتۆر پزیشک دەرمان دەرمانخانە نەخۆشخانە نەخۆشی سەرئێشە کۆکە ددان دووگیان ڤیتامین "
        "doktor bijîşk derman dermanxane nexweşxane nexweşî serêş kuxik diran ducanî vîtamîn "
        "doctor doctors medicine medication pharmacy hospital clinic dentist headache fever cough flu "
        "pregnancy pregnant vitamin diabetes paracetamol ibuprofen aspirin antibiotic antibiotics allergy "
        "calories diet symptoms pills pediatrician"
    ),
    "food": (
        "طبخ اطبخ طبخه رز لحم دجاج كباب دولمه كبه برياني بيتزا مطعم فطور عشا كشري محشي "
        "ڕێچێت چێشت برنج گۆشت مریشک کفتە دۆڵمە پیتزا چێشتخانە "
        "reçete birinc goşt mirîşk pîza xwaringeh dolme "
        "recipe recipes cook cooking bake baking cake rice meat chicken kebab pizza restaurant breakfast "
        "lunch dinner burger"
    ),
    "animals": (
        "كلب كلاب جرو قطه قطط بزون سەگ پشیلە ئاژەڵ kûçik pisîk heywan dog dogs puppy cat cats kitten pet pets parrot"
    ),
    "sport": (
        "كره مباراه مباراة ماتش لاعب منتخب ملعب تۆپی یاریگا یاریزان مەچ futbol maç football soccer league stadium fifa"
    ),
    "weather": ("طقس مطر امطار ثلج کەشوهەوا باران بەفر hewa baran berf weather rain snow forecast"),
    "cars": (
        "سياره سيارة سيارتي ميكانيكي بنزين اطارات كراج "
        "ئۆتۆمبێل سەیارە بەنزین "
        "erebe erebeya tirimbêl benzîn "
        "cars vehicle petrol gasoline mechanic tyre tyres"
    ),
    "jokes": ("نكته نكتة نكت نوکتە henekek jokes riddle"),
    # goods bought and sold second-hand (a phone "for sale" is a marketplace's, not the desk's)
    "second-hand": "secondhand",
    "generator": "مولده المولده امبير مۆلیدە generator",
    "prayer": "صلاه صلاة مسجد قران نوێژ مزگەوت nimêj mizgeft prayer mosque quran",
    "embassy": "سفاره سفارة باڵیۆزخانە balyozxane embassy",
    # programming and video games (h16oos, eighth out-of-scope pass): the loanwords as Arabic,
    # Sorani and Kurmanji write them ("بايثون", "پایتۆن"); "code" itself is everyday (generic.py)
    "coding": (
        "برمجه برمجة مبرمج بايثون جافا جافاسكربت جافاسكريبت "
        "پرۆگرامسازی پایتۆن جاڤا جاڤاسکریپت "
        "bernamesazî bernamenûs paytûn "
        "python javascript java html css sql php programming programmer"
    ),
    "games": "فورتنايت ماينكرافت روبلوكس شدات fortnite minecraft freefire",
    # the ambulance and the fire brigade: their numbers are not the desk's. The police is left out in
    # every language: a stolen phone is reported to it ("my phone was stolen, should I go to the
    # police" is the lost-SIM article's), and Iraqi "شرطه" is a signal bar
    "emergency": "اسعاف إسعاف اطفاء إطفاء ئاگرکوژێنەوە فریاکەوتن ambulans ambulance firefighters",
    # wages and hiring: the bank's "CVs and jobs" class, as nouns (h16oos); "وظيفه" left out (a
    # phone's function), an article that asks for a salary slip holds its word and keeps it
    "jobs": "راتب رواتب معاش توظيف مووچە meaş salary salaries wage wages vacancy vacancies hiring",
}
# Topic words of two words, matched as written.
_PHRASES = ("second hand", "free fire", "فري فاير", "فري فايەر", "fire department", "fire brigade")
# The shortest stem that counts (Sorani and Kurmanji stems of two letters — "در" of دەرمان, "سك" of
# سەگ — are other words too); shorter ones match the written word instead.
_MIN_STEM = 3
# A Latin or Sorani word counts with the endings its language glues on ("dermanê", "دەرمانێک").
_MIN_PREFIX = 4
_MIN_LATIN_PREFIX = 5  # "henek" in "henekek", not "hen" … in "hene" (there are)


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], dict[str, str]]:
    """(stem → topic, normalised written word → topic). A stem counts only for a word in Arabic
    script and only when it is the word less an article or one final letter (صيدليه →
    صيدلي): the stemmer's verb tables and long cuts give other words' stems ("سعرات", calories,
    → "سعر", price); a Latin word is matched as written (English "car" is Kurmanji "car", a time)."""
    stems: dict[str, str] = {}
    written: dict[str, str] = {}
    for topic, text in _TOPICS.items():
        for form in text.split():
            word = normalize(form)
            written.setdefault(word, topic)
            if word.isascii():
                continue
            bare = word[2:] if word.startswith("ال") else word
            for root in shared_analysis(form).content:
                if len(root) >= _MIN_STEM and bare.startswith(root) and len(root) >= len(bare) - 1:
                    stems.setdefault(root, topic)
    return stems, written


def _prefixed(word: str, written: dict[str, str]) -> str | None:
    """The written topic word ``word`` is with an ending glued on: Latin (Kurmanji, English) and
    Sorani forms only ("dermanê", "دەرمانێک"; the normaliser keeps Sorani's ە), since an Arabic
    word's endings are the stemmer's."""
    for size in range(len(word) - 1, _MIN_PREFIX - 1, -1):
        head = word[:size]
        if head in written and ((head.isascii() and size >= _MIN_LATIN_PREFIX) or "ە" in head):
            return head
    return None


def topic_words(text: str, roots: Sequence[str]) -> list[str]:
    """The words of a message (its content ``roots`` as the article tier analyses it, and its
    normalised written words) that name a subject no telecom desk carries; empty when none."""
    stems, written = _table()
    found: list[str] = [root for root in roots if root in stems]
    words = normalize(text).split()
    padded = f" {' '.join(words)} "
    found += [phrase for phrase in _PHRASES if f" {phrase} " in padded]
    for word in words:
        if word in written or (len(word) > _MIN_PREFIX and _prefixed(word, written)):
            found.append(word)
    return list(dict.fromkeys(found))


def arabizi_spellings() -> frozenset[str]:
    """The Arabic (not Sorani) topic words of four letters or more, as known spellings of the
    Arabizi transliteration (registered by conversation.signals with the hand-off and anger
    words): "3ndk nokta 7elwa" is "نكته" (a joke), not the pack's "نقطه" (points); "6abib" is
    "طبيب"."""
    return frozenset(
        normalize(form)
        for text in _TOPICS.values()
        for form in text.split()
        if not form.isascii() and not has_sorani_letters(form) and len(normalize(form)) >= 4
    )
