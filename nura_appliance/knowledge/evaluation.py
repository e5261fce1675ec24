"""``nura eval``: run evaluation cases through the real message pipeline and score them.

The cases go through ``ctx.pipeline.answer`` — the very object ``POST /v1/message`` uses — with
the language chosen exactly as the conversation service chooses it, so the numbers describe the
product, not a copy of it.

Case format (JSON lines): ``{"text", "lang"?, "variety"?, "expect": {"article": ID} |
{"article": ID, "handoff_ok": true} | {"out_of_scope": true} | {"handoff": true} |
{"sentiment": "negative" | "neutral"} | {"fact": TEXT, "source"?: FILE}}`` (handbook cases: see the
last section). ``variety`` (msa, iraqi, arabizi, sorani …) only groups the report.

Metrics (each over the cases of its kind):

* ``top1`` — article cases whose best-ranked article is the expected one, whatever the decision;
* ``answered_correct`` — article cases answered directly with the expected article at the
  configured threshold (ambiguous offers do not count);
* ``out_of_scope_rejection`` — out-of-scope cases that got no article answer and no quick-reply
  offer (kind ``out_of_scope``, ``fallback`` or ``rule``);
* ``handoff_recall`` — hand-off cases that started a hand-off;
* ``{"article": ID, "handoff_ok": true}`` (an outage complaint): right when answered with the
  article *or* handed off; ``scope_refusals`` counts those given the scope refusal instead;
* ``sentiment`` — ``negative_recall``: negative cases the pipeline read as negative;
  ``neutral_false_positives``: neutral cases it read as negative (thanks and praise, read as
  positive, are not negative).
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from nura_appliance.errors import ValidationFailed
from nura_appliance.knowledge.hybrid import HybridRetriever
from nura_appliance.knowledge.language import detect_with_hint
from nura_appliance.knowledge.site import TriedAnswer
from nura_appliance.languages import LANG_LIST, LANGS
from nura_appliance.settings import Settings

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
        if not is_handbook_expectation(expect) and not _valid_expectation(expect):
            raise ValidationFailed(
                f'{path.name} line {number}: "expect" must be {{"article": ID}} (with "handoff_ok": true '
                'for a complaint a hand-off also answers), {"out_of_scope": true}, {"handoff": true}, '
                '{"sentiment": "negative"|"neutral"}, {"fact": TEXT} or {"source": FILE}'
            )
        lang = case.get("lang")
        if lang is not None and lang not in LANGS:
            raise ValidationFailed(f'{path.name} line {number}: "lang" must be one of {LANG_LIST}')
        variety = case.get("variety")
        if variety is not None and (not isinstance(variety, str) or not variety.strip()):
            raise ValidationFailed(f'{path.name} line {number}: "variety" must be a non-empty text')
        cases.append({"text": case["text"], "lang": lang, "expect": expect, "variety": variety})
    if not cases:
        raise ValidationFailed(f"{path.name}: no cases")
    return cases


SENTIMENTS = ("negative", "neutral")


def _valid_expectation(expect: Any) -> bool:
    if not isinstance(expect, dict):
        return False
    if isinstance(expect.get("article"), str):
        return set(expect) == {"article"} or (set(expect) == {"article", "handoff_ok"} and expect["handoff_ok"] is True)
    if "sentiment" in expect:
        return len(expect) == 1 and expect["sentiment"] in SENTIMENTS
    return len(expect) == 1 and (expect.get("out_of_scope") is True or expect.get("handoff") is True)


def _expected_kind(expect: dict[str, Any]) -> str:
    if "sentiment" in expect:
        return "sentiment"
    if "article" in expect:
        return "article"
    if is_handbook_expectation(expect):
        return "handbook"
    return "handoff" if expect.get("handoff") else "out_of_scope"


def _ratio(good: int, total: int) -> float | None:
    return round(good / total, 4) if total else None


class EvalAnswer(TriedAnswer, Protocol):
    """What scoring reads of the pipeline's answer (``conversation.pipeline.Answer``, a feature
    above this one) besides what the routes read."""

    @property
    def candidates(self) -> list[dict[str, Any]]: ...
    @property
    def sentiment(self) -> str: ...
    @property
    def source_doc(self) -> str | None: ...


class EvalPipeline(Protocol):
    """``ctx.pipeline`` as the evaluation drives it: the very ``answer`` ``POST /v1/message`` uses."""

    async def answer(self, text: str, lang: str, context: dict[str, Any] | None = None) -> EvalAnswer: ...

    async def refresh(self, force: bool = False) -> None: ...


class EvalSite(Protocol):
    """What :func:`run_cases` uses of the app context (the CLI's ``nura eval`` passes its own);
    ``context.py`` checks the AppContext against it."""

    @property
    def settings(self) -> Settings: ...
    @property
    def pipeline(self) -> EvalPipeline: ...
    @property
    def retriever(self) -> HybridRetriever | None: ...


async def run_cases(ctx: EvalSite, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Answer every case with the live pipeline; returns ``{"summary", "cases"}``."""
    pipeline = ctx.pipeline
    await pipeline.refresh(force=True)
    results = []
    langs: list[str] = []  # the language each case was answered in (kept out of the case shape)
    kinds: list[str] = []  # the answer kind before "rag" is folded into "fallback" (same)
    started = time.perf_counter()
    for case in cases:
        lang = detect_with_hint(case["text"], case["lang"], ctx.settings.default_lang)
        trace: dict[str, Any] = {}
        answer = await pipeline.answer(case["text"], lang, {"eval": True, "trace": trace})
        candidates = [c["article_id"] for c in answer.candidates]
        if answer.article_id and answer.article_id not in candidates:
            candidates.insert(0, answer.article_id)
        kind = answer.kind if answer.kind != "rag" else "fallback"
        got: dict[str, Any] = {
            "kind": kind,
            "article": answer.article_id,
            "candidates": candidates,
            "confidence": round(float(answer.confidence), 4),
        }
        langs.append(lang)
        kinds.append(answer.kind)
        expect = case["expect"]
        wanted = _expected_kind(expect)
        if wanted == "sentiment":
            got["sentiment"] = answer.sentiment
            ok = (answer.sentiment == "negative") == (expect["sentiment"] == "negative")
        elif wanted == "article":
            ok = kind == "article" and answer.article_id == expect["article"]
            if expect.get("handoff_ok"):
                ok = ok or kind == "handoff"
        elif wanted == "handbook":
            got["handbook"] = await score_handbook_case(ctx, case["text"], lang, expect, answer, trace)
            ok = got["handbook"]["answered"]
        elif wanted == "handoff":
            ok = kind == "handoff"
        else:
            ok = kind in REJECTED
        result = {"text": case["text"], "expect": expect, "got": got, "ok": ok}
        if case.get("variety"):
            result["variety"] = case["variety"]
        results.append(result)
    elapsed = time.perf_counter() - started
    summary = summarise(results, elapsed, langs)
    handbook = summarise_handbook(results, langs, kinds)
    if handbook is not None:
        summary["handbook"] = handbook
    return {"summary": summary, "cases": results}


def summarise(results: list[dict[str, Any]], elapsed: float = 0.0, langs: list[str] | None = None) -> dict[str, Any]:
    """Aggregate metrics, per-language (the language each case was answered in) and per-article
    breakdowns."""
    articles = [r for r in results if "article" in r["expect"]]
    oos = [r for r in results if r["expect"].get("out_of_scope")]
    handoffs = [r for r in results if r["expect"].get("handoff")]
    complaints = [r for r in articles if r["expect"].get("handoff_ok")]
    negative = [r for r in results if r["expect"].get("sentiment") == "negative"]
    neutral = [r for r in results if r["expect"].get("sentiment") == "neutral"]

    def top1(r: dict[str, Any]) -> bool:
        return bool(r["got"]["candidates"]) and r["got"]["candidates"][0] == r["expect"]["article"]

    def per_group(keys: Sequence[str | None]) -> dict[str, dict[str, Any]]:
        """Cases, ok and top-1 of the results grouped by ``keys`` (one a result; None: in no group)."""
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r, key in zip(results, keys, strict=True):
            if key:
                groups[key].append(r)
        out: dict[str, dict[str, Any]] = {}
        for key, rows in sorted(groups.items()):
            arts = [r for r in rows if "article" in r["expect"]]
            out[key] = {
                "cases": len(rows),
                "ok": _ratio(sum(r["ok"] for r in rows), len(rows)),
                "top1": _ratio(sum(top1(r) for r in arts), len(arts)),
            }
        return out

    per_lang = per_group(langs or [r.get("lang") or "?" for r in results])
    per_variety = per_group([r.get("variety") for r in results])
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
    out: dict[str, Any] = {
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
    out["confident"] = confident_answers(articles + oos)
    if per_variety:
        out["per_variety"] = per_variety
    if complaints:
        out["complaints"] = {
            "cases": len(complaints),
            "ok": _ratio(sum(r["ok"] for r in complaints), len(complaints)),
            "scope_refusals": sum(r["got"]["kind"] == "out_of_scope" for r in complaints),
        }
    if negative or neutral:
        out["counts"]["sentiment"] = len(negative) + len(neutral)
        out["sentiment"] = {
            "negative": len(negative),
            "neutral": len(neutral),
            "negative_recall": _ratio(sum(r["ok"] for r in negative), len(negative)),
            "neutral_false_positives": sum(not r["ok"] for r in neutral),
        }
    return out


CONFIDENT = 0.9


def confident_answers(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Is the confidence calibrated? Over article and out-of-scope cases answered with an article
    at confidence >= 0.9: how many, and the share with the right article (target: >= 0.95).
    Also the highest confidence any out-of-scope case was answered with (target: <= 0.8)."""
    sure = [r for r in results if r["got"]["kind"] == "article" and r["got"]["confidence"] >= CONFIDENT]
    right = sum(r["got"]["article"] == r["expect"].get("article") for r in sure)
    wrong_scope = [
        r["got"]["confidence"] for r in results if r["expect"].get("out_of_scope") and r["got"]["kind"] == "article"
    ]
    return {
        "answered": len(sure),
        "precision": _ratio(right, len(sure)),
        "max_out_of_scope_answered": max(wrong_scope, default=None),
    }


# -- handbook cases (issue 17) --------------------------------------------------------------------
# {"text", "expect": {"fact": "55000"}}: the fact must appear in the answer (and, with an LLM, in
# the prompt); {"expect": {"source": "file.md"}}: the answer must come from that handbook file.
# Both may be given together. Out-of-scope cases in a handbook file also get the handbook metric
# "scope message kept" (no handbook passage offered), stricter than out_of_scope_rejection.
HIT_AT = (1, 3, 5)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_GROUPED = re.compile(r"(?<=\d)[,٬'’ ](?=\d{3}\b)")


def is_handbook_expectation(expect: Any) -> bool:
    """``{"fact": text}``, ``{"source": file}`` or both."""
    return (
        isinstance(expect, dict)
        and bool(expect)
        and set(expect) <= {"fact", "source"}
        and all(isinstance(v, str) and v.strip() for v in expect.values())
    )


def fact_key(text: str) -> str:
    """Text as facts are compared: NFKC, Arabic-Indic digits as ASCII, thousands separators
    dropped ("27,000" = "27000"), case and spacing folded. Not the search normaliser, which folds
    letters a fact must keep."""
    folded = unicodedata.normalize("NFKC", text or "").translate(_DIGITS)
    return " ".join(_GROUPED.sub("", folded).casefold().split())


def _holds(fact: str, text: str) -> bool:
    return fact_key(fact) in fact_key(text)


def _from_source(source: str, doc: str | None) -> bool:
    return bool(doc) and Path(str(doc)).name.casefold() == Path(source).name.casefold()


async def score_handbook_case(
    ctx: EvalSite, text: str, lang: str, expect: dict[str, Any], answer: EvalAnswer, trace: dict[str, Any]
) -> dict[str, Any]:
    """One handbook case: did the answer carry the fact (and come from the file), did the fact
    reach the passages chosen for the prompt, did the LLM prompt carry it, and at which rank the
    retriever found it among the handbook chunks."""
    fact, source = expect.get("fact"), expect.get("source")
    docs = [answer.source_doc, *[s.get("doc") for s in answer.sources]]
    in_answer = answer.kind == "rag" and (fact is None or _holds(fact, answer.response))
    if source is not None:
        in_answer = in_answer and any(_from_source(source, d) for d in docs)
    passages = trace.get("passages") or []
    context = "\n".join(f"{p.title}\n{p.text}" for p in passages)
    in_context = bool(passages) and (fact is None or _holds(fact, context))
    if source is not None:
        in_context = in_context and any(_from_source(source, p.doc) for p in passages)
    messages = trace.get("messages")
    prompt = "\n".join(m["content"] for m in messages) if messages else None
    rank = None
    retriever = ctx.retriever
    if retriever is not None:
        hits = (await retriever.search_lists(text, lang, k=max(HIT_AT), kinds=("chunk",))).get("chunk", [])
        for position, hit in enumerate(hits, 1):
            if (fact is None or _holds(fact, f"{hit.title}\n{hit.text}")) and (
                source is None or _from_source(source, hit.doc)
            ):
                rank = position
                break
    return {
        "answered": in_answer,
        "kind": answer.kind,
        "source": answer.source,
        "in_context": in_context,
        "in_prompt": None if prompt is None else (fact is None or _holds(fact, prompt)),
        # What the prompt sent costs (system text with the passages, memory, the question).
        "prompt_chars": None if prompt is None else len(prompt),
        "rank": rank,
        "relevance": trace.get("best"),
        "response": answer.response[:300],
    }


def summarise_handbook(
    results: list[dict[str, Any]], langs: list[str] | None = None, kinds: list[str] | None = None
) -> dict[str, Any] | None:
    """Handbook metrics over the handbook cases (None when a file has none):

    * ``answer_has_fact`` — the answer came from the handbook and carries the fact (and file);
    * ``fact_in_context`` — the fact is in the passages chosen for the LLM prompt (computed
      whether or not an LLM is called: the prompt is built from exactly these);
    * ``fact_in_prompt`` — with an LLM: the fact was in the prompt actually sent (over all the
      handbook cases; None when no LLM was called in the run);
    * ``hit@k`` — the retriever ranks a chunk holding the fact (from the file) in its top k;
    * ``no_passage`` — out-of-scope cases that got no handbook passage (the handbook tier's own
      share: whatever the article tier did);
    * ``scope_kept`` — out-of-scope cases answered with the scope message (or a rule): no
      article, no quick replies, no handbook passage.
    """
    cases = [(r, lang) for r, lang in zip(results, langs or [""] * len(results), strict=True)]
    handbook = [(r, lang) for r, lang in cases if "handbook" in r["got"]]
    raw = kinds or [r["got"]["kind"] for r in results]
    oos = [kind for r, kind in zip(results, raw, strict=True) if r["expect"].get("out_of_scope")]
    if not handbook:
        return None
    rows = [r["got"]["handbook"] for r, _ in handbook]
    prompted = [h for h in rows if h["in_prompt"] is not None]
    out: dict[str, Any] = {
        "cases": len(rows),
        "answer_has_fact": _ratio(sum(h["answered"] for h in rows), len(rows)),
        "fact_in_context": _ratio(sum(h["in_context"] for h in rows), len(rows)),
        # Over every handbook case (a case the LLM never saw did not get the fact into a prompt).
        "fact_in_prompt": _ratio(sum(bool(h["in_prompt"]) for h in prompted), len(rows)) if prompted else None,
        "llm_called": len(prompted),
        "prompt_chars_mean": round(sum(h["prompt_chars"] for h in prompted) / len(prompted)) if prompted else None,
    }
    for k in HIT_AT:
        out[f"hit@{k}"] = _ratio(sum(h["rank"] is not None and h["rank"] <= k for h in rows), len(rows))
    out["no_passage"] = _ratio(sum(kind != "rag" for kind in oos), len(oos))
    out["scope_kept"] = _ratio(sum(kind in REJECTED for kind in oos), len(oos))
    per_lang: dict[str, dict[str, Any]] = {}
    for lang in sorted({lang for _, lang in handbook}):
        mine = [r["got"]["handbook"] for r, case_lang in handbook if case_lang == lang]
        per_lang[lang] = {
            "cases": len(mine),
            "answer_has_fact": _ratio(sum(h["answered"] for h in mine), len(mine)),
            "fact_in_context": _ratio(sum(h["in_context"] for h in mine), len(mine)),
            "hit@5": _ratio(sum(h["rank"] is not None and h["rank"] <= 5 for h in mine), len(mine)),
        }
    out["per_language"] = per_lang
    return out
