"""Another operator's balance, packages or prices, or another wallet's money, is not this desk's
question: ``lexicon.other_carriers`` / ``carrier_question`` and ``retrieval.other_carrier_words``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import (
    TEST_API_KEY,
    article_snapshot,
    default_pack_context,
    initialised_copy,
    make_settings,
    new_session,
    running_app,
)

from nura_appliance.knowledge.arabizi import transliterate
from nura_appliance.knowledge.lexicon import (
    carrier_numbers,
    carrier_question,
    other_carriers,
    paper_question,
    water_named,
)
from nura_appliance.knowledge.pack import read_pack_file
from nura_appliance.knowledge.retrieval import analyse, other_carrier_words
from nura_appliance.paths import default_pack_path

# Asiacell's balance, asked in Arabic: another operator's question to Sanad Telecom's desk, the
# desk's own to a pack named for Asiacell or with COMPANY_NAME=Asiacell.
OWN_BRAND_QUESTIONS = ("شلون اعرف رصيد آسياسيل", "شكد باقي رصيد اسياسيل مالي")


def asked(text: str) -> list[str]:
    terms, units = analyse(text)
    return carrier_question(text, units, terms)


def test_other_operators_are_found_in_every_script_and_inflection() -> None:
    assert other_carriers("how much is the asiacell daily bundle")[0] == ["asiacell"]
    assert other_carriers("كم سعر باقات اسياسيل")[0] == ["اسياسيل"]
    assert other_carriers("باڵانسی ئاسیاسێڵەکەم")[0] == ["اسياسيل"]  # Sorani: ئ before the vowel, an ending
    assert other_carriers("krediya Korekê çawa dibînim")[0] == ["korek"]  # Kurmanji case ending
    assert other_carriers("بكم باقة STC الشهرية")[0] == ["stc"]
    assert other_carriers("ابي احول فلوس بفاست باي") == (["فاست باي"], True)  # a wallet


def test_zain_in_arabic_script_is_the_operator_only_beside_what_it_owns() -> None:
    assert other_carriers("عروض زين الجديدة")[0] == ["zain"]  # Zain's offers
    assert other_carriers("احول بزين كاش") == (["zain"], True)  # the wallet
    assert other_carriers("الرصيد زين بس النت بطيء")[0] == []  # "the balance is fine"
    assert other_carriers("زين شكرا")[0] == []  # "OK, thanks"
    assert other_carriers("النت اليوم زين")[0] == []


def test_a_question_about_another_operator_not_about_its_numbers() -> None:
    assert asked("how much are korek internet packages") == ["korek"]
    assert asked("شلون اشحن رصيد زين") == ["zain"]
    assert asked("çawa krediya Asiacellê bibînim") == ["asiacell"]
    # Their numbers are this desk's: calls and messages to them, bringing a number from them.
    assert asked("i cant call asiacell numbers") == []
    assert asked("الرسائل ما توصل لارقام كورك") == []
    assert asked("اريد انقل رقمي من اسياسيل") == []
    assert asked("min dixwest hejmara xwe ji Korekê bînim") == []
    # Only a name, nothing asked of it.
    assert asked("i used to be with asiacell") == []


def test_another_operator_as_the_other_end_of_the_line() -> None:
    def numbers(text: str) -> bool:
        terms, units = analyse(text)
        return carrier_numbers(text, units, terms)

    assert numbers("i cant call asiacell numbers")
    assert numbers("ما اكدر اتصل على ارقام زين")
    assert numbers("ez dixwazim hejmara xwe ji Korekê bînim")
    assert not numbers("korek call packages prices")  # asks for the operator's prices
    assert not numbers("how do i send money with zain cash")  # a wallet
    assert not numbers("i cant call my mother")  # no operator


def test_a_wallet_counts_unless_the_customer_pays_or_tops_up_with_it() -> None:
    assert asked("how do i send money with zain cash") == ["zain"]
    assert asked("كيف اعرف رصيد فاست باي") == ["فاست باي"]
    assert asked("can i recharge my line with zain cash") == []
    assert asked("اشحن رصيدي بفاست باي") == []


def test_a_bank_or_cards_balance_is_theirs_unless_the_customer_tops_up_with_it() -> None:
    assert asked("how do i see my bank balance") == ["bank"]
    assert asked("شكد رصيد الماستر كارد مالتي") == ["ماستر كارد"]
    assert asked("top up my balance with my visa card") == []
    assert asked("حول رصيد من الماستر كارد لخطي") == []  # to the line: a top-up


def test_getting_a_passport_is_the_governments_question_showing_one_is_not() -> None:
    def papers(text: str) -> list[str]:
        terms, units = analyse(text)
        return paper_question(units, terms)

    assert papers("how do i renew my passport") == ["passport"]
    assert papers("شلون اجدد الجواز") == ["جواز"]
    assert papers("ez çawa pasaportê nû wergirim") == ["pasaport"]
    assert papers("how do i renew my driving licence")
    # The desk asks for one: a line, SIM or number with it is the new-line question.
    assert papers("can i get a sim with my passport") == []
    assert papers("اريد اطلع خط بالجواز") == []
    assert papers("جوازي منتهي اكدر اجدد الخط") == []
    assert papers("is a passport enough") == []  # nothing asked to be issued


def test_water_is_named_as_written_not_as_the_stem_my() -> None:
    assert water_named("كيف ادفع فاتورة الماي")
    assert water_named("fatûreya avê çawa bidim")
    assert not water_named("ماي زاگروس ما يفتح")  # the "My…" app


def test_an_arabizi_message_keeps_operator_names_in_latin_letters() -> None:
    assert "asiacell" in transliterate("shlon a3ref raseed asiacell").split()
    assert "zain" not in transliterate("el net zain el yom").split()  # Arabizi "good"


def test_other_carrier_words_leave_out_the_packs_own_operator_and_a_name_the_article_holds() -> None:
    text = "how do i check my korek balance"
    terms, units = analyse(text)
    snap = article_snapshot(["check your balance with *100#", "bring your number from korek or asiacell"])
    assert other_carrier_words(snap, text, units, terms, 0) == ["korek"]
    assert other_carrier_words(snap, text, units, terms, 1) == []  # the winning article names it
    own = article_snapshot([f"korek {topic}" for topic in ("balance check", "packages", "roaming", "app")])
    assert other_carrier_words(own, text, units, terms, 0) == []  # the pack is Korek's own


async def test_another_operators_balance_is_not_answered_with_an_article(default_pipeline: Any) -> None:
    ctx = default_pipeline
    for text, lang in (
        ("how can i see my asiacell credit", "en"),
        ("شكد باقي رصيد زين مالي", "ar"),
        ("chon balansy korek bzanm", "ar"),
        ("باڵانسی کۆڕەکەکەم چەندە", "ckb"),
        ("how do i apply for a new passport", "en"),
        ("شلون ادفع فاتورة المي", "ar"),
    ):
        answer = await ctx.pipeline.answer(text, lang)
        assert answer.kind != "article", (text, answer.article_id, answer.confidence)
    for text, lang, article in (
        ("شلون اعرف رصيدي", "ar", "balance-check"),
        ("الرصيد زين بس النت كلش بطيء", "ar", "internet-slow"),
        ("calls to asiacell numbers keep failing", "en", "call-problems"),
    ):
        answer = await ctx.pipeline.answer(text, lang)
        assert answer.kind == "article" and answer.article_id == article, (text, answer.article_id)


def test_the_packs_name_scope_message_and_company_name_make_an_operator_its_own() -> None:
    from nura_appliance.knowledge.lexicon import carrier_family, own_carriers

    assert own_carriers(["Asiacell support"]) == {"asiacell"}
    assert own_carriers(["خدمة عملاء آسياسيل"]) == {"asiacell"}  # the same operator in Arabic script
    assert own_carriers(["Zain"]) == {"zain"}  # in a name Zain is the operator
    assert own_carriers(["Sanad Telecom", "نجيب على أسئلة الخطوط"]) == frozenset()
    assert carrier_family("اسياسيل") == carrier_family("asiacell") == "asiacell"
    text = "شلون اعرف رصيد آسياسيل"
    terms, units = analyse(text)
    snap = article_snapshot(["معرفة الرصيد المتبقي", "الباقات الشهرية"])  # the articles never write the brand
    assert other_carrier_words(snap, text, units, terms, 0) == ["اسياسيل"]
    snap.own_carriers = own_carriers(["Asiacell"])
    assert other_carrier_words(snap, text, units, terms, 0) == []
    assert (
        other_carrier_words(article_snapshot(["معرفة الرصيد"]), text, units, terms, 0, own_carriers(["آسياسيل"])) == []
    )


async def test_a_held_out_pack_for_another_operator_answers_its_own_brand(data_dir: Path) -> None:
    """The default pack renamed for Asiacell (its articles never write the brand): "رصيد
    آسياسيل" is its own balance question, by the pack's name or by COMPANY_NAME alone."""
    for name, company, own in (
        ("Asiacell", "Sanad Telecom", True),  # the pack's name
        ("Support pack", "Asiacell", True),  # the COMPANY_NAME setting
        ("Support pack", "Sanad Telecom", False),  # neither: another operator
    ):
        pack = {**read_pack_file(default_pack_path()), "name": name}
        async with default_pack_context(data_dir / name / company, pack, COMPANY_NAME=company) as ctx:
            for text in OWN_BRAND_QUESTIONS:
                answer = await ctx.pipeline.answer(text, "ar")
                if own:
                    assert answer.kind == "article" and answer.article_id == "balance-check", (name, company, text)
                else:
                    assert answer.kind != "article", (name, company, text, answer.article_id)


