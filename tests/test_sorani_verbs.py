"""Sorani verbs read as one lemma across present, subjunctive, past, perfect, passive and verbal
noun, and glued light verbs (کردن, بوون) leave their noun (issue 16, eighth pass)."""

from __future__ import annotations

from typing import Any

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


def test_a_compound_verb_written_apart_carries_the_verbs_concept() -> None:
    """ "چالاککردن" (activate) is the subscribe concept; written apart, "چالاک بکەم", or with the
    ezafe, "چالاککردنی پاکێج", its noun carried no concept before (ANALYSIS_VERSION 14)."""
    from nura_appliance.knowledge.retrieval import analyse

    for text in ("دەمەوێت پاکێجی هەفتانە چالاک بکەم", "چالاککردنی پاکێج", "چالاککردن"):
        assert "kcsubscribe" in analyse(text)[0], text


def test_sorani_predicates_are_verbs_and_nouns_before_a_light_verb() -> None:
    from nura_appliance.knowledge.stemming import sorani_predicates

    assert sorani_predicates("باڵانسەکەم بێ هۆ خێرا تەواو دەبێت") == {_stem("تەواو")}  # "بێ" is "without"
    assert sorani_predicates("دەمەوێت پاکێجی هەفتانە چالاک بکەم") == {_stem("چالاک")}
    assert sorani_predicates("چۆن پاکێجەکەم هەڵبوەشێنمەوە") == {_stem("هەڵبوەشێنمەوە")}
    assert sorani_predicates("باڵانسم چەندە") == frozenset()  # nouns and function words only


def test_the_predicate_decides_between_articles_that_share_the_noun() -> None:
    import numpy as np

    from nura_appliance.knowledge.retrieval import _Snapshot, analyse, what_decides
    from nura_appliance.knowledge.stemming import sorani_predicates

    empty = np.zeros((0, 1), dtype=np.float32)
    snap = _Snapshot("v", "", ["check", "draining"], np.zeros(0, dtype=np.int64), empty, empty, np.zeros(0))
    snap.terms = [
        frozenset(analyse("زانینی باڵانس باڵانسم چەندە")[0]),
        frozenset(analyse("باڵانسەکەم زوو زوو تەواو دەبێت")[0]),
    ]
    text = "باڵانسەکەم بێ هۆ خێرا تەواو دەبێت"
    units = analyse(text)[1]
    order = np.array([0, 1])
    assert what_decides(snap, units, order, np.array([1.38, 1.37]), sorani_predicates(text))
    assert not what_decides(snap, units, order, np.array([1.58, 1.37]), sorani_predicates(text))  # no near tie
    assert not what_decides(snap, units, order, np.array([1.38, 1.37]), frozenset())  # no predicate: the noun alone


async def test_sorani_compound_verbs_and_predicates_reach_their_articles(default_pipeline: Any) -> None:
    for text, article in (
        ("دەمەوێت پاکێجی هەفتانە چالاک بکەم", "package-subscribe"),  # refused before: a tie on "package"
        ("باڵانسەکەم بێ هۆ خێرا تەواو دەبێت", "balance-draining"),  # refused before, balance-check first
        ("باڵانسم چەندە؟", "balance-check"),
        ("نرخی پاکێجی ئینتەرنێتی مانگانە چەندە؟", "packages-prices"),
    ):
        answer = await default_pipeline.pipeline.answer(text, "ckb")
        assert answer.kind == "article" and answer.article_id == article, (text, answer.kind, answer.article_id)


def test_the_lexicons_sorani_forms_are_known_as_a_sorani_text_stems_them() -> None:
    """A Sorani text stems its words as Sorani ("کاتی" → "كات"): the lexicon's Sorani words and
    phrases are known that way too (ANALYSIS_VERSION 15; "کاتی کارکردن", opening hours, never
    matched in a Sorani message)."""
    from nura_appliance.knowledge.retrieval import analyse

    assert "kchours" in analyse("کاتی کارکردنی لقەکان")[0]
    assert "kcsignal" in analyse("هێڵەکەم پچڕان هەیە")[0]
    assert "kchours" not in analyse("کاتی خۆم نییە")[0]  # "my time" alone is no opening hours
