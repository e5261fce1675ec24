"""Questions about the bot itself (conversation.about_bot): read in every language, answered with
what the bot is — never with an article that shares a word with them ("اسمك" and the
line-ownership article's "اسم"), never as a request for a person."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import default_pack_context

from nura_appliance.conversation.messages import message
from nura_appliance.conversation.signals import about_the_bot, wants_human
from nura_appliance.knowledge.pack import read_pack_file

OPERATOR2 = Path(__file__).resolve().parent.parent / "knowledge" / "eval" / "operator2" / "pack.json"

ABOUT_THE_BOT = [
    ("شنو اسمك", "ar"),
    ("وش اسمك؟", "ar"),
    ("اسمك ايه؟", "ar"),
    ("انت حقيقي ولا روبوت؟", "ar"),
    ("من صنعك؟", "ar"),
    ("ناوت چییە", "ckb"),
    ("تۆ ڕۆبۆتیت؟", "ckb"),
    ("navê te çi ye?", "ku"),
    ("tu çawa yî?", "ku"),
    ("what's your name", "en"),
    ("are you a real person or a machine", "en"),
    ("how old are you", "en"),
    ("shinu ismak", "ar"),
]


@pytest.mark.parametrize(("text", "lang"), ABOUT_THE_BOT)
def test_questions_about_the_bot_are_read_in_every_language(text: str, lang: str) -> None:
    assert about_the_bot(text)
    assert not wants_human(text, lang)


@pytest.mark.parametrize(
    "text",
    [
        "does the line have to be in your name",  # an attribute in a longer question
        "كيف احول الخط على اسمي",  # my name, not yours
        "الخط باسمك لو باسم ابوك؟",
        "what is your number",
        "are you open today",
        "انت تقدر تساعدني؟",
        "who made this app",
        "how are you charging me this much",
        "شلونك يا زين شنو الباقات",  # a greeting before a question
        "ناوی هێڵەکە بگۆڕم",
    ],
)
def test_questions_to_the_desk_are_not_about_the_bot(text: str) -> None:
    assert not about_the_bot(text)


async def test_the_operator2_pack_answers_them_with_what_the_bot_is(data_dir: Path) -> None:
    """On the operator2 pack "شنو اسمك" was the line-ownership article at 0.79."""
    async with default_pack_context(data_dir, read_pack_file(OPERATOR2)) as ctx:
        for text, lang in ABOUT_THE_BOT:
            answer = await ctx.pipeline.answer(text, lang)
            assert answer.kind == "rule" and answer.article_id is None, (text, answer.kind, answer.article_id)
            assert answer.response.startswith(message("about_bot", lang)), text
        # ... and a question with the same word that is the desk's still gets its article
        answer = await ctx.pipeline.answer("كيف احول الخط على اسمي", "ar")
        assert answer.kind == "article" and answer.article_id == "line-ownership"
