"""Subjects no telecom desk carries, and utilities and banks named with a glued preposition, are
out of scope (issue 16, thirteenth pass): ``topics.topic_words``, ``retrieval.foreign_topic_words``,
``lexicon.water_named`` and ``lexicon.other_services``."""

from __future__ import annotations

from typing import Any

from nura_appliance.knowledge.lexicon import other_services, water_named
from nura_appliance.knowledge.retrieval import analyse
from nura_appliance.knowledge.topics import topic_words


def _topics(text: str) -> list[str]:
    return topic_words(text, [root for root, _ in analyse(text)[1]])


def test_topic_words_are_found_in_every_script_and_inflection() -> None:
    assert _topics("is it safe to take paracetamol every day") == ["paracetamol"]
    assert _topics("zarokê min kuxik e, çi derman baş e")  # Kurmanji, an ending glued on
    assert _topics("سەرم دێشێت چ دەرمانێک بخۆم")  # Sorani, the indefinite ێک glued on
    assert _topics("شوكت تفتح المولدة الاهلية بالمنطقة")  # the neighbourhood generator
    assert _topics("کەشوهەوای سبەی لە سلێمانی چۆنە")
    # the desk's own words, and short Kurdish stems that are other words, are no topic
    for text in ("النت بطيء", "باڵانسەکەم دەخوات", "how much data have i used", "تحميل التطبيق ما يشتغل"):
        assert _topics(text) == [], text


def test_a_water_utility_in_msa_and_a_bank_with_a_glued_preposition_are_named() -> None:
    assert water_named("متى تصدر فاتورة الماء في أربيل")  # "الماء" as the normaliser writes it
    assert other_services([root for root, _ in analyse("هل يوجد فرع لمصرف الرافدين قريب")[1]]) == ["مصرف"]
    assert other_services([root for root, _ in analyse("fatûreya kehrebayê çawa tê dayîn")[1]])


async def test_a_foreign_subject_is_not_answered_and_the_desks_own_question_is(default_pipeline: Any) -> None:
    ctx = default_pipeline
    for text, lang in (
        ("is it safe to take paracetamol every day", "en"),
        ("سەرم دێشێت چ دەرمانێک بخۆم", "ckb"),
        ("fatûreya kehrebayê çawa tê dayîn", "ku"),
        ("هل يوجد فرع لمصرف الرافدين قريب من الكرادة", "ar"),
    ):
        answer = await ctx.pipeline.answer(text, lang)
        assert answer.kind not in ("article", "ambiguous"), (text, answer.article_id, answer.confidence)
    for text, lang, article in (
        ("my dog chewed my sim card, how do i get a new one", "en", "sim-replacement"),
        ("النت كلش بطيء بالمستشفى", "ar", "internet-slow"),  # the desk's internet, wherever it is slow
    ):
        answer = await ctx.pipeline.answer(text, lang)
        assert answer.article_id == article, (text, answer.kind, answer.article_id, answer.confidence)


def test_arabic_topic_words_are_known_spellings_of_arabizi() -> None:
    import nura_appliance.conversation.signals  # noqa: F401  (registers the known spellings)
    from nura_appliance.knowledge.arabizi import transliterate

    assert "نكته" in transliterate("3ndk nokta 7elwa").split()  # a joke, not the pack's نقطه (points)
    assert "طبيب" in transliterate("wen a7san 6abib atfal b arbil").split()
    assert "نقاطي" in transliterate("shlon a3ref nqa6i").split()  # the points stay points


def test_second_hand_goods_count_only_in_english() -> None:
    assert _topics("where can i buy a second hand iphone 14 in erbil") == ["second hand"]
    # "used" is also a recharge card's state and data used: not a topic in any language
    assert _topics("کارتەکە دەڵێت بەکارهاتووە") == []
    assert _topics("الكارت يطلع مستعمل") == []
