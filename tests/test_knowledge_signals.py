"""Explicit requests for a human (conversation/signals.wants_human): dialects, Kurdish, English,
typos — and the near misses that are not requests for a person."""

from __future__ import annotations

import pytest

from nura_appliance.conversation.signals import wants_human


@pytest.mark.parametrize(
    "text",
    [
        "اريد التحدث مع موظف خدمة العملاء",  # MSA
        "ابي اكلم احد من الدعم الفني",  # Gulf
        "بدي احكي مع حدا من الموظفين",  # Levantine
        "عايز اتكلم مع حد من خدمه العملا",  # Egyptian, typo
        "حولني على موظف رجاءً",  # Iraqi
        "ممكن موظفففف",  # stretched letters
        "موضف لو سمحت",  # ظ/ض typo, bare request
        "خليني مع موظف",
        "ez dixwazim bi karmendekî re biaxivim",  # Kurmanji
        "karmend",
        "let me talk to a real person",
        "huamn agent pls",
        "operater",  # one-edit typo of a bare request
        "I want a representative now",
    ],
)
def test_requests_for_a_person_are_recognised(text: str) -> None:
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "أرغب في نقل ملكية الخط إلى اسم شخص آخر",  # transfer the line to another person
        "عايز شرايح لموظفين الشركة",  # SIMs for our employees
        "عندي شكوى على موظف في الفرع",  # a complaint about an employee
        "بدي ابعت وحدات لرفيقي",  # send credit to a friend
        "ممكن حد يشرحلي كيف افعل الباقة",  # "can someone explain" — the bot can
        "سؤال حول الفاتورة",  # "حول" = about
        "how do I transfer credit to another number",
        "my agent code for the shop",
        "",
    ],
)
def test_near_misses_are_not_requests_for_a_person(text: str) -> None:
    assert not wants_human(text)
