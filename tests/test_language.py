"""The language layer on words and sentences: detection (Arabic, Sorani, Kurmanji, English,
Arabizi), the client's hint, Sorani and Arabic stemming, Arabizi transliteration, the Unicode
policy for customer text, and the fallback order of texts between languages."""

from __future__ import annotations

import re

import pytest

from nura_appliance.knowledge.arabizi import transliterate
from nura_appliance.knowledge.language import detect, detect_with_hint
from nura_appliance.knowledge.latin_words import arabizi_word
from nura_appliance.knowledge.normalize import arabizi_text, detect_language, index_terms, normalize, stem
from nura_appliance.knowledge.pack import pick_text
from nura_appliance.text_policy import forbidden_character


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("باڵانسەکەم چۆن بزانم؟", "ckb"),  # Sorani letters ڵ ە ۆ
        ("ئینتەرنێتەکەم زۆر خاوە", "ckb"),
        ("ده‌مه‌وێت قسه‌ له‌گه‌ڵ كارمه‌ند بكه‌م", "ckb"),  # the old ه + ZWNJ spelling of ە
        ("سڵاو", "ckb"),
        ("تکایە یارمەتیم بدە", "ckb"),
        ("النت عندي بطيء", "ar"),
        ("شلون اعرف رصيدي", "ar"),
        ("ابي اشحن رصيد بالبطاقة", "ar"),
        ("چم باقي عندي گيگات", "ar"),  # Iraqi چ and گ are Arabic here: no Sorani marker
        ("Înterneta min hêdî ye", "ku"),
        ("internet hedi ye video venabe", "ku"),
        ("my internet is very slow", "en"),
        ("5g not working in my area", "en"),  # "5g" is not Arabizi
        ("shlon a3ref rasidi", "ar"),
        ("el net 3indi kulish ba6i2", "ar"),
        ("areed a7chi wiya mowadhaf", "ar"),
        ("👍👍", "ar"),  # no letters: the default
        ("0770 123 4567", "ar"),
    ],
)
def test_language_detection(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_weak_evidence_yields_to_a_hint_of_the_same_script() -> None:
    # One Sorani word typed on an Arabic keyboard has no Sorani marker: the Sorani tab decides.
    assert detect_with_hint("انترنيتم خاوه", "ckb", "ar") == "ckb"
    assert detect_with_hint("انترنيتم خاوه", None, "ar") == "ar"
    # Strong evidence wins over the tab: an Arabic sentence on the Sorani tab stays Arabic, a
    # Sorani one on the Arabic tab stays Sorani.
    assert detect_with_hint("شلون اعرف رصيدي", "ckb", "ar") == "ar"
    assert detect_with_hint("باڵانسەکەم چۆن بزانم", "ar", "ar") == "ckb"
    # A hint never changes the script: Arabic letters are not answered in English.
    assert detect_with_hint("رصيدي", "en", "ar") == "ar"
    # Short Latin text: Kurmanji or English by the tab.
    assert detect_with_hint("internet", "ku", "ar") == "ku"
    assert detect("Înterneta min hêdî ye") == ("ku", True)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("باڵانسەکەم", "بالانس"),  # my balance → balance (was "انسهك": بال stripped as a prefix)
        ("الباقات", "باق"),  # nothing is stripped after the article (was "اق")
        ("بطاقه", "بطاق"),  # the ب of بطاقة is the word's own (was "طاق")
        ("البطاقة", "بطاق"),
        ("باقەکە", "باق"),  # Sorani "the package" meets Arabic باقة
        ("باقة", "باق"),
        ("پاکێجەکان", "باكيج"),
        ("شەبەکە", "شبك"),  # the network: ەکە here is the word, not the article
        ("شەبەکەکە", "شبك"),
        ("ئینتەرنێتەکەم", "اينترنيت"),
        ("بالموبايل", "موبايل"),
        ("والنت", "نت"),
        ("للشريحة", "شريح"),
        ("برصيدي", "رصيد"),  # a bare ب before a known word is a preposition
        ("بيشتغل", "يشتغل"),  # Levantine b- before a verb
        ("وين", "وين"),
        ("كارت", "كارت"),
        ("باقي", "باقي"),  # "remaining" is not "my package"
    ],
)
def test_stemming(word: str, expected: str) -> None:
    assert stem(normalize(word)) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("باڵانسم", "بالانس"),  # "my balance": no ە, so only a Sorani text strips the م
        ("پاکێجێکی", "باكيج"),  # "a package (of)"
        ("فرۆشگاکان", "فروشكا"),  # after a vowel the plural has no ە
        ("پەیوەندییەکانم", "بيوند"),  # the doubled ی of پەیوەندیی
        ("نێت", "نيت"),  # a one-letter suffix leaves at least three letters
    ],
)
def test_stemming_inside_a_sorani_text(word: str, expected: str) -> None:
    assert stem(normalize(word), True) == expected


