"""Sorani words carry the concept their Arabic, Kurmanji and English equivalents carry (issue 16,
``h16ckb3``): "for how much" with the copula is a price question, "تەواو بوو"
(it ran out) and "زوو" (quickly) are what "qediya", "zû", "finished", "quickly" are, and a
country's name is one idea in every language, also with the Sorani postposition glued on after a
vowel ("ئەڵمانیاوە"); a glued light verb comes off with the person or article after it."""

from __future__ import annotations

from nura_appliance.knowledge.folding import normalize
from nura_appliance.knowledge.retrieval import analyse
from nura_appliance.knowledge.stemming import stem


def _terms(text: str) -> set[str]:
    return set(analyse(text)[0])


def test_for_how_much_with_the_copula_asks_a_price() -> None:
    for text in ("پاکێجەکانی ئینتەرنێت بە چەندن؟", "پاکێجی ڕۆمینگ بە چەندە", "Pakêta înternetê bi çend e?"):
        assert "kcprice" in _terms(text), text
    # "how much is left" asks no price: "چەند" without "بە"
    assert "kcprice" not in _terms("چەند گیگام ماوە؟")


def test_running_out_and_quickly_mean_the_same_in_every_language() -> None:
    for text in ("باڵانسەکەم زوو زوو تەواو دەبێت", "Balansa min zû diqede", "My balance ran out quickly"):
        terms = _terms(text)
        assert {"kcfinish", "kcquickly"} <= terms, (text, terms)
    for text in (
        "داتای پاکێجەکەم کەی تەواو دەبێت",
        "Pakêta min kengê diqede?",
        "الباقة خلصت",
        "When does my package expire?",
    ):
        assert "kcfinish" in _terms(text), text


def test_a_glued_light_verb_comes_off_with_the_ending_after_it() -> None:
    # "پشتڕاستکردنەوەم" (my verification), "تۆمارکردنەکەم" (my registration): the noun
    assert stem(normalize("پشتڕاستکردنەوەم"), True) == stem(normalize("پشتڕاست"), True)
    assert stem(normalize("تۆمارکردنەکەم"), True) == stem(normalize("تۆمار"), True)
    # "خێرایی" (speed) is no slow concept: stemmed it is "خێرا" (quickly), "balance runs out quickly"
    assert "kcslow" not in _terms("باڵانسەکەم بێ هۆ خێرا تەواو دەبێت")


def test_a_country_is_one_idea_in_every_language() -> None:
    for text in (
        "چۆن پەیوەندی بە ئەڵمانیاوە بکەم",
        "كم سعر الدقيقة لألمانيا؟",
        "Bihayê gazîkirinê bo Almanyayê",
        "call rates to Germany",
    ):
        assert "kcgermany" in _terms(text), text
    for text in ("دەچمە تورکیا", "مسافر لتركيا", "Ez diçim Tirkiyê", "travelling to Turkey"):
        assert "kcturkey" in _terms(text), text


def test_the_postposition_after_a_vowel_comes_off_a_known_word_only() -> None:
    assert stem(normalize("ئەڵمانیاوە"), True) == stem(normalize("ئەڵمانیا"), True)
    # "تەواوە" (it is finished) is no "تەوا" + وە: the remainder is no known word
    assert stem(normalize("تەواوە"), True) == stem(normalize("تەواو"), True)


def test_a_country_is_abroad_and_going_there_is_roaming() -> None:
    # a call to another country is international in every language ...
    for text in ("شكد سعر المكالمة للسويد", "how much to call Jordan", "ez çawa gazî Îranê bikim", "پەیوەندی بۆ ئوردن"):
        terms = _terms(text)
        assert "kcinternational" in terms, text
        assert "kcroaming" not in terms, text
    # ... and going to, travelling to or being there is using the line abroad
    for text in ("رايحين للامارات الشهر الجاي", "travelling to Sweden soon", "ez ê biçim Almanyayê"):
        terms = _terms(text)
        assert "kcroaming" in terms, text
        assert "kcinternational" not in terms, text
    # going without a country is no travel ("where is my balance going"); a country alone is neither
    assert "kcroaming" not in _terms("where is my balance going")
    assert not {"kcroaming", "kcinternational"} & _terms("how to get a student visa for Sweden")
    # the data or the SIM in a country is roaming
    assert "kcroaming" in _terms("will my internet work in Jordan"), "in a country"
