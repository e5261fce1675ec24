"""The language layer through the real message API on the default pack: Sorani answered in
Sorani, Arabizi answered in Arabic, ZWNJ/ZWJ text accepted, dialect anger handed off, outage
complaints never refused, bad input answered clearly, packs checked for undeclared languages,
and indexes rebuilt when the text analysis changes."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from auth_helpers import bearer, staff_tokens
from conftest import make_settings, new_session

from nura_appliance.context import build_context, load_default_knowledge
from nura_appliance.conversation.messages import MESSAGES
from nura_appliance.knowledge.normalize import ANALYSIS_VERSION, index_terms
from nura_appliance.knowledge.service import install_knowledge, needs_reindex
from nura_appliance.paths import default_pack_path

SORANI = re.compile("[ڕڵێۆەھ]")
LATIN = re.compile("[A-Za-z]")


def pack() -> dict[str, Any]:
    return json.loads(default_pack_path().read_text(encoding="utf-8"))


async def post(client: Any, first: dict[str, Any], text: str) -> dict[str, Any]:
    resp = await client.post(
        "/v1/message",
        json={"session_id": first["session_id"], "message": text},
        headers={"X-Session-Token": first["session_token"]},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_a_sorani_message_gets_a_sorani_answer(client: Any) -> None:
    answer = await new_session(client, "باڵانسەکەم چۆن بزانم؟")
    assert answer["lang"] == "ckb" and answer["kind"] == "article" and answer["article_id"] == "balance-check"
    body = next(a for a in pack()["articles"] if a["id"] == "balance-check")["body"]["ckb"]
    assert answer["response"] == body and SORANI.search(answer["response"])
    # Out of scope: the refusal is the pack's Sorani scope message, not Kurmanji in Latin letters.
    refusal = await new_session(client, "ئەمڕۆ کەشوهەوا چۆنە لە هەولێر؟")
    assert refusal["lang"] == "ckb" and refusal["kind"] == "out_of_scope"
    assert refusal["response"] == pack()["scope_message"]["ckb"] and not LATIN.search(refusal["response"])
    # The old Sorani spelling (ه + ZWNJ for ە) is Sorani too, and the topic tree speaks Sorani.
    old_style = await new_session(client, "ده‌مه‌وێت قسه‌ له‌گه‌ڵ كارمه‌ند بكه‌م")
    assert old_style["lang"] == "ckb" and old_style["kind"] == "handoff"
    assert old_style["response"] == MESSAGES["handoff_started"]["ckb"]
    tree = (await client.get("/v1/topic-tree?lang=ckb")).json()
    assert tree["tree"]["label"] == "هەموو بابەتەکان"


async def test_the_sorani_tab_decides_what_the_text_cannot(client: Any) -> None:
    # One Sorani word typed on an Arabic keyboard has no Sorani letter: the widget's tab decides.
    answer = await new_session(client, "باقات", lang="ckb")
    assert answer["lang"] == "ckb"
    arabic = await new_session(client, "شلون اعرف رصيدي", lang="ckb")
    assert arabic["lang"] == "ar"  # a clearly Arabic sentence stays Arabic on the Sorani tab


async def test_arabizi_is_answered_in_arabic(client: Any) -> None:
    answer = await new_session(client, "shlon a3ref rasidi")
    assert answer["lang"] == "ar" and answer["article_id"] == "balance-check"
    assert not LATIN.search(answer["response"].replace("Sanad App", "").replace("sanad.example", ""))
    person = await new_session(client, "areed a7chi wiya mowadhaf")
    assert person["kind"] == "handoff" and person["handoff_reason"] == "explicit_request"


async def test_joiners_and_marks_are_ordinary_text(client: Any) -> None:
    for text in (
        "ده\u200cمه\u200cوێت پاکێجی مانگانە بکڕم",  # ZWNJ inside Sorani words
        "👨\u200d👩\u200d👧 family package prices?",  # ZWJ emoji sequence
        "\u200fالنت بطيء\u200e",  # direction marks from a phone keyboard
    ):
        answer = await new_session(client, text)
        assert answer["response"], text


async def test_characters_that_break_storage_are_refused(client: Any) -> None:
    resp = await client.post(
        "/v1/message", content=b'{"message": "hi \\ud83d there"}', headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "invalid_characters"
    assert "U+D83D" in error["message"] or "lone surrogate" in error["message"]  # named by the JSON decoder


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("خدمتكم زبالة", "ما عندكم ذمة"),  # Iraqi
        ("شو هالخدمة، قرفتونا", "بدي ألغي الخط"),  # Levantine
        ("الخدمة تعبانة", "حسبي الله عليكم"),  # Gulf
        ("انتو نصابين", "حرام عليكم بجد"),  # Egyptian
        ("خزمەتگوزارییەکەتان زۆر خراپە", "ئێوە بێ ویژدانن"),  # Sorani
        ("xizmeta we pir xirab e", "şerm e"),  # Kurmanji
        ("ma 3indkum dhimma", "khidmatkum zbala"),  # Arabizi
        ("this is rubbish", "three days without internet, fix it"),  # English
    ],
)
async def test_dialect_insults_twice_hand_off(client: Any, first: str, second: str) -> None:
    answer = await new_session(client, first)
    assert answer["status"] == "bot" and answer["kind"] != "out_of_scope", answer
    again = await post(client, answer, second)
    assert again["status"] == "pending_handoff" and again["handoff_reason"] == "negative_sentiment", again


async def test_an_outage_complaint_is_never_refused(client: Any) -> None:
    scope = set(pack()["scope_message"].values())
    for text in (
        "خدمتكم زبالة… ثلاث أيام بدون نت",
        "three days without internet in my area",
        "سێ ڕۆژە ئینتەرنێت نییە",
        "ma 3indkum dhimma, sar yomein bala net",
    ):
        answer = await new_session(client, text)
        assert answer["kind"] != "out_of_scope" and answer["response"] not in scope, answer


async def test_digits_or_emoji_alone_get_a_clear_answer_not_an_article(client: Any) -> None:
    for text in ("👍👍👍", "123 456 789", "07701234567", "?!...", "💔😡"):
        answer = await new_session(client, text)
        assert answer["kind"] == "fallback" and answer["article_id"] is None, text
        assert answer["response"] == MESSAGES["no_words"]["ar"]


async def test_mixed_scripts_and_long_pastes(client: Any) -> None:
    mixed = await new_session(client, "النت slow جدا today")
    assert mixed["lang"] == "ar" and mixed["article_id"] == "internet-slow"  # an Arabic speaker's message
    paste = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. " * 60)[:4000]
    answer = await new_session(client, paste)
    assert answer["kind"] in ("out_of_scope", "ambiguous", "fallback") and answer["article_id"] is None


async def test_a_pack_with_an_undeclared_language_is_refused(app: Any, client: Any) -> None:
    admin = bearer((await staff_tokens(app, client))["admin"])
    undeclared = pack()
    undeclared["languages"] = ["ar", "ku", "en"]  # still carries ckb texts
    resp = await client.post("/v1/knowledge/packs/import", json=undeclared, headers=admin)
    assert resp.status_code == 422
    message = resp.json()["error"]["message"]
    assert "'ckb'" in message and "does not declare" in message
    unknown = copy.deepcopy(undeclared)
    unknown["languages"] = ["ar", "fr"]
    resp = await client.post("/v1/knowledge/packs/import", json=unknown, headers=admin)
    assert resp.status_code == 422 and "unknown language 'fr'" in resp.json()["error"]["message"]


async def test_indexes_are_rebuilt_when_the_text_analysis_changes(data_dir: Path) -> None:
    ctx = build_context(make_settings(data_dir))
    try:
        await load_default_knowledge(ctx)
        await install_knowledge(ctx, background_reindex=False)
        assert await needs_reindex(ctx) is False  # a fresh database records the analysis it used

        def age(conn: Any) -> None:
            # What a database indexed by an older normaliser looks like: another analysis version
            # and FTS rows with other terms.
            conn.execute("UPDATE kb_meta SET value = 'old' WHERE key = 'text_analysis'")
            conn.execute("UPDATE kb_fts SET text = 'stale' WHERE kind = 'article' AND field = 'title'")

        await ctx.db.write(age)
        assert await needs_reindex(ctx) is True
        await install_knowledge(ctx, background_reindex=False)
        assert await needs_reindex(ctx) is False

        def titles(conn: Any) -> tuple[str, list[str]]:
            version = conn.execute("SELECT value FROM kb_meta WHERE key = 'text_analysis'").fetchall()[0]["value"]
            rows = conn.execute("SELECT text FROM kb_fts WHERE field = 'title' AND ref = 'balance-check'")
            return version, sorted(r["text"] for r in rows)

        version, rebuilt = await ctx.db.read(titles)
        article = next(a for a in pack()["articles"] if a["id"] == "balance-check")
        assert version == ANALYSIS_VERSION
        assert rebuilt == sorted(" ".join(index_terms(t)) for t in article["title"].values())
    finally:
        ctx.close()
