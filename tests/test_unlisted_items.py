"""Out of scope by what the knowledge does not hold (issues 16 and 17, `h16oos`): a branch or a
package named by a place the article listing them lacks (``retrieval.unlisted_places``), a match
carried by the company's own name alone (``retrieval.names_only_own``), a handbook row or sentence
that answers for another country (``places.place_groups``) and the article tier's evidence that the
subject is not the desk's, passed to the handbook tier (``pipeline.elsewhere``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from handbook_support import ONE_ARTICLE_PACK, PRICE_TABLE, eval_offline, import_and_ingest

from nura_appliance.knowledge.bridge import spelling_key
from nura_appliance.knowledge.folding import normalize
from nura_appliance.knowledge.places import names_region, place_groups, place_words
from nura_appliance.knowledge.retrieval import own_name_skeletons

REJECTED = ("out_of_scope", "fallback")


def test_local_places_are_found_in_every_script_with_their_clitics_and_endings() -> None:
    assert place_words("وين فرعكم بالكوت") == ["كوت"]
    assert place_words("لقی زاگرۆس لە کەلار لە کوێیە") == ["كەلار"]
    assert place_words("şaxa we li Kelarê heye") == ["kelar"]
    assert place_words("where is your branch in samawah") == ["samawah"]
    # countries are no local places: international calls and roaming name them
    assert place_words("اريد باقه اتصال دولي لتركيا") == []
    assert place_words("شلون اعرف رصيدي") == []


def test_one_place_in_any_script_is_one_group_and_a_region_holds_its_countries() -> None:
    assert place_groups("roaming li Tirkiyê") == place_groups("شكد يوم التجوال بتركيا") == place_groups("turkey")
    assert place_groups("Hewlêrê") == place_groups("بأربيل") == place_groups("erbil")
    assert place_groups("Kuwait: Gulfnet K · Iran: Parsnet").isdisjoint(place_groups("jordan"))
    assert names_region("دول الاتحاد الأوروبي، بريطانيا، سويسرا")
    assert names_region("أمريكا، كندا، أستراليا، باقي الدول")
    assert not names_region("باقة يوم التجوال في الكويت 5,500 دينار")


def test_the_own_name_is_the_pack_name_word_its_scope_message_writes() -> None:
    names = [
        "Nahr Telecom (evaluation operator 3)",
        "عذراً، فقط خدمات نهر تيليكوم.",
        "Sorry, only Nahr Telecom services.",
    ]
    own = own_name_skeletons(names)
    assert spelling_key("nahr") in own and spelling_key("نهر") in own
    assert spelling_key("telecom") not in own  # an English word, not a name
    assert spelling_key("evaluation") not in own  # not in the scope message
    # one alphabet for both scripts (on normalised words, as the index and the pack's name are)
    assert spelling_key("زاكروس") == spelling_key(normalize("زاگرۆس")) == spelling_key("zagros") == "سكرس"


async def test_a_branch_in_a_city_the_listing_article_lacks_is_out_of_scope(default_pipeline: Any) -> None:
    ctx = default_pipeline
    for text, lang in (
        ("وين فرعكم بالكوت", "ar"),
        ("where is your branch in samawah", "en"),
        ("عندكم فرع بتكريت؟", "ar"),
    ):
        answer = await ctx.pipeline.answer(text, lang)
        assert answer.kind in REJECTED, (text, answer.kind, answer.article_id, answer.confidence)
    # a city the article lists, in any script, and a place outside a branch or package question
    for text, lang in (
        ("وين اقرب فرع بأربيل", "ar"),
        ("where is your branch in erbil", "en"),
    ):
        answer = await ctx.pipeline.answer(text, lang)
        assert answer.kind == "article" and answer.article_id == "working-hours", (text, answer.kind, answer.article_id)


def _install(data_dir: Path, tmp_path: Path) -> None:
    """A one-article pack (opening hours) and a handbook with packages, fees and roaming."""
    pack = tmp_path / "pack.json"
    pack.write_text(json.dumps(ONE_ARTICLE_PACK, ensure_ascii=False), encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    extra = (
        "\n## الرسوم\n\n| الخدمة | الرسم |\n|---|---|\n| نقل ملكية الخط | 2,500 دينار |\n"
        "| بدل شريحة مفقودة | 3,000 دينار |\n\n## التجوال\n\nالتجوال متاح في الكويت وتركيا وإيران. "
        "فعّله بطلب *160# قبل السفر. باقة يوم التجوال في الكويت 5,500 دينار وتشمل 700 MB و15 دقيقة.\n"
    )
    (docs / "najma.md").write_text(PRICE_TABLE + extra, encoding="utf-8")
    import_and_ingest(data_dir, pack, docs)


def test_the_handbook_answers_what_the_listing_lacks_and_nothing_for_another_country(
    data_dir: Path, tmp_path: Path
) -> None:
    _install(data_dir, tmp_path)
    cases = [
        # out of scope: another country's day pass, a car's ownership, the company's CEO, a package
        # named by a place nothing holds
        {"text": "شكد سعر يوم التجوال بتركيا", "lang": "ar", "expect": {"out_of_scope": True}},
        {"text": "how much is a roaming day in iran", "lang": "en", "expect": {"out_of_scope": True}},
        {"text": "كم رسوم نقل ملكية السيارة", "lang": "ar", "expect": {"out_of_scope": True}},
        {"text": "who is the ceo of najma", "lang": "en", "expect": {"out_of_scope": True}},
        {"text": "كم سعر باقة قنديل", "lang": "ar", "expect": {"out_of_scope": True}},
        # answered: the country the row names, a package the handbook lists, the article's topic
        {"text": "شكد سعر يوم التجوال بالكويت", "lang": "ar", "expect": {"fact": "5,500"}},
        {"text": "كم سعر باقة المريخ", "lang": "ar", "expect": {"fact": "27000"}},
        {"text": "كم رسوم نقل ملكية الخط", "lang": "ar", "expect": {"fact": "2,500"}},
    ]
    report = eval_offline(data_dir, cases, tmp_path)
    for case in report["cases"]:
        assert case["ok"], (case["text"], case["got"])
    answer = eval_offline(
        data_dir, [{"text": "متى تفتح الفروع؟", "lang": "ar", "expect": {"article": "opening-hours"}}], tmp_path
    )
    assert answer["cases"][0]["ok"], answer["cases"][0]["got"]
