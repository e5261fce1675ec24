"""Another service's account, password, bill or price is out of scope (issue 16, eighth pass):
``lexicon.other_services`` / ``asks_of_service`` and ``retrieval.other_service_words``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nura_appliance.knowledge.arabizi import transliterate
from nura_appliance.knowledge.lexicon import asks_of_service, other_services, service_facets, services_asked
from nura_appliance.knowledge.retrieval import _Snapshot, analyse, other_service_words


def _names(text: str) -> list[str]:
    return other_services([root for root, _ in analyse(text)[1]])


def test_other_services_are_found_in_every_script_and_inflection() -> None:
    assert _names("how do i change my gmail password") == ["gmail"]
    assert _names("min şîfreya facebookê ji bîr kir") == ["facebook"]  # Kurmanji case ending
    assert _names("نسيت باسورد الفيسبوك") and _names("حسابي بالتيك توك انسرق") == ["تيك توك"]
    assert _names("پاسۆردی ئینستاگرامەکەم لەبیر چووە")  # Sorani possessive + definite suffixes
    assert _names("fatûreya elektrîkê çawa bidim")
    # not services: the desk's own words, phone makers, other operators, Arabic words that are names elsewhere
    for text in (
        "نسيت باسورد التطبيق",
        "apn settings on my iphone",
        "انقل رقمي من اسياسيل",
        "طلبات الشراء",
    ):
        assert _names(text) == [], text


def test_a_service_is_asked_about_only_with_a_facet_and_nothing_the_desk_carries() -> None:
    def asks(text: str) -> bool:
        terms, units = analyse(text)
        return asks_of_service(units, terms)

    for text in ("how do i change my gmail password", "اشتراك نتفلكس شلون الغيه", "my tiktok account got hacked"):
        assert asks(text), text
    # the desk's network, calls, data, balance: the service is a symptom, not the question
    for text in (
        "youtube buffers all the time, the internet is slow",
        "مكالمات الواتساب تقطع",
        "الواتساب ما يشتغل على داتا الموبايل",
        "netflix eats my balance",
        "اليوتيوب بيقف كل شوية",  # no facet either
    ):
        assert not asks(text), text


def test_a_bank_or_card_is_another_service_beyond_paying_and_topping_up() -> None:
    def asked(text: str) -> list[str]:
        terms, units = analyse(text)
        return services_asked([root for root, _ in units], service_facets(units, terms))

    assert asked("my bank card is locked after a wrong pin") == ["bank"]
    assert asked("بطاقة الماستر كارد مقفولة")
    assert asked("أقدر أدفع الفاتورة بالفيزا؟") == []  # a way to pay this desk's bill
    assert asked("top up from my bank card") == []
    assert asked("حول فلوس للبنك") == ["بنك"]  # money to a bank is the bank's business
    assert asked("how do i reset my instagram password") == ["instagram"]


def test_an_arabizi_message_keeps_service_names_in_latin_letters() -> None:
    text = transliterate("nseet el password mal facebook")
    assert "facebook" in text.split() and "password" in text.split()


def test_other_service_words_are_those_the_winning_article_does_not_cover() -> None:
    empty = np.zeros((0, 1), dtype=np.float32)
    snap = _Snapshot(
        "v", "", ["password", "recharge"], np.zeros(0, dtype=np.int64), empty, empty, np.zeros(0, dtype=np.int64)
    )
    snap.terms = [
        frozenset(analyse("reset your password in the app")[0]),
        frozenset(analyse("top up with a visa or mastercard bank card")[0]),
    ]
    terms, units = analyse("how do i reset my instagram password")
    assert other_service_words(snap, units, terms, 0) == ["instagram"]
    terms, units = analyse("my visa card is locked, how do i get a new pin")
    assert other_service_words(snap, units, terms, 1) == []  # the article names Visa itself
    assert other_service_words(snap, units, terms, 0) == ["vis"]  # the stem of "visa"
    terms, units = analyse("reset my password")
    assert other_service_words(snap, units, terms, 0) == []


async def test_another_services_password_or_price_is_not_answered_with_an_article(default_pipeline: Any) -> None:
    ctx = default_pipeline
    for text, lang in (
        ("how do i reset my snapchat password", "en"),
        ("كلمة سر الهوتميل نسيتها", "ar"),
        ("nseet el password mal facebook", "ar"),
        ("وشەی نهێنیی جیمەیڵەکەم بیرچووەتەوە", "ckb"),
    ):
        answer = await ctx.pipeline.answer(text, lang)
        assert answer.kind != "article", (text, answer.article_id, answer.confidence)
    for text, lang, article in (
        ("نسيت باسورد تطبيق سند", "ar", "password-reset"),
        ("the internet is very slow, youtube keeps buffering", "en", "internet-slow"),
    ):
        answer = await ctx.pipeline.answer(text, lang)
        assert answer.kind == "article" and answer.article_id == article, (text, answer.article_id)