async def test_a_pack_imported_while_serving_is_its_own_operator_from_the_first_message(
    default_pipeline: Any,
) -> None:
    """The pack's own names belong to its knowledge version: the first message after an import
    that renames the pack is decided with the new name (it was decided with the names of the
    version before, read before the article index was brought up to date)."""
    ctx = default_pipeline
    for text in OWN_BRAND_QUESTIONS:  # Sanad Telecom's desk: another operator's balance
        answer = await ctx.pipeline.answer(text, "ar")
        assert answer.kind != "article", (text, answer.article_id)
    await ctx.knowledge.load_pack({**read_pack_file(default_pack_path()), "name": "Asiacell"})
    for text in OWN_BRAND_QUESTIONS:
        answer = await ctx.pipeline.answer(text, "ar")
        assert answer.kind == "article" and answer.article_id == "balance-check", (text, answer.kind)
        # to Asiacell's desk the brand adds nothing: no unknown word that caps the confidence
        unbranded = await ctx.pipeline.answer(" ".join(w for w in text.split() if "سيل" not in w), "ar")
        assert answer.confidence == unbranded.confidence, (text, answer.confidence, unbranded.confidence)


async def test_company_name_changed_in_the_admin_settings_counts_from_the_next_message(data_dir: Path) -> None:
    """COMPANY_NAME is read at each message: an admin's change through ``PATCH
    /v1/admin/settings`` makes its operator the desk's own without a restart."""
    admin = {"Authorization": f"Bearer {TEST_API_KEY}"}
    async with running_app(make_settings(initialised_copy(data_dir))) as (_, client):
        for text in OWN_BRAND_QUESTIONS:
            answer = await new_session(client, text)
            assert answer["kind"] != "article", (text, answer["article_id"])
        changed = await client.patch("/v1/admin/settings", json={"company_name": "Asiacell"}, headers=admin)
        assert changed.status_code == 200, changed.text
        for text in OWN_BRAND_QUESTIONS:
            answer = await new_session(client, text)
            assert answer["kind"] == "article" and answer["article_id"] == "balance-check", (text, answer["kind"])
        await client.patch("/v1/admin/settings", json={"company_name": None}, headers=admin)
        answer = await new_session(client, OWN_BRAND_QUESTIONS[0])
        assert answer["kind"] != "article", answer["article_id"]  # back to Sanad Telecom


