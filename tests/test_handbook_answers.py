"""Handbook answers end to end (issue 17): a handbook the team uploaded is found and answers, from
the CLI, the knowledge API and the widget's ``POST /v1/message`` — with an OpenAI-compatible server
(the real ``openai`` client against a scripted server on loopback: the fact must be in the prompt)
and with no LLM (the extractive answer must be the sentence or table row holding the fact).

The default knowledge pack stays loaded throughout, as on a real install: its 33 articles share
many words with the handbooks ("رقم", "باقة", "سعر") and must not crowd the handbook out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from ai_support import ScriptedOpenAI
from auth_helpers import bearer, staff_tokens
from conftest import initialised_copy, make_settings, start_app, stop_app
from handbook_support import ONE_ARTICLE_PACK, PRICE_TABLE, TWO_CHUNK
from typer.testing import CliRunner

from nura_appliance.app import create_app
from nura_appliance.cli.main import app as cli
from nura_appliance.paths import default_pack_path

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def test_two_chunk_handbook_is_found_first_by_the_cli(data_dir: Path, tmp_path: Path) -> None:
    code, out = invoke("knowledge", "import", str(default_pack_path()), "--data-dir", str(data_dir))
    assert code == 0, out
    (tmp_path / "hb").mkdir()
    (tmp_path / "hb" / "numbers.md").write_text(TWO_CHUNK, encoding="utf-8")
    code, out = invoke("knowledge", "ingest", str(tmp_path / "hb"), "--data-dir", str(data_dir))
    assert code == 0 and "numbers.md" in out, out
    code, out = invoke("knowledge", "search", "حجز رقم مميز", "--json", "--data-dir", str(data_dir))
    assert code == 0, out
    hits = json.loads(out)["hits"]
    assert hits[0]["kind"] == "chunk" and "2500" in hits[0]["text"], hits[:3]
    assert hits[0]["doc"] == "numbers.md" and hits[0]["title"] == "الأرقام المميزة"

    code, out = invoke("knowledge", "search", "كم سعر الرقم الذهبي", "--json", "--data-dir", str(data_dir))
    assert json.loads(out)["hits"][0]["text"].count("50000") == 1


async def _app(data_dir: Path, **overrides: Any) -> tuple[Any, httpx.AsyncClient]:
    """An app on a copy of a first start's data dir (the default pack imported and indexed: these
    tests are about the handbook, not the first start), started with ``overrides``."""
    folder = initialised_copy(data_dir)
    settings = make_settings(folder, BACKGROUND_JOBS_ENABLED=False, LLM_STREAM=False, **overrides)
    app = create_app(settings)
    await start_app(app)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)), base_url="http://testserver"
    )
    return app, client


async def _upload(app: Any, client: httpx.AsyncClient, name: str, text: str) -> dict[str, str]:
    """Upload one handbook as an admin and wait for its ingestion run to finish; returns the
    admin's auth header."""
    admin = bearer((await staff_tokens(app, client))["admin"])
    resp = await client.post(
        "/v1/knowledge/upload", files={"file": (name, text.encode(), "text/markdown")}, headers=admin
    )
    assert resp.status_code == 202, resp.text
    run_id = resp.json()["run_id"]
    for _ in range(400):
        runs = (await client.get("/v1/knowledge/ingestions", headers=admin)).json()["runs"]
        run = next(r for r in runs if r["id"] == run_id)
        if run["status"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.05)
    assert run["status"] == "done", run
    return admin


