"""Grounded prompts: per-language system prompt, numbered context passages, conversation memory,
and context compression (deduplicate, strip boilerplate, trim to a token budget)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from nura_appliance.ai.providers import Message, Role, estimate_tokens
from nura_appliance.knowledge.normalize import detect_language, normalize


@dataclass
class Passage:
    """One retrieved piece of knowledge, numbered as the model sees it."""

    kind: str  # "chunk" | "article"
    ref: str
    title: str
    text: str
    score: float
    doc: str | None = None
    tier: str | None = None
    n: int = 0
    unit: str = "text"  # "text" | "row" (a table row with its column names) | "article"
    coverage: float = 0.0  # idf-weighted share of the question's words the passage holds
    rare: float = 0.0  # how rare the rarest question word it holds is (see knowledge.hybrid.Evidence)
    words: dict[str, float] | None = None  # the question's words it holds: their rarity (same)
    lone: bool = False  # it holds only one of the question's several words (Evidence.lone)
    cosine: float = 0.0  # the embedding similarity the retriever measured
    # the share of the question held through a value of the asked kind, not a word (Evidence.by_value)
    by_value: float = 0.0

    @property
    def lang(self) -> str:
        return detect_language(self.text[:400], default="ar")

    def source(self) -> dict[str, Any]:
        """The shape of one entry in an answer's ``sources``."""
        return {
            "kind": self.kind,
            "id": self.ref,
            "title": self.title,
            "score": round(float(self.score), 3),
            "doc": self.doc,
        }


SYSTEM_PROMPTS: dict[str, str] = {
    "en": (
        "You are {agent}, the customer support assistant of {company}. Answer the customer's last message "
        "using ONLY the numbered context passages below. Reply in English, in at most four short sentences. "
        "Put the number of the passage you used in square brackets after the fact, like [1]. Never invent "
        "prices, numbers, codes, policies or steps that are not in the context. If the context does not answer "
        "the question, reply with exactly this sentence and nothing else: {scope}\n\nContext:\n{context}"
    ),
    "ar": (
        "أنت {agent}، مساعد خدمة العملاء في {company}. أجب عن آخر رسالة من العميل مستخدماً فقط المقاطع المرقّمة "
        "في السياق أدناه. اكتب الرد باللغة العربية وفي أربع جمل قصيرة على الأكثر. ضع رقم المقطع الذي استخدمته بين "
        "قوسين مربعين بعد المعلومة، مثل [1]. لا تخترع أسعاراً أو أرقاماً أو رموزاً أو سياسات أو خطوات غير موجودة "
        "في السياق. إذا لم يتضمن السياق الإجابة فاكتب هذه الجملة كما هي ولا شيء غيرها: {scope}\n\nالسياق:\n{context}"
    ),
    "ckb": (
        "تۆ {agent}یت، یاریدەدەری خزمەتگوزاریی کڕیارانی {company}. وەڵامی دوایین نامەی کڕیار تەنها بەو "
        "بڕگە ژمارەدارانەی خوارەوە بدەرەوە. بە کوردیی سۆرانی و بە پیتی عەرەبی بنووسە (نەک کرمانجی و نەک عەرەبی)، "
        "لە چوار ڕستەی کورت زیاتر نەبێت. دوای هەر زانیارییەک ژمارەی بڕگەکە لەناو کەوانەی چوارگۆشەدا بنووسە، وەک [1]. "
        "هەرگیز نرخ، ژمارە، کۆد، ڕێسا یان هەنگاوێک دامەهێنە کە لە دەقەکەدا نییە. ئەگەر دەقەکە وەڵامی پرسیارەکە "
        "ناداتەوە، تەنها ئەم ڕستەیە بنووسە و هیچی تر: {scope}\n\nدەق:\n{context}"
    ),
    "ku": (
        "Tu {agent} î, alîkarê xizmeta xerîdaran a {company}. Bersiva peyama dawî ya xerîdar TENÊ bi "
        "beşên jimartî yên li jêr bide. Bi kurmancî (tîpên latînî) binivîse, herî zêde çar hevokên kurt. "
        "Piştî agahiyê hejmara beşê di nav kevanan de binivîse, wek [1]. Biha, hejmar, kod, polîtîka an "
        "gavên ku di çarçoveyê de tune ne qet neafirîne. Heke çarçove bersivê nade, tenê vê hevokê binivîse: "
        "{scope}\n\nÇarçove:\n{context}"
    ),
}