@pytest.mark.parametrize(
    ("forms", "expected"),
    [
        (("kredî", "krediya", "Kredîya"), "kred"),  # the glide y of a vowel-final noun
        (("biha", "bihayê", "Bihayên"), "bih"),
        (("şîfre", "şîfreya", "şîfreyê"), "sifr"),
        (("gazî", "gazîyan"), "gaz"),
    ],
)
def test_kurmanji_inflections_meet_the_bare_noun(forms: tuple[str, ...], expected: str) -> None:
    assert {stem(normalize(form)) for form in forms} == {expected}


def test_english_endings_are_stripped_once() -> None:
    assert stem(normalize("packages")) == stem(normalize("package")) == "packag"
    assert stem(normalize("settings")) == "setting"


def test_kurmanji_function_words_carry_no_topic() -> None:
    # "ji bo" (for), the ezafe particles and the question words are not what a question is about.
    assert index_terms("Ji bo xeteke nû çi belge lazim in?") == index_terms("xeteke nû belge lazim")
    assert index_terms("Pakêta min kengê diqede?") == index_terms("Pakêta diqede")
    assert index_terms("Bihayên pakêtên Sanad yên mehane") == index_terms("Bihayên pakêtên Sanad mehane")


def test_sorani_function_words_with_the_copula_are_function_words() -> None:
    # "چەندە" (how much is) and "چەندن" (how much are) are "چەند" with "is"/"are" attached.
    assert index_terms("باڵانسم چەندە؟") == index_terms("باڵانسم چەند؟")
    assert index_terms("پاکێجەکان چەندن") == index_terms("پاکێجەکان چەند")
    # "بکەم" (I do) is not the Arabic "بكم" (for how much): no price concept in a Sorani request.
    assert "kcprice" not in index_terms("دەمەوێت لە ئەپەکە خۆم تۆمار بکەم")
    assert "kcprice" in index_terms("بكم الباقه")


def test_sorani_and_arabic_share_concepts() -> None:
    assert "kcbalance" in index_terms("باڵانسەکەم چەندە؟") and "kcbalance" in index_terms("كم رصيدي")
    assert "kcinternet" in index_terms("ئینتەرنێتەکەم خاوە") and "kcslow" in index_terms("ئینتەرنێتەکەم خاوە")
    assert "kcpackage" in index_terms("پاکێجەکان") and "kcpackage" in index_terms("الباقات")


def test_zwnj_joins_words_and_marks_the_sorani_vowel() -> None:
    assert normalize("ده‌مه‌وێت") == normalize("دەمەوێت") == "دەمەويت"
    assert normalize("می\u200cخواهم") == "ميخواهم"  # a joiner never splits a word
    assert normalize("\u200fالنت\u200e") == "النت"  # direction marks are not letters
    assert normalize("👨\u200d👩\u200d👧 النت") == "النت"


