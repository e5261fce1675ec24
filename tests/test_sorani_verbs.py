"""Sorani verbs read as one lemma across present, subjunctive, past, perfect, passive and verbal
noun, and glued light verbs (کردن, بوون) leave their noun (issue 16, eighth pass)."""

from __future__ import annotations

from nura_appliance.knowledge.folding import normalize
from nura_appliance.knowledge.stemming import kurmanji_verb, sorani_verb, stem


def _stem(word: str) -> str:
    return stem(normalize(word), True)


def test_present_and_past_forms_of_a_verb_meet_its_verbal_noun() -> None:
    groups = (
        ("بگوازمەوە", "دەگوازیتەوە", "گواستنەوە", "گواستنەوەی", "گواستمەوە"),  # transfer
        ("بکڕم", "دەکڕین", "کڕین", "کڕیم", "کڕیوە"),  # buy
        ("هەڵبوەشێنمەوە", "هەڵدەوەشێنمەوە", "هەڵوەشاندنەوە", "هەڵوەشاندنەوەی"),  # cancel
        ("ڕابگرم", "ڕاگرتن", "ڕاگرت"),  # stop
        ("ناچمە", "بچمە", "چوونە", "چووم"),  # go (in)
        ("دابەزێنم", "دابەزاندن", "دابەزاندنی"),  # download
        ("نانێردرێت", "بنێرم", "ناردن", "ناردم"),  # send, also passive
        ("بگەڕێندرێتەوە", "دەگەڕێنمەوە", "گەڕاندنەوە"),  # refund
    )
    for forms in groups:
        stems = {_stem(form) for form in forms}
        assert len(stems) == 1, (forms, stems)


def test_verbs_of_different_preverbs_stay_apart_and_other_words_are_not_verbs() -> None:
    assert _stem("ڕاگرتن") != _stem("وەرگرتن")  # stop / receive
    # nouns, function words and the light verb alone are not read as verbs
    for word in ("باڵانس", "پاکێج", "دەمەوێت", "بکەم", "دا", "کارت", "گۆڕانکاری"):
        assert sorani_verb(normalize(word)) is None, word
    # a Sorani function word keeps its spelling as before
    assert _stem("دەمەوێت") == normalize("دەمەوێت")


def test_a_glued_light_verb_leaves_its_noun() -> None:
    assert _stem("تۆمارکردن") == _stem("تۆمار")
    assert _stem("تۆمارکردنی") == _stem("تۆمار")
    assert _stem("دروستکردنی") == _stem("دروست")
    assert _stem("خاوبوونی") == _stem("خاو")
    # two letters would remain: the word is kept ("ونبوو" lost, "پڕکردنەوە" recharge)
    assert _stem("ونبوو") != _stem("ون")
    assert _stem("پڕکردنەوە") == stem(normalize("پڕکردنەوە"), True) and len(_stem("پڕکردنەوە")) > 3


def test_kurmanji_present_and_past_forms_meet_the_infinitive() -> None:
    def latin(word: str) -> str:
        return stem(normalize(word))

    for forms in (
        ("bişînim", "dişîne", "şand", "şandin"),  # send
        ("diqede", "qediya", "qedîn"),  # run out
        ("biguherînim", "guhertin", "guhert"),  # change
        ("nagihîjin", "gihîştin"),  # arrive
    ):
        assert len({latin(form) for form in forms}) == 1, forms
    # nouns, the verbs left out ("bikirim" buy folds onto "kirin" do), a present without its mood
    # prefix ("bînim" is "I bring", not "I see") and English words are not verbs
    for word in ("kredî", "pakêt", "balans", "bikirim", "kirin", "internet", "send", "bînim"):
        assert kurmanji_verb(normalize(word)) is None, word