# Markdown decoration only: a lone "*" stays, it is part of USSD codes like *155#.
_LINE_MARKS = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*•+]\s+)?")
_RULE = re.compile(r"^\s*[-=*_]{3,}\s*$")
_INLINE_MARKS = re.compile(r"\*\*|__|`+|\|")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_text(text: str) -> str:
    """Strip Markdown decoration and table pipes, collapse whitespace; keeps line structure."""
    lines = []
    for line in text.replace("\r", "").split("\n"):
        if _RULE.match(line):
            continue
        line = _INLINE_MARKS.sub(" ", _LINE_MARKS.sub("", line, count=1))
        line = _SPACES.sub(" ", line).strip()
        if line:
            lines.append(line)
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()


def _shingles(text: str) -> set[str]:
    words = normalize(text).split()
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def compress(passages: list[Passage], budget_tokens: int, *, ordered: bool = False) -> list[Passage]:
    """Best-first passages, cleaned and numbered, within ``budget_tokens`` (``ordered``: in the
    order given, the caller has ranked them).

    * duplicates (same ref, or ≥ 80% shared word 3-grams with a kept passage) are dropped — hybrid
      retrieval often returns an article and the handbook chunk it was written from;
    * boilerplate lines (a line already seen in a better passage: repeated headings, footers) go;
    * passages are added best first until the budget is spent; the last one is cut at a sentence
      boundary when at least a useful piece of it fits.
    """
    kept: list[Passage] = []
    seen_refs: set[tuple[str, str]] = set()
    seen_shingles: list[set[str]] = []
    seen_lines: set[str] = set()
    used = 0
    for passage in passages if ordered else sorted(passages, key=lambda p: p.score, reverse=True):
        key = (passage.kind, str(passage.ref))
        if key in seen_refs:
            continue
        lines = []
        for line in clean_text(passage.text).split("\n"):
            norm = normalize(line)
            if norm and norm in seen_lines:
                continue
            seen_lines.add(norm)
            lines.append(line)
        text = "\n".join(lines).strip()
        if not text:
            continue
        grams = _shingles(text)
        if any(len(grams & other) >= 0.8 * min(len(grams), len(other)) for other in seen_shingles if other):
            continue
        cost = estimate_tokens(text) + 8
        if used + cost > budget_tokens:
            room = budget_tokens - used - 8
            if room < 60:
                break
            text = _cut(text, room)
            cost = estimate_tokens(text) + 8
        seen_refs.add(key)
        seen_shingles.append(grams)
        kept.append(replace(passage, text=text, n=len(kept) + 1))
        used += cost
        if used >= budget_tokens:
            break
    return kept


def _cut(text: str, budget_tokens: int) -> str:
    """The longest prefix of whole sentences within the budget (at least one clipped sentence)."""
    pieces = re.split(r"(?<=[.!?؟۔\n])\s+", text)
    out = ""
    for piece in pieces:
        candidate = f"{out} {piece}".strip()
        if estimate_tokens(candidate) > budget_tokens:
            break
        out = candidate
    if not out:
        ratio = budget_tokens / max(1, estimate_tokens(text))
        out = text[: max(1, int(len(text) * ratio))].rsplit(" ", 1)[0]
    return out


def render_context(passages: list[Passage]) -> str:
    blocks = []
    for p in passages:
        title = f"({p.title}) " if p.title else ""
        blocks.append(f"[{p.n}] {title}{p.text}")
    return "\n\n".join(blocks)


def build_messages(
    *, question: str, lang: str, passages: list[Passage], memory: list[Message], company: str, agent: str, scope: str
) -> list[Message]:
    """The chat messages for one grounded answer."""
    template = SYSTEM_PROMPTS.get(lang, SYSTEM_PROMPTS["en"])
    system = template.format(agent=agent, company=company, scope=scope, context=render_context(passages))
    return [{"role": "system", "content": system}, *memory, {"role": "user", "content": question}]


def memory_messages(turns: list[Any], *, max_chars: int = 400) -> list[Message]:
    """Earlier turns of the session as chat messages (customer → user, bot/agent → assistant).

    Consecutive turns of one role are merged because many chat templates require alternation."""
    out: list[Message] = []
    for turn in turns:
        role: Role | None = (
            "user" if turn.role == "customer" else "assistant" if turn.role in ("bot", "agent") else None
        )
        text = (turn.text or "").strip()
        if role is None or not text:
            continue
        text = text[:max_chars]
        if out and out[-1]["role"] == role:
            out[-1]["content"] += "\n" + text
        else:
            out.append({"role": role, "content": text})
    # The question itself follows as the user message; memory must end with the assistant.
    while out and out[-1]["role"] == "user":
        out.pop()
    while out and out[0]["role"] == "assistant":
        out.pop(0)
    return out
