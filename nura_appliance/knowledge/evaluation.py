"""``nura eval``: run evaluation cases through the real message pipeline and score them.

The cases go through ``ctx.pipeline.answer`` — the very object ``POST /v1/message`` uses — with
the language chosen exactly as the conversation service chooses it, so the numbers describe the
product, not a copy of it.

Case format (JSON lines): ``{"text", "lang"?, "expect": {"article": ID} | {"out_of_scope": true}
| {"handoff": true}}``.

Metrics (each over the cases of its kind):

* ``top1`` — article cases whose best-ranked article is the expected one, whatever the decision;
* ``answered_correct`` — article cases answered directly with the expected article at the
  configured threshold (ambiguous offers do not count);
* ``out_of_scope_rejection`` — out-of-scope cases that got no article answer and no quick-reply
  offer (kind ``out_of_scope``, ``fallback`` or ``rule``);
* ``handoff_recall`` — hand-off cases that started a hand-off.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from nura_appliance.conversation.service import choose_language
from nura_appliance.errors import ValidationFailed
from nura_appliance.languages import LANG_LIST, LANGS

REJECTED = ("out_of_scope", "fallback", "rule")


def load_cases(path: Path) -> list[dict[str, Any]]:
    """Read and check a JSON-lines case file; errors name the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValidationFailed(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValidationFailed(f"{path}: not UTF-8 text") from None
    cases = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"{path.name} line {number}: invalid JSON ({exc.msg})") from None
        if not isinstance(case, dict) or not isinstance(case.get("text"), str) or not case["text"].strip():
            raise ValidationFailed(f'{path.name} line {number}: needs a non-empty "text"')
        expect = case.get("expect")
        if (
            not isinstance(expect, dict)
            or len(expect) != 1
            or not (
                isinstance(expect.get("article"), str)
                or expect.get("out_of_scope") is True
                or expect.get("handoff") is True
            )
        ):
            raise ValidationFailed(
                f'{path.name} line {number}: "expect" must be {{"article": ID}}, '
                '{"out_of_scope": true} or {"handoff": true}'
            )
        lang = case.get("lang")
        if lang is not None and lang not in LANGS:
            raise ValidationFailed(f'{path.name} line {number}: "lang" must be one of {LANG_LIST}')
        cases.append({"text": case["text"], "lang": lang, "expect": expect})
    if not cases:
        raise ValidationFailed(f"{path.name}: no cases")
    return cases


def _expected_kind(expect: dict[str, Any]) -> str:
    if "article" in expect:
        return "article"
    return "handoff" if expect.get("handoff") else "out_of_scope"


def _ratio(good: int, total: int) -> float | None:
    return round(good / total, 4) if total else None


async def run_cases(ctx: Any, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Answer every case with the live pipeline; returns ``{"summary", "cases"}``."""
    pipeline = ctx.pipeline
    await pipeline.refresh(force=True)
    results = []
    langs: list[str] = []  # the language each case was answered in (kept out of the case shape)
    started = time.perf_counter()
    for case in cases:
        lang = choose_language(case["text"], case["lang"], ctx.settings.default_lang)
        answer = await pipeline.answer(case["text"], lang, {"eval": True})
        candidates = [c["article_id"] for c in answer.candidates]
        if answer.article_id and answer.article_id not in candidates:
            candidates.insert(0, answer.article_id)
        kind = answer.kind if answer.kind != "rag" else "fallback"
        got = {
            "kind": kind,
            "article": answer.article_id,
            "candidates": candidates,
            "confidence": round(float(answer.confidence), 4),
        }
        langs.append(lang)
        expect = case["expect"]
        wanted = _expected_kind(expect)
        if wanted == "article":
            ok = kind == "article" and answer.article_id == expect["article"]
        elif wanted == "handoff":
            ok = kind == "handoff"
        else:
            ok = kind in REJECTED
        results.append({"text": case["text"], "expect": expect, "got": got, "ok": ok})
    elapsed = time.perf_counter() - started
    return {"summary": summarise(results, elapsed, langs), "cases": results}


def summarise(results: list[dict[str, Any]], elapsed: float = 0.0, langs: list[str] | None = None) -> dict[str, Any]:
    """Aggregate metrics, per-language (the language each case was answered in) and per-article
    breakdowns."""
    articles = [r for r in results if "article" in r["expect"]]
    oos = [r for r in results if r["expect"].get("out_of_scope")]
    handoffs = [r for r in results if r["expect"].get("handoff")]

    def top1(r: dict[str, Any]) -> bool:
        return bool(r["got"]["candidates"]) and r["got"]["candidates"][0] == r["expect"]["article"]

    per_lang: dict[str, dict[str, Any]] = {}
    by_lang: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r, lang in zip(results, langs or [r.get("lang") or "?" for r in results], strict=True):
        by_lang[lang].append(r)
    for lang, rows in sorted(by_lang.items()):
        arts = [r for r in rows if "article" in r["expect"]]
        per_lang[lang] = {
            "cases": len(rows),
            "ok": _ratio(sum(r["ok"] for r in rows), len(rows)),
            "top1": _ratio(sum(top1(r) for r in arts), len(arts)),
        }
    per_article: dict[str, dict[str, Any]] = {}
    by_article: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in articles:
        by_article[r["expect"]["article"]].append(r)
    for article_id, rows in sorted(by_article.items()):
        per_article[article_id] = {
            "cases": len(rows),
            "top1": _ratio(sum(top1(r) for r in rows), len(rows)),
            "answered_correct": _ratio(sum(r["ok"] for r in rows), len(rows)),
        }
    return {
        "cases": len(results),
        "ok": _ratio(sum(r["ok"] for r in results), len(results)),
        "top1": _ratio(sum(top1(r) for r in articles), len(articles)),
        "answered_correct": _ratio(sum(r["ok"] for r in articles), len(articles)),
        "out_of_scope_rejection": _ratio(sum(r["ok"] for r in oos), len(oos)),
        "handoff_recall": _ratio(sum(r["ok"] for r in handoffs), len(handoffs)),
        "counts": {"article": len(articles), "out_of_scope": len(oos), "handoff": len(handoffs)},
        "per_language": per_lang,
        "per_article": per_article,
        "misses": sum(not r["ok"] for r in results),
        "ms_per_case": round(1000 * elapsed / len(results), 2) if results else 0.0,
    }
