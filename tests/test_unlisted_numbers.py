"""Issue 16/17 (`hzone`): a question naming a numbered item — a roaming zone, a plan — that the
winning article holds by its word but never with that number is not that article's to answer
confidently (``numbered.unlisted_numbers``, read in ``retrieval``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import default_pack_context

from nura_appliance.knowledge.numbered import numbered_items, unlisted_numbers

PLANS = "Zagros Plus 30: 30 GB for 30,000 IQD a month.\nZagros Plus 60: 60 GB for 50,000 IQD."
ZONES = "The price for each zone is in the app. Turn roaming on with *288*1#, valid for 24 hours."


def test_numbers_in_every_script_and_ordinals_name_the_same_item() -> None:
    for text in (
        "zone 7 roaming day pass price",
        "سعر الداي باس بالمنطقة ٧",
        "كم سعر يوم التجوال بالمنطقة السابعة",
        "نرخی ڕۆمینگ بۆ ناوچەی ۷ چەندە",
        "ناوچەی حەوتەم",
        "bihayê day pass ji bo herêma 7",
        "herêma heftemîn",
        "the seventh roaming zone",
        "the 7th zone",
    ):
        assert numbered_items(text).pairs == {("zone", 7)}, text


def test_quantities_codes_and_steps_are_no_items() -> None:
    assert numbered_items("باقة 30 جيجا لمدة 7 ايام").pairs == frozenset()
    assert numbered_items("dial *288*1# for 24 hours").pairs == frozenset()
    assert numbered_items("restart the phone\n2. turn data on").pairs == frozenset()
    assert numbered_items(PLANS).pairs == {("plus", 30), ("plus", 60)}


def test_an_item_is_unlisted_when_the_article_holds_its_word_never_with_that_number() -> None:
    plans, zones = numbered_items(PLANS), numbered_items(ZONES)
    assert unlisted_numbers(numbered_items("Zagros Plus 90 monthly price"), plans) == ["plus 90"]
    assert unlisted_numbers(numbered_items("شكد خطة Plus 30 بالشهر"), plans) == []
    assert unlisted_numbers(numbered_items("المنطقة الخامسة"), zones) == ["zone 5"]
    # a number of a word the article does not hold asks nothing of it
    assert unlisted_numbers(numbered_items("Zagros Plus 90"), zones) == []
    assert unlisted_numbers(numbered_items("zone 5"), plans) == []


async def test_an_unlisted_zone_or_plan_is_not_answered_confidently_by_the_article(tmp_path: Path) -> None:
    path = Path(__file__).resolve().parent.parent / "knowledge/eval/operator2/pack.json"
    pack = json.loads(path.read_text(encoding="utf-8"))
    async with default_pack_context(tmp_path, pack) as ctx:
        for text, lang in (
            ("Zagros Plus 90 monthly price", "en"),
            ("نرخی پاکێجی ڕۆمینگی ڕۆژانە بۆ ناوچەی ٥ چەندە", "ckb"),
            ("باقة التجوال للمنطقة الرابعة شنو تشمل", "ar"),
        ):
            answer: Any = await ctx.pipeline.answer(text, lang)
            assert answer.kind != "article", (text, answer.article_id, answer.confidence)
        # the plan the article lists, and the same article without a number
        for text, article in (
            ("Zagros Plus 60 price", "postpaid-plans"),
            ("activate roaming before travel", "roaming-day-pass"),
        ):
            answer = await ctx.pipeline.answer(text, "en")
            assert answer.kind == "article" and answer.article_id == article, (text, answer.kind, answer.article_id)
