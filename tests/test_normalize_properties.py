"""Normaliser, stemmer, lexicon and built-in embedder: properties over any Unicode input, and the
Arabic/Kurdish folding policy on concrete spellings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nura_appliance.knowledge.arabizi import transliterate
from nura_appliance.knowledge.embedding import BuiltinEmbedder
from nura_appliance.knowledge.normalize import detect_language, index_terms, normalize, stem
from nura_appliance.knowledge.stemming import kurmanji_verb, sorani_verb

ARABIC_TEXT = st.text(alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF), max_size=60)
# Sorani letters with the joiners and marks people type between them, and spaces.
SORANI_TEXT = st.text(alphabet="ئابپتجچحخدرڕزژسشعغفڤقکگلڵمنوۆەهھیێ \u200c\u200d\u200e\u200f", max_size=60)
# Arabizi: Latin letters, the digits that stand for letters, apostrophes and spaces.
ARABIZI_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz2356789' ", max_size=60)
ANY_TEXT = st.text(max_size=200)
EMBEDDER = BuiltinEmbedder()


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, ARABIC_TEXT, SORANI_TEXT, ARABIZI_TEXT))
def test_normalize_is_idempotent_and_total(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip() and "  " not in once


@settings(max_examples=200, deadline=None)
@given(st.one_of(ANY_TEXT, ARABIC_TEXT, SORANI_TEXT, ARABIZI_TEXT))
def test_language_terms_and_vectors_never_crash(text: str) -> None:
    assert detect_language(text) in ("ar", "ckb", "ku", "en")
    terms = index_terms(text)
    assert all(t and " " not in t for t in terms)
    vector = EMBEDDER.embed([text])[0]
    norm = float(np.linalg.norm(vector))
    assert vector.shape == (EMBEDDER.dim,) and (norm == 0.0 or abs(norm - 1.0) < 1e-4)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x0621, max_codepoint=0x064A), min_size=1, max_size=12))
def test_stem_never_grows_a_word(word: str) -> None:
    folded = normalize(word)
    for part in folded.split():
        assert len(stem(part)) <= len(part) and stem(part)


@pytest.mark.parametrize(
    ("variant", "standard"),
    [
        ("إنترنت", "انترنت"),  # hamza on alef
        ("باقة", "باقه"),  # ta marbuta policy: ة → ه
        ("مستشفى", "مستشفي"),  # alef maqsura → ya
        ("مَرْحَبًا", "مرحبا"),  # harakat removed
        ("مرحبـــا", "مرحبا"),  # tatweel removed
        ("مرحباااااا", "مرحبا"),  # stretched letters
        ("١٢٣ ۴۵۶", "123 456"),  # Arabic-Indic and Persian digits
        ("گیگا", "كيكا"),  # Persian/Kurdish letter forms
        ("Înterneta min hêdî ye", "interneta min hedi ye"),  # Kurmanji diacritics
        ("HELLO World", "hello world"),
    ],
)
def test_spelling_variants_fold_together(variant: str, standard: str) -> None:
    assert normalize(variant) == normalize(standard)


@pytest.mark.parametrize("number", ["27000", "5000", "1111", "*111#", "٢٥٠٠٠"])
def test_repeated_digits_are_a_value_not_a_stretched_letter(number: str) -> None:
    digits = number.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")).strip("*#")
    assert normalize(f"السعر {number} دينار") == f"السعر {digits} دينار"
    assert normalize("27000") != normalize("270")


def test_light_stemming_and_concepts_bridge_dialects_and_languages() -> None:
    assert stem(normalize("بالموبايل")) == stem(normalize("موبايل"))
    assert "نت" in index_terms("والنت")
    # loanwords in Arabic script meet their English and Kurdish forms through one concept
    assert "kcroaming" in index_terms("شلون اشغل الرومنج") and "kcroaming" in index_terms("roaming prices")
    assert "kcpassword" in index_terms("نسيت الباسورد") and "kcpassword" in index_terms("şîfreya min")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("النت عندي بطيء", "ar"),
        ("Înterneta min hêdî ye", "ku"),
        ("internet hedi ye video venabe", "ku"),
        ("my internet is very slow", "en"),
        ("shlon a7weel raseed", "ar"),
    ],
)
def test_language_detection(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_builtin_embedder_is_deterministic_and_typo_tolerant() -> None:
    first = BuiltinEmbedder().embed(["النت بطيء جدا"])[0]
    again = BuiltinEmbedder().embed(["النت بطيء جدا"])[0]
    assert np.array_equal(first, again)  # stable across instances (crc32, not hash())
    typo = EMBEDDER.embed(["النت بطئ جدا"])[0]
    other = EMBEDDER.embed(["كيف اغير كلمة السر"])[0]
    assert float(first @ typo) > 0.6 > float(first @ other)


@settings(max_examples=200, deadline=None)
@given(SORANI_TEXT)
def test_sorani_stems_never_grow_and_joiners_never_split_words(text: str) -> None:
    folded = normalize(text)
    assert "\u200c" not in folded and "\u200d" not in folded
    assert len(folded.split()) <= len(text.split()) or not text.strip()
    for word in folded.split():
        for sorani in (False, True):
            root = stem(word, sorani)
            # a form of the Sorani or Kurmanji verb table reads as the verb's verbal noun ("بچم" → "چوون")
            assert root and (len(root) <= len(word) or sorani_verb(word) is not None or kurmanji_verb(word) is not None)


@settings(max_examples=200, deadline=None)
@given(ARABIZI_TEXT)
def test_arabizi_transliteration_is_total(text: str) -> None:
    arabic = transliterate(text)
    assert normalize(arabic) == normalize(normalize(arabic))
    # every word comes out in Arabic script, or stays as typed (an English word, "4g", a number)
    typed = set(normalize(text).split())
    for word in arabic.split():
        assert word in typed or "\u0600" <= word[0] <= "\u06ff", (text, word)


MIXED_TEXT = st.text(alphabet="abcpinsm45gیمەکتانالـ ", max_size=40)


@settings(max_examples=200, deadline=None)
@given(MIXED_TEXT)
def test_mixed_script_words_normalise_idempotently(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("کۆدی PINم سێ جار هەڵە لێدا", "كودي pin سي جار هەلە ليدا"),  # Sorani "my" glued on a Latin name
        ("APNی سەنەد", "apn سەنەد"),  # the ezafe
        ("eSIMەکەم کار ناکات", "esim كار ناكات"),  # definite + "my"
        ("5Gی", "5g"),
        ("الـAPN", "apn"),  # the Arabic article before a Latin name
        ("بالـeSIM", "esim"),
        ("abcمرحبا", "abc مرحبا"),  # a real word glued on: split, not dropped
    ],
)
def test_arabic_script_clitics_on_a_latin_name(text: str, expected: str) -> None:
    assert normalize(text) == expected
    assert index_terms("eSIMەکەم") == index_terms("eSIM")