async def _ask(client: httpx.AsyncClient, text: str, lang: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": text, "customer_id": "cust-hb", "channel": "web"}
    if lang:
        body["lang"] = lang
    resp = await client.post("/v1/message", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture
def scripted() -> Any:
    server = ScriptedOpenAI()
    yield server
    server.stop()


@pytest.fixture
async def with_llm(data_dir: Path, scripted: ScriptedOpenAI) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app, client = await _app(
        data_dir, OPENAI_BASE_URL=scripted.base_url, NURA_LLM_PROVIDER="openai", LLM_TIMEOUT_SECONDS=30
    )
    try:
        yield app, client
    finally:
        await client.aclose()
        await stop_app(app)


@pytest.fixture
async def offline(data_dir: Path) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app, client = await _app(data_dir, NURA_LLM_PROVIDER="off")
    try:
        yield app, client
    finally:
        await client.aclose()
        await stop_app(app)


def _system_prompt(server: ScriptedOpenAI) -> str:
    calls = server.chat_requests()
    assert calls, "the LLM was not called"
    return str(calls[-1]["body"]["messages"][0]["content"])


async def test_two_chunk_handbook_reaches_the_llm_prompt(
    with_llm: tuple[Any, httpx.AsyncClient], scripted: ScriptedOpenAI
) -> None:
    app, client = with_llm
    admin = await _upload(app, client, "numbers.md", TWO_CHUNK)
    found = await client.get("/v1/knowledge/search", params={"q": "حجز رقم مميز", "k": 5}, headers=admin)
    first = found.json()["hits"][0]
    assert first["kind"] == "chunk" and "2500" in first["text"], found.json()["hits"][:3]

    for question in ("هل يمكنني حجز رقم مميز؟", "ما هي رسوم حجز الرقم المميز"):
        scripted.requests.clear()
        scripted.push({"text": "نعم، رسوم حجز الرقم المميز 2500 دينار تدفع مرة واحدة [1]."})
        answer = await _ask(client, question)
        system = _system_prompt(scripted)
        assert "2500" in system and "الأرقام المميزة" in system, system  # the passage with its heading
        assert answer["kind"] == "rag" and answer["source"] == "openai", answer
        assert "2500" in answer["response"] and answer["source_doc"] == "numbers.md"


async def test_two_chunk_handbook_answers_offline_with_the_sentence(offline: tuple[Any, httpx.AsyncClient]) -> None:
    app, client = offline
    await _upload(app, client, "numbers.md", TWO_CHUNK)
    answer = await _ask(client, "ما هي رسوم حجز الرقم المميز")
    assert answer["kind"] == "rag" and answer["source"] == "rag", answer
    assert "2500" in answer["response"], answer["response"]
    # the sentence that holds the fee, not the chunk's first lines
    assert "من أي فرع" not in answer["response"], answer["response"]
    assert answer["sources"][0]["title"] == "الأرقام المميزة" and answer["source_doc"] == "numbers.md"
    booking = await _ask(client, "هل يمكنني حجز رقم مميز؟")
    assert booking["kind"] == "rag" and "حجز" in booking["response"], booking

    # Not in the handbook: never a handbook passage (what the article tier does is its own matter).
    unrelated = await _ask(client, "كم سعر صرف الدولار اليوم؟")
    assert unrelated["kind"] != "rag" and unrelated["source"] != "rag", unrelated
    # One of the question's two words in the handbook (a hotel *booking*; relevance 0.81, rarest
    # word held): not a reason to quote the special-number paragraph.
    hotel = await _ask(client, "حجز فندق")
    assert hotel["kind"] != "rag" and hotel["source"] != "rag", hotel


async def test_named_product_is_answered_with_its_table_row(
    with_llm: tuple[Any, httpx.AsyncClient], scripted: ScriptedOpenAI
) -> None:
    app, client = with_llm
    admin = await _upload(app, client, "call-centre.md", PRICE_TABLE)
    found = await client.get("/v1/knowledge/search", params={"q": "كم سعر باقة المريخ؟", "k": 5}, headers=admin)
    first = found.json()["hits"][0]
    assert first["kind"] == "chunk" and "المريخ" in first["text"] and "27000" in first["text"], found.json()
    scripted.push({"text": "سعر باقة المريخ 27000 دينار شهرياً [1]."})
    answer = await _ask(client, "كم سعر باقة المريخ؟")
    system = _system_prompt(scripted)
    assert "27000" in system and "المريخ" in system
    assert answer["source"] == "openai" and "27000" in answer["response"], answer


async def test_named_product_offline_answer_is_the_row(offline: tuple[Any, httpx.AsyncClient]) -> None:
    """The issue's setting: the operator's own one-article pack and its call-centre handbook."""
    app, client = offline
    admin = await _upload(app, client, "call-centre.md", PRICE_TABLE)
    resp = await client.post("/v1/knowledge/packs/import", json=ONE_ARTICLE_PACK, headers=admin)
    assert resp.status_code == 200, resp.text
    answer = await _ask(client, "كم سعر باقة المريخ؟")
    assert answer["kind"] == "rag", answer
    text = answer["response"]
    assert "27000" in text and "المريخ" in text, answer["response"]
    assert "10000" not in text and "45000" not in text, "the row, not the whole table"
    apn = await _ask(client, "ما هي إعدادات APN الصحيحة؟")
    assert apn["kind"] == "rag" and "najma.net" in apn["response"], apn
    count = await _ask(client, "كم عدد المشتركين؟")
    assert count["kind"] == "rag" and "4.2" in count["response"], count


async def test_a_question_in_another_language_reaches_the_arabic_handbook(
    with_llm: tuple[Any, httpx.AsyncClient], scripted: ScriptedOpenAI
) -> None:
    """The pack's parallel article lines bridge English words to the Arabic handbook's ("fee" →
    "رسوم", "number" → "رقم"), and a confident article goes to the LLM with the handbook passage
    beside it: the fee reaches the prompt."""
    app, client = with_llm
    await _upload(app, client, "numbers.md", TWO_CHUNK)
    hits = (await app.ctx.nura.retriever.search_lists("what is the fee for a number", "en", k=2))["chunk"]
    assert "2500" in hits[0].text and hits[0].coverage > 0.5, hits
    scripted.push({"text": "The fee is 2500 dinars [1]."})
    answer = await _ask(client, "what is the fee for a number", "en")
    system = _system_prompt(scripted)
    assert "2500" in system, system
    assert "2500" in answer["response"], answer
    assert answer["article_id"], answer  # the article the article tier was confident in, kept


CALLER_TUNES = """# نغمات الانتظار

لتفعيل نغمة الانتظار اطلب *321# واختر النغمة من القائمة. رسوم خدمة نغمة الانتظار 250 دينار أسبوعياً.
"""


async def test_a_confident_article_is_followed_by_what_the_handbook_adds_offline(
    offline: tuple[Any, httpx.AsyncClient],
) -> None:
    """The default pack's article on content services answers "how do I switch on a caller tune"
    confidently but has no code; the handbook has it: offline, the article's answer comes first,
    then the handbook's sentence with its code, introduced as found in the handbook."""
    app, client = offline
    await _upload(app, client, "tunes.md", CALLER_TUNES)
    answer = await _ask(client, "شلون افعل نغمة انتظار", "ar")
    assert answer["kind"] == "rag" and answer["article_id"], answer
    assert "*321#" in answer["response"] and "دليل الخدمة" in answer["response"], answer["response"]
    assert [s["kind"] for s in answer["sources"]] == ["article", "chunk"], answer["sources"]


def test_the_quote_model_vetoes_what_the_out_of_scope_bank_knows() -> None:
    """``quote_probability``: the same passage evidence is quotable for a question the article
    tier's out-of-scope bank does not know and vetoed for one it knows ("how do i pay my electricity
    bill online" and a handbook's bill payment passage: background margin 0.27 on the dev set)."""
    from nura_appliance.ai.grounded import QUOTE_VETO, quote_probability
    from nura_appliance.ai.prompts import Passage

    bill = Passage("chunk", "1", "Bills", "Pay your bill online in the app", 0.82, coverage=0.55, rare=1.0, cosine=0.12)
    assert quote_probability(bill, -0.05) >= QUOTE_VETO > quote_probability(bill, 0.27)
    assert quote_probability(bill, None) == quote_probability(bill, 0.0)  # no article tier verdict
    held_all = Passage("chunk", "2", "الباقات", "سفين 10,000", 0.92, coverage=1.0, rare=0.86, cosine=0.14)
    assert quote_probability(held_all, 0.2) >= QUOTE_VETO  # every word held: the bank's nearness alone does not veto
    lone = Passage("chunk", "3", "", "", 0.84, coverage=0.74, rare=0.86, cosine=0.1, lone=True)
    assert quote_probability(lone, 0.0) < quote_probability(
        Passage("chunk", "3", "", "", 0.84, coverage=0.74, rare=0.86, cosine=0.1), 0.0
    )


APP_HANDBOOK = """# حساب التطبيق

إذا نسيت كلمة المرور ولم يصلك رمز التحقق، اضغط «نسيت كلمة المرور» في التطبيق وسيصلك رمز جديد برسالة خلال دقيقة.

## Forgotten password

If you forgot your password and the code never arrives, tap "Forgot password" in the app and a new code arrives by SMS within a minute.
"""


async def test_another_services_password_is_not_quoted_from_the_handbook(
    offline: tuple[Any, httpx.AsyncClient],
) -> None:
    """The article tier finds that "i forgot my facebook password …" names another service
    (``Decision.signals["other_services"]``); the handbook's own password passage holds the
    question's words, not its answer, and is not quoted — while our own app's question still is."""
    app, client = offline
    await _upload(app, client, "app.md", APP_HANDBOOK)
    ours = await _ask(client, "i forgot my password and the code never arrives", "en")
    assert ours["kind"] == "rag" and "Forgot password" in ours["response"], ours
    theirs = await _ask(client, "i forgot my facebook password and the code never arrives", "en")
    assert theirs["kind"] != "rag" and theirs["source"] != "rag", theirs


async def _zagros(app: Any, client: httpx.AsyncClient) -> None:
    """The evaluation's Zagros install: the operator2 pack and the call-centre handbook."""
    root = Path(__file__).resolve().parents[1] / "knowledge" / "eval"
    handbook = (root / "handbooks" / "zagros" / "docs" / "zagros-callcentre-handbook.md").read_text(encoding="utf-8")
    admin = await _upload(app, client, "zagros-callcentre-handbook.md", handbook)
    pack = json.loads((root / "operator2" / "pack.json").read_text(encoding="utf-8"))
    resp = await client.post("/v1/knowledge/packs/import", json=pack, headers=admin)
    assert resp.status_code == 200, resp.text


async def test_a_value_the_confident_article_lacks_reaches_the_llm_from_any_ranked_chunk(
    with_llm: tuple[Any, httpx.AsyncClient], scripted: ScriptedOpenAI
) -> None:
    """ "fraud reporting number": the article tier is confident in the spam-and-scam article; the
    handbook's internal numbers passage (the call centre from other networks, 0750 445 5000, the
    complaints line 4499 — numbers the article lacks) is ranked third and holds one of the
    question's three words. With an LLM that passage goes into the prompt beside the article,
    after it and under its heading, and the LLM may quote it; told to decline, a rejected or
    declined answer leaves the article's own."""
    app, client = with_llm
    await _zagros(app, client)
    scripted.push({"text": "OK [1]."})  # a reply the guard rejects: the article answers
    answer = await _ask(client, "fraud reporting number", "en")
    system = _system_prompt(scripted)
    context = system.split("Context:", 1)[1]
    blocks = context.strip().split("\n\n[")
    assert blocks[0].startswith("[1] (Scam and nuisance calls"), "the confident article comes first"
    n = next(int(b.split("]", 1)[0].lstrip("[")) for b in blocks if "0750 445 5000" in b and "4499" in b)
    assert n > 1 and "أرقام الخدمة الداخلية" in blocks[n - 1], blocks[n - 1]  # under its heading
    assert "If the context does not answer the question" in system  # told to decline
    assert answer["kind"] == "article" and answer["article_id"] == "spam-scam", answer

    scripted.push({"text": f"To follow up a complaint, call 4499 [{n}]."})
    quoted = await _ask(client, "fraud reporting number", "en")
    assert quoted["kind"] == "rag" and "4499" in quoted["response"], quoted
    assert quoted["source_doc"] == "zagros-callcentre-handbook.md", quoted

    scripted.requests.clear()
    scripted.push({"text": app.ctx.nura.pipeline.retrieval.scope_message("en")})
    declined = await _ask(client, "fraud reporting number", "en")
    assert scripted.chat_requests(), "the LLM was asked"
    assert declined["kind"] == "article" and declined["article_id"] == "spam-scam", declined


async def test_a_value_question_after_the_article_offline_quotes_the_line_that_answers(
    offline: tuple[Any, httpx.AsyncClient],
) -> None:
    """The same question with no LLM. Round 8: the internal numbers passage held one of the
    question's three words ("fraud" reached no Arabic word), so it was not quoted and the article
    answered alone. Since round 10 "fraud" meets "الاحتيال" (the profile and policy word groups):
    the article is followed by the handbook's own fraud-reporting line — that line, not the
    passage's other numbers."""
    app, client = offline
    await _zagros(app, client)
    answer = await _ask(client, "fraud reporting number", "en")
    assert answer["kind"] == "rag" and answer["article_id"] == "spam-scam", answer
    handbook = answer["response"].split("Here is what I found in our service handbook", 1)[1]
    assert "4488" in handbook, answer["response"]
    assert "0750 445 5000" not in handbook and "4499" not in handbook, answer["response"]


ZONES = """# 4. الرسوم والأجور

## باقة التجوال اليومية حسب المنطقة

| المنطقة | الدول | السعر اليومي | يشمل |
|---|---|---|---|
| المنطقة 1 | تركيا، إيران، الأردن | 6,500 دينار | 500 MB + 10 دقائق |
| المنطقة 2 | دول الاتحاد الأوروبي، بريطانيا | 9,500 دينار | 1 GB + 30 دقيقة |
| المنطقة 3 | أمريكا، كندا، أستراليا | 16,000 دينار | 1 GB + 15 دقيقة |
"""


async def test_a_row_of_another_numbered_item_is_not_quoted_offline(offline: tuple[Any, httpx.AsyncClient]) -> None:
    """The question names its thing by a number ("zone 4") the passage lacks: the zone 3 row is
    another pass, and quoting its price after the roaming article was a confident wrong answer.
    The zone the handbook has is still answered with its row."""
    app, client = offline
    await _upload(app, client, "zones.md", ZONES)
    missing = await _ask(client, "كم سعر باقة التجوال اليومية المنطقة 4", "ar")
    assert not any(s["kind"] == "chunk" for s in missing["sources"]), missing["sources"]
    assert "دليل الخدمة" not in missing["response"], missing["response"]
    known = await _ask(client, "كم سعر باقة التجوال اليومية المنطقة 2", "ar")
    assert known["kind"] == "rag" and "9,500" in known["response"], known["response"]
    assert "16,000" not in known["response"] and "6,500" not in known["response"], known["response"]


def test_another_operator_the_passage_does_not_name_is_another_company() -> None:
    """``names_other_operator``: a question about Korek's subscribers or Zain's APN is not answered
    by the desk's own count or APN; the desk's own operator (COMPANY_NAME) and another operator as
    the other end of the customer's line are this desk's questions."""
    from nura_appliance.ai.grounded import names_other_operator

    own_count = "عدد المشتركين: 6.4 مليون مشترك فعّال"
    assert names_other_operator("كم عدد مشتركي كورك", own_count)
    assert names_other_operator("how many subscribers does zain iraq have", "Subscribers: 6.4 million")
    assert not names_other_operator("كم عدد المشتركين", own_count)
    assert not names_other_operator("كم عدد مشتركي كورك", "Korek: 9 مليون مشترك")  # the passage names it
    assert not names_other_operator("كم عدد مشتركي آسياسيل", own_count, company="Asiacell")  # the desk's own
    # calls to another operator's numbers: the desk's own tariff answers it
    assert not names_other_operator("ما اكدر اتصل على ارقام اسياسيل", "إذا لم تستطع الاتصال بالشبكات الأخرى")


async def test_another_operators_figures_are_not_quoted_from_the_handbook(
    offline: tuple[Any, httpx.AsyncClient],
) -> None:
    """The question "كم عدد مشتركي كورك" holds "عدد" and "مشترك" of the handbook's own subscriber count (relevance
    0.90 on the Zagros handbook): another company's figure, never quoted; our own still is."""
    app, client = offline
    await _upload(app, client, "call-centre.md", PRICE_TABLE)
    ours = await _ask(client, "كم عدد المشتركين؟")
    assert ours["kind"] == "rag" and "4.2" in ours["response"], ours
    theirs = await _ask(client, "كم عدد مشتركي كورك")
    assert theirs["kind"] != "rag" and theirs["source"] != "rag", theirs
    assert "4.2" not in theirs["response"], theirs


BRANCHES = """# فروعنا

| الفرع | العنوان | الدوام |
|---|---|---|
| البصرة | شارع الجزائر، مجاور مصرف الرشيد | 8:00 – 20:00 |
| الكوت | شارع المحافظة | 8:00 – 17:00 |
| السماوة | شارع السوق المسقف | 8:00 – 17:00 |
"""


def test_addresses_are_where_a_thing_is_not_what_it_is() -> None:
    """``values.without_addresses``: the value of a row's address field and a landmark clause."""
    from nura_appliance.knowledge.values import without_addresses

    row = "المدينة: كركوك، العنوان: شارع القدس، عمارة النخيل، أوقات الدوام: 9:00–20:00، هاتف الفرع: 0780 445 6601"
    rest = without_addresses(row)
    assert "عمارة" not in rest and "القدس" not in rest
    assert "كركوك" in rest and "9:00–20:00" in rest and "0780 445 6601" in rest
    assert "رزگاري" not in without_addresses("مركز الصيانة: أربيل، شارع 60 متر، قرب مستشفى رزگاري.")
    assert without_addresses("عدد الأبراج: 4,200 برج") == "عدد الأبراج: 4,200 برج"


async def test_a_place_named_only_in_an_address_is_a_neighbour_not_the_place(
    offline: tuple[Any, httpx.AsyncClient],
) -> None:
    """The question "متى يفتح مصرف الرشيد في البصرة" holds every word of the Basra branch row (relevance 0.92 on
    the Nahr guide), "مصرف الرشيد" only in its address: the bank's hours are not the branch's.
    A branch's own hours are answered."""
    app, client = offline
    await _upload(app, client, "branches.md", BRANCHES)
    bank = await _ask(client, "متى يفتح مصرف الرشيد في البصرة")
    assert bank["kind"] != "rag" and bank["source"] != "rag", bank
    assert "8:00 – 20:00" not in bank["response"], bank
    ours = await _ask(client, "متى يفتح فرع السماوة")
    assert ours["kind"] == "rag" and "8:00 – 17:00" in ours["response"], ours


def test_a_question_asking_where_may_be_answered_by_the_address() -> None:
    """``named_beside`` reads the addresses out only when the question asks for something else
    than a place: "which branch is beside the Rasheed bank" is about the address."""
    from nura_appliance.ai.grounded import named_beside
    from nura_appliance.ai.prompts import Passage

    row = Passage(
        "chunk",
        "1",
        "فروعنا",
        "الفرع: البصرة، العنوان: شارع الجزائر، مجاور مصرف الرشيد، الدوام: 8:00 – 20:00",
        0.9,
        words={"مصرف": 0.82, "رشيد": 0.82, "بصر": 0.7},
    )
    units = {"مصرف": frozenset({"مصرف"}), "رشيد": frozenset({"رشيد"}), "بصر": frozenset({"بصر"})}
    assert named_beside("متى يفتح مصرف الرشيد في البصرة", row, units)
    assert not named_beside("وين الفرع اللي مجاور مصرف الرشيد في البصرة", row, units)
    branch = Passage("chunk", "1", "فروعنا", row.text, 0.9, words={"فرع": 0.1, "بصر": 0.7})
    assert not named_beside("فرع البصرة متى يفتح", branch, {"فرع": frozenset({"فرع"}), "بصر": frozenset({"بصر"})})


def test_a_named_price_is_not_answered_by_a_passage_without_one() -> None:
    """``values.priceless``: "كم سعر جهاز سامسونج A05" and the line that lends a Samsung A05 during
    repairs (relevance 0.91 on the Zagros handbook) are about the device, not its price; "بكم" alone
    also asks "in how many" and does not count."""
    from nura_appliance.knowledge.values import priceless

    lent = "جهاز بديل مؤقت (Samsung A05) يُعطى لمشتركي Platinum فقط خلال فترة الصيانة."
    assert priceless("كم سعر جهاز سامسونج A05 عندكم", lent)
    assert priceless("how much does the samsung a05 cost", lent)
    assert not priceless("كم سعر الراوتر", "راوتر Zagros Home 5G بدون التزام: 95,000 دينار")
    assert not priceless("شركة نهر بكم محافظة تشتغل", "تخدم الشركة أكثر من 2.1 مليون مشترك في تسع محافظات")


async def test_a_device_line_without_its_price_is_not_quoted_for_the_price(
    offline: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = offline
    await _upload(app, client, "repairs.md", REPAIRS)
    price = await _ask(client, "كم سعر جهاز سامسونج A05 عندكم")
    assert price["kind"] != "rag" and "Samsung A05" not in price["response"], price
    which = await _ask(client, "شنو الجهاز البديل اللي تعطوه وقت الصيانة")
    assert which["kind"] == "rag" and "Samsung A05" in which["response"], which


REPAIRS = """# الصيانة

- الأجهزة المشتراة من فروعنا عليها ضمان 18 شهراً من تاريخ الشراء.
- جهاز بديل مؤقت (Samsung A05) يُعطى لمشتركي Platinum فقط خلال فترة الصيانة.
"""


def test_a_passage_lone_only_by_word_holds_the_topic_and_the_value() -> None:
    """``valued_topic`` (round 12): "رقم قسم الاحتيال" — the internal numbers passage holds
    "الاحتيال" by word and "رقم" by its phone number; beside the confident scam article (which
    holds the same rarest word) it is not a passage about something else. Without the value, or
    holding a commoner word than the article's, it stays lone."""
    from nura_appliance.ai.grounded import valued_topic
    from nura_appliance.ai.prompts import Passage

    numbers = "- الإبلاغ عن الاحتيال: 4488.\n- متابعة الشكاوى: 4499."
    scam = Passage("article", "spam-scam", "الاحتيال", "للإبلاغ عن رقم محتال …", 0.91, rare=1.0)
    held = Passage("chunk", "1", "أرقام", numbers, 0.88, rare=1.0, words={"احتيال": 1.0}, lone=True, by_value=0.3)
    assert valued_topic(held, scam)
    assert not valued_topic(replace(held, by_value=0.0), scam)  # the asking word is not held
    assert not valued_topic(replace(held, rare=0.5, words={"رقم": 0.5}), scam)  # a commoner word
    assert not valued_topic(replace(held, lone=False), scam)


async def test_a_lone_by_word_line_with_the_value_follows_the_confident_article_offline(
    offline: tuple[Any, httpx.AsyncClient],
) -> None:
    """Round 12: "رقم قسم الاحتيال" got the scam article alone (the internal numbers passage held
    "الاحتيال" by word and "رقم" only by its number: lone). Now the article is followed by the
    handbook's fraud line — that line, not the passage's other numbers."""
    app, client = offline
    await _zagros(app, client)
    answer = await _ask(client, "رقم قسم الاحتيال", "ar")
    assert answer["kind"] == "rag" and answer["article_id"] == "spam-scam", answer
    handbook = answer["response"].split("هذا ما وجدته في دليل الخدمة", 1)[1]
    assert "4488" in handbook and "4499" not in handbook and "0750" not in handbook, answer["response"]


async def test_a_customers_verb_finds_the_handbooks_verbal_noun_offline(offline: tuple[Any, httpx.AsyncClient]) -> None:
    """Round 13: "كم نجمة احصل لما اعبي الف دينار" — the handbook writes "تعبئة" (the verbal noun)
    where the customer writes "اعبي" (I top up); the verb now meets it by its root and the stars
    programme's line answers. "متى يطلق الجيل السادس" meets "إطلاق الجيل الخامس" the same way and is
    still not answered: the sixth generation is another item."""
    app, client = offline
    await _zagros(app, client)
    answer = await _ask(client, "كم نجمة احصل لما اعبي الف دينار", "ar")
    assert answer["kind"] == "rag" and "نجمة واحدة" in answer["response"], answer
    assert (await _ask(client, "متى يطلق الجيل السادس", "ar"))["kind"] != "rag"