def test_another_operators_customer_service_and_another_services_hours_are_theirs() -> None:
    from nura_appliance.knowledge.lexicon import asks_for_support, service_facets, services_asked

    for text in ("رقم خدمة عملاء آسياسيل", "korek customer service number"):
        terms, units = analyse(text)
        assert asks_for_support(units)
        assert carrier_question(text, units, terms), text  # their desk's number, not someone on their network
        assert not carrier_numbers(text, units, terms), text
    terms, units = analyse("i cant call asiacell numbers")
    assert carrier_numbers("i cant call asiacell numbers", units, terms)  # still the other end of the line
    terms, units = analyse("what time does the bank open on saturday")
    facets = service_facets(units, terms)
    assert "hours" in facets and services_asked([root for root, _ in units], facets) == ["bank"]


async def test_another_desks_number_or_hours_get_no_article_the_desks_own_do(default_pipeline: Any) -> None:
    for text in ("what time does the bank open on saturday", "رقم خدمة عملاء آسياسيل", "korek customer service number"):
        answer = await default_pipeline.pipeline.answer(text, "ar")
        assert answer.kind != "article", (
            text,
            answer.article_id,
            answer.confidence,
        )  # operator2 answered two with its store hours (0.72, 0.71)
    for text, article in (
        ("what time do your shops open on saturday", "working-hours"),
        ("رقم خدمة العملاء", "working-hours"),
        ("i cant call asiacell numbers", "call-problems"),
    ):
        answer = await default_pipeline.pipeline.answer(text, "ar")
        assert answer.kind == "article" and answer.article_id == article, (text, answer.kind, answer.article_id)
