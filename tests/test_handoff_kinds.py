"""Kinds of request for a person the earlier phrase lists and composition missed (issue 16,
thirteenth hand-off round): a callback to a given number, the head of a department, "one of the
staff", dealing with a person, Kurmanji "looking for an employee" — and the near misses read by
the same parts (nobody can call me, a question about what the bot is)."""

import pytest

from nura_appliance.conversation.signals import wants_human


@pytest.mark.parametrize(
    "text",
    [
        "رنوا علي على رقمي الثاني لو سمحتو",  # the number is where to call back, not a thing sent
        "could you call me back on my number",
        "just give me a ring please",
        "پەیوەندیم پێوە بکەنەوە بە زووترین کات",  # Sorani plural imperative with ـەوە
        "اريد رئيس القسم رجاءً",  # the head of a department
        "ممكن خلي واحد من الموظفين يتابع مشكلتي",  # one of the staff
        "honestly I'd prefer to deal with a human",
        "ez li berpirsekî digerim",  # Kurmanji: I am looking for someone in charge
    ],
)
def test_other_kinds_of_request_hand_off(text: str) -> None:
    assert wants_human(text, None)


@pytest.mark.parametrize(
    "text",
    [
        "محد يكدر يتصل بيه، يطلع الخط مسدود",  # nobody can call me: a call problem
        "ما حد يقدر يرن علي من امس",
        "are you a human or a bot?",  # a question about the bot, no request
        "انت انسان؟",
        "call me when my package runs out",  # a wish about a notice, with "when"
        "how do I transfer balance to my number",
    ],
)
def test_near_misses_of_those_kinds_do_not(text: str) -> None:
    assert not wants_human(text, None)


def test_asking_what_the_bot_is_and_then_for_a_person_still_hands_off() -> None:
    assert wants_human("are you a bot? i want to talk to a real person", None)
