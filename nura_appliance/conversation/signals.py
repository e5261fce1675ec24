"""Signals read from one customer message: an explicit request for a human, and sentiment.

Phrase lists cover Modern Standard Arabic and Iraqi, Gulf, Levantine and Egyptian dialects,
Kurdish Kurmanji and English. Matching runs on normalised text (see knowledge.normalize), so
hamza, ta marbuta and elongation variants are covered once.
"""

from __future__ import annotations

import re

from nura_appliance.knowledge.normalize import normalize

# Words for "a person / an agent / customer service" and verbs for "talk to / transfer me".
_PERSON = (
    r"(موظف|موضف|مووظف|موظفه|موظفين|الموظف|شخص|انسان|بشر|حد|حدا|احد|واحد|مسؤول|مسوول|المسؤول|مدير|"
    r"خدمه العملاء|خدمه الزبائن|خدمه الزباين|الدعم|دعم فني|الدعم الفني|عامل|اوبريتور|operator|agent|"
    r"كول سنتر|call center|الكول سنتر|ممثل|مختص|فني)"
)
_TALK = (
    r"(اكلم|اكلم|كلم|تكلم|اتكلم|احجي|حجي|اتحدث|تحدث|احكي|حكي|اتواصل|تواصل|حولني|حولوني|حولني|حول|"
    r"وصلني|وصلوني|اوصل|ابي|ابغي|ابغى|اريد|اريد|بدي|عايز|عاوز|اطلب|طلب|محتاج|ممكن|يمكن|تحويل|خليني)"
)
_AR_PATTERNS = [
    re.compile(rf"\b{_TALK}\b.*\b{_PERSON}\b"),
    re.compile(r"\b(حولني|حولوني|وصلني|وصلوني)\b"),
    re.compile(r"\b(موظف|موضف|مووظف) (حقيقي|بشري)\b"),
    re.compile(r"\b(انسان|بشر) (حقيقي|مو روبوت|مش روبوت)\b"),
    re.compile(r"^\s*(موظف|موضف|مووظف|خدمه العملاء|الدعم الفني)\s*$"),
    re.compile(r"\b(ما|مو|مش|لا) (ابي|اريد|بدي|عايز) (اكلم|احجي|احكي|اتكلم)? ?(روبوت|بوت|الة|الي)\b"),
]
_KU_PATTERNS = [
    re.compile(r"\b(karmend|karmendek|karmendeki|karmende|mirov|mirovek|mirovekî|insan|operator|agent)\w*\b"),
    re.compile(r"\b(biaxivim|biaxive|axaftin|axivim|peyivim|girede|girêde|veguhez|veguhêze)\b.*\b(kes|kesek|kesekî|mirov|karmend)\w*"),
]
_EN_PATTERNS = [
    re.compile(r"\b(talk|speak|chat|connect|transfer|put)\b.*\b(human|person|agent|agnet|agen|representative|rep|someone|somebody|operator|staff|people|support team|customer service|real person)\b"),
    re.compile(r"\b(human|live|real) (agent|person|support|being)\b"),
    re.compile(r"^\s*(agent|human|operator|representative|customer service)\s*(please|pls|plz)?\s*$"),
    re.compile(r"\b(i want|i need|give me|get me|i would like|id like)\b.*\b(human|agent|agnet|person|representative|operator)\b"),
    re.compile(r"\b(not|no|stop) (a |the )?(bot|robot|machine)\b"),
]


def wants_human(text: str, lang: str | None = None) -> bool:
    """True when the customer explicitly asks to talk to a person."""
    norm = normalize(text)
    if not norm:
        return False
    # Kurdish phrasing can arrive under any detected language; check every list.
    for pattern in (*_AR_PATTERNS, *_KU_PATTERNS, *_EN_PATTERNS):
        if pattern.search(norm):
            return True
    return False


_NEGATIVE = {
    # Arabic (normalised spellings)
    "سيء", "سيي", "زفت", "خايس", "خربان", "فاشل", "فاشلين", "نصابين", "حراميه", "حرامي", "سرقه", "سرقتوني",
    "تعبت", "زهقت", "مليت", "طفرت", "غاضب", "زعلان", "معصب", "مقرف", "كارثه", "اسوا", "تافه", "تخلف",
    "مهزله", "لعنه", "يلعن", "خرا", "حقير", "نصب", "احتيال", "اشتكي", "ساشتكي", "مستحيل", "قرفتوني",
    # Kurdish
    "xirab", "xerab", "qels", "hêrs", "hers", "aciz", "bêzar", "bezar", "diz", "dizî", "dizi", "rezîl", "rezil",
    # English
    "terrible", "awful", "worst", "useless", "angry", "furious", "scam", "scammers", "ridiculous", "horrible",
    "hate", "stupid", "pathetic", "disgusting", "unacceptable", "rubbish", "garbage", "fraud", "thieves",
}
_NEGATIVE_NORMALISED = {normalize(w) for w in _NEGATIVE}
_POSITIVE = {normalize(w) for w in (
    "شكرا", "مشكور", "ممتاز", "رائع", "حلو", "تسلم", "يعطيك العافيه", "spas", "baş", "bas", "thanks", "thank",
    "great", "excellent", "perfect", "awesome", "good", "helpful",
)}


def sentiment(text: str) -> str:
    """``negative``, ``positive`` or ``neutral`` from a word list (offline, all three languages)."""
    words = set(normalize(text).split())
    if words & _NEGATIVE_NORMALISED or "!!!" in text:
        return "negative"
    if words & _POSITIVE:
        return "positive"
    return "neutral"