@pytest.mark.parametrize(
    ("arabizi", "arabic"),
    [
        ("shlon a3ref rasidi", "شلون اعرف رصيدي"),
        ("el net 3indi kulish ba6i2", "النت عندي كلش بطيء"),
        ("areed a7chi wiya mowadhaf", "اريد احجي ويا موظف"),
        ("kam giga ba2i 3indi bil ba2a", "كم جيجا باقي عندي بالباقه"),
        ("wein a8rab far3", "وين اقرب فرع"),
        ("shlon asawi tajwal", "شلون اسوي تجوال"),  # tajwal: not listed, found by its candidates
        ("ana msafir", "انا مسافر"),
    ],
)
def test_arabizi_transliteration(arabizi: str, arabic: str) -> None:
    assert normalize(transliterate(arabizi)) == normalize(arabic)
    assert arabizi_text(arabizi) == transliterate(arabizi)


def test_arabizi_is_recognised_only_when_it_is_arabizi() -> None:
    assert arabizi_word("a3ref") and arabizi_word("shlon") and arabizi_word("7abibi")
    assert not arabizi_word("4g") and not arabizi_word("10gb") and not arabizi_word("2nd")
    assert not arabizi_word("net") and not arabizi_word("internet")  # shared with English
    assert arabizi_text("my internet is slow") is None
    assert arabizi_text("النت بطيء") is None
    assert arabizi_text("Înterneta min hêdî ye") is None


@pytest.mark.parametrize(
    "text",
    [
        "ده\u200cمه\u200cوێت",  # ZWNJ inside Sorani words
        "👨\u200d👩\u200d👧 family plan",  # ZWJ emoji sequence
        "\u200fالنت\u200e slow",  # RLM / LRM from a phone keyboard
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # tag sequence (a flag)
        "\U0001fae8",  # an emoji newer than this Python's Unicode tables
        "line one\nline two\ttab",
    ],
)
def test_ordinary_text_is_accepted(text: str) -> None:
    assert forbidden_character(text) is None


@pytest.mark.parametrize(
    "text",
    ["nul\x00", "bell\x07", "esc\x1b[31m", "c1\x85", "rtl \u202e", "isolate \u2066", "\ud83d", "\ufffe", "\U0010ffff"],
)
def test_characters_that_break_storage_or_display_are_refused(text: str) -> None:
    assert forbidden_character(text) is not None


def test_texts_fall_back_to_the_language_a_reader_most_likely_reads() -> None:
    texts = {"ar": "عربي", "ku": "kurmancî", "en": "english"}
    assert pick_text(texts, "ckb") == ("عربي", "ar")  # Sorani readers: Arabic script before Latin
    assert pick_text({"ku": "kurmancî", "en": "english"}, "ckb") == ("english", "en")
    assert pick_text({"ckb": "سۆرانی", "ar": "عربي"}, "ckb") == ("سۆرانی", "ckb")
    assert pick_text({"ckb": "سۆرانی"}, "en") == ("سۆرانی", "ckb")


def test_every_server_string_exists_in_every_language() -> None:
    from nura_appliance.ai.prompts import SYSTEM_PROMPTS
    from nura_appliance.auth.limits import MESSAGES as LIMIT_MESSAGES
    from nura_appliance.channels.telegram import TEXTS
    from nura_appliance.conversation.messages import MESSAGES
    from nura_appliance.languages import LANGS

    for table in (MESSAGES, LIMIT_MESSAGES, TEXTS):
        for key, texts in table.items():
            assert set(texts) == set(LANGS), key
    assert set(SYSTEM_PROMPTS) == set(LANGS)
    sorani = re.compile("[ڕڵێۆەھ]")
    for table in (MESSAGES, LIMIT_MESSAGES, TEXTS):
        for key, texts in table.items():
            assert sorani.search(texts["ckb"]), key  # written in Sorani, not Arabic or Kurmanji
