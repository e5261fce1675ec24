"""A match carried only by generic words — a code, a number, a price, charging, a phone — never
answers (issue 16, eighth out-of-scope pass): ``generic.generic``, ``retrieval.generic_only`` and
the article tier's decision on both packs; programming and game loanwords as topics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import default_pack_context

from nura_appliance.knowledge.generic import generic
from nura_appliance.knowledge.retrieval import analyse
from nura_appliance.knowledge.topics import topic_words

OPERATOR2 = Path(__file__).resolve().parent.parent / "knowledge/eval/operator2/pack.json"


def _units(text: str) -> list[tuple[str, str | None]]:
    return analyse(text)[1]


def test_generic_words_are_known_in_every_language_and_the_desks_own_words_are_not() -> None:
    for text in ("كود", "الرمز", "code", "koda", "کۆدی", "سعر", "price", "نرخی", "bihayê", "رقم", "ژمارەی", "hejmara"):
        units = _units(text)
        assert units and all(generic(root, concept) for root, concept in units), text
    for text in ("شحن", "charge", "موبايل", "telefona", "مۆبایل", "kevn", "بەکارهاتوو", "bifroşim", "تفعيل"):
        units = _units(text)
        assert units and all(generic(root, concept) for root, concept in units), text
    # what only a telecom desk carries, even alone: a card, a balance, a package, the SIM, a PIN
    for text in ("كارت", "رصيد", "باقة", "الشريحة", "PIN", "internet", "باڵانس", "pakêt"):
        assert not any(generic(root, concept) for root, concept in _units(text)), text


def test_programming_and_game_loanwords_are_topics_in_every_script() -> None:
    def topics(text: str) -> list[str]:
        return topic_words(text, [root for root, _ in _units(text)])

    assert topics("اكتب لي كود بايثون") == ["بايثون"]
    assert topics("جاڤاسکریپت چۆن فێر ببم")
    assert topics("ez dixwazim fêrî python bibim") == ["python"]
    assert topics("شحن جواهر فري فاير") == ["فري فاير"]
    # "free" alone is the desk's word ("نت فري", free internet), not the game
    assert topics("اريد نت فري") == []


async def test_default_pack_a_match_on_generic_words_alone_is_not_answered(tmp_path: Path) -> None:
    async with default_pack_context(tmp_path) as ctx:
        for text, lang in (
            ("شحن الماسات فري فاير بكم", "ar"),  # game gems: "شحن" alone matched the recharge article
            ("رمز تفعيل ويندوز ما يشتغل", "ar"),  # a Windows key: "رمز" + "تفعيل" matched the eSIM article
        ):
            answer: Any = await ctx.pipeline.answer(text, lang)
            assert answer.kind not in ("article", "ambiguous"), (text, answer.article_id, answer.confidence)
        # the same generic words next to what the desk carries still answer
        for text, lang, article in (
            ("نسيت رمز PIN مال الشريحة", "ar", "pin-puk"),
            ("كارت الشحن يكول الرقم مستخدم", "ar", "recharge-card"),
            ("شكد سعر باقات النت", "ar", "packages-prices"),
            ("what code shows my balance", "en", "balance-check"),
        ):
            answer = await ctx.pipeline.answer(text, lang)
            assert answer.kind == "article" and answer.article_id == article, (text, answer.kind, answer.article_id)


async def test_operator2_pack_a_match_on_generic_words_alone_is_not_answered(tmp_path: Path) -> None:
    pack = json.loads(OPERATOR2.read_text(encoding="utf-8"))
    async with default_pack_context(tmp_path, pack) as ctx:
        for text, lang in (
            ("رمز فري فاير ما يشتغل", "ar"),  # a game code: "رمز" + "يشتغل" matched the eSIM article
            ("telefona xwe ya kevn bi çiqasî bifroşim", "ku"),  # selling one's old phone
        ):
            answer: Any = await ctx.pipeline.answer(text, lang)
            assert answer.kind not in ("article", "ambiguous"), (text, answer.article_id, answer.confidence)
        for text, lang, article in (
            ("رمز التحقق لتطبيق MyZagros ما يجيني", "ar", "app-account"),
            ("كارت التعبئة يطلع مستخدم", "ar", "balance-recharge"),
            ("اشتري ايفون بالاقساط", "ar", "device-instalments"),
        ):
            answer = await ctx.pipeline.answer(text, lang)
            assert answer.kind == "article" and answer.article_id == article, (text, answer.kind, answer.article_id)
