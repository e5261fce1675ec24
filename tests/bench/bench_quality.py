"""Answer quality on the development sets: our pipeline beside the original NURA's local method.

Both answer the same cases with the same knowledge (the default pack, loaded into a fresh data
dir). The cases are the article, out-of-scope and hand-off cases of knowledge/eval's **development**
files for the default pack (``common.dev_case_files("default")``; outage complaints, whose right
answer may be either an article or a hand-off, and sentiment cases are left out). They are the
sets the pipeline was tuned on, so ours reads higher here than on held-out text; the frozen test
files (``cases.jsonl``, ``**/test.jsonl``, ``**/*-test.jsonl``) are the coordinator's and are never
read here. The output says so.

* **ours** — the code behind ``nura eval --json`` (:func:`nura_appliance.cli.eval._evaluate`:
  the context ``nura serve`` builds, every feature's start-up hook, ``ctx.pipeline.answer``),
  offline (no LLM tier), exactly as ``nura eval`` runs by default;
* **baseline** — the original NURA's local matcher re-implemented: character 1–3-gram TF-IDF
  (smoothed idf, l2-normalised, like scikit-learn's ``analyzer="char"``) over the pack's example
  questions in every language, nearest neighbour by cosine, answer with that example's article
  at cosine ≥ 0.70, otherwise fall back. The original sent explicit requests for a person to an
  agent before matching; its exact keyword list is not in the reference, so the baseline uses a
  short trilingual list of the obvious words (documented in ``HANDOFF_WORDS``).

Metrics are the ones ``nura eval`` reports (see ``knowledge/evaluation.py``): top-1,
answered-and-correct, out-of-scope rejection, hand-off recall.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from common import EVAL, REPO, dev_case_files, save

import nura_appliance.cli.main  # noqa: F401 - registers the commands; importing cli.eval alone is circular
from nura_appliance.cli.eval import _evaluate
from nura_appliance.knowledge.evaluation import load_cases
from nura_appliance.settings import load_settings

PACK = REPO / "knowledge" / "default-pack.json"
THRESHOLD = 0.70
HANDOFF_WORDS = (
    "agent",
    "human",
    "person",
    "representative",
    "موظف",
    "انسان",
    "إنسان",
    "بشري",
    "ممثل",
    "خدمة العملاء",
    "karmend",
    "mirov",
    "nûner",
    "kesek",
)
_SPACE = re.compile(r"\s+")


def char_ngrams(text: str, low: int = 1, high: int = 3) -> Counter[str]:
    """scikit-learn's ``analyzer="char"``: lower-cased, whitespace collapsed, n-grams across words."""
    text = _SPACE.sub(" ", text.lower())
    grams: Counter[str] = Counter()
    for n in range(low, high + 1):
        grams.update(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


class CharTfidfNearest:
    """The baseline: TF-IDF vectors of the example questions, nearest neighbour by cosine."""

    def __init__(self, examples: list[tuple[str, str]]) -> None:
        self.labels = [article for article, _ in examples]
        counts = [char_ngrams(text) for _, text in examples]
        docs = len(counts)
        df: Counter[str] = Counter()
        for c in counts:
            df.update(c.keys())
        self.idf = {g: math.log((1 + docs) / (1 + d)) + 1 for g, d in df.items()}
        self.vectors = [self._vector(c) for c in counts]

    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        vec = {g: n * self.idf[g] for g, n in counts.items() if g in self.idf}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    def nearest(self, text: str) -> tuple[str | None, float]:
        query = self._vector(char_ngrams(text))
        best, best_score = None, 0.0
        for label, vec in zip(self.labels, self.vectors, strict=True):
            small, large = (query, vec) if len(query) < len(vec) else (vec, query)
            score = sum(v * large.get(g, 0.0) for g, v in small.items())
            if score > best_score:
                best, best_score = label, score
        return best, best_score


def pack_examples(pack: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for article in pack["articles"]:
        for texts in (article.get("examples") or {}).values():
            out.extend((article["id"], t) for t in texts)
    return out


def run_baseline(cases: list[dict[str, Any]], pack: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    model = CharTfidfNearest(pack_examples(pack))
    rows = []
    for case in cases:
        text = case["text"]
        lowered = text.lower()
        expect = case["expect"]
        if any(w in lowered for w in HANDOFF_WORDS):
            kind, article, score = "handoff", None, 1.0
        else:
            article, score = model.nearest(text)
            kind = "article" if score >= THRESHOLD else "fallback"
        rows.append(
            {
                "expect": expect,
                "kind": kind,
                "top": article,
                "score": score,
                "answered": article if kind == "article" else None,
            }
        )
    elapsed = time.perf_counter() - started
    arts = [r for r in rows if "article" in r["expect"]]
    oos = [r for r in rows if r["expect"].get("out_of_scope")]
    hand = [r for r in rows if r["expect"].get("handoff")]

    def ratio(good: int, total: int) -> float | None:
        return round(good / total, 4) if total else None

    return {
        "top1": ratio(sum(r["top"] == r["expect"]["article"] for r in arts), len(arts)),
        "answered_correct": ratio(sum(r["answered"] == r["expect"]["article"] for r in arts), len(arts)),
        "out_of_scope_rejection": ratio(sum(r["kind"] != "article" for r in oos), len(oos)),
        "handoff_recall": ratio(sum(r["kind"] == "handoff" for r in hand), len(hand)),
        "wrong_answers": sum(r["kind"] == "article" and r["answered"] != r["expect"].get("article") for r in rows),
        "examples": len(model.labels),
        "ms_per_case": round(1000 * elapsed / len(rows), 2),
    }


def run_ours(cases: list[dict[str, Any]]) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="nura-quality-"))
    try:
        settings = load_settings(data_dir=data, overrides={"BACKGROUND_JOBS_ENABLED": False})
        report = asyncio.run(_evaluate(settings, cases, with_llm=False))
    finally:
        shutil.rmtree(data, ignore_errors=True)
    summary = report["summary"]
    wrong = sum(
        c["got"]["kind"] == "article" and c["got"]["article"] != c["expect"].get("article") for c in report["cases"]
    )
    return {
        key: summary[key]
        for key in ("top1", "answered_correct", "out_of_scope_rejection", "handoff_recall", "ms_per_case", "counts")
    } | {"wrong_answers": wrong}


def scored(case: dict[str, Any]) -> bool:
    """A case both methods are scored on: an article (not an outage complaint, which a hand-off
    also answers), out of scope, or a request for a person."""
    expect = case["expect"]
    return ("article" in expect and not expect.get("handoff_ok")) or bool(
        expect.get("out_of_scope") or expect.get("handoff")
    )


def main() -> dict[str, Any]:
    by_file = {path: [case for case in load_cases(path) if scored(case)] for path in dev_case_files("default")}
    files = [path for path, kept in by_file.items() if kept]
    cases = [case for path in files for case in by_file[path]]
    pack = json.loads(PACK.read_text(encoding="utf-8"))
    ours = run_ours(cases)
    base = run_baseline(cases, pack)
    result = {
        "set": "dev",
        "files": [str(path.relative_to(EVAL)) for path in files],
        "cases": len(cases),
        "counts": ours.pop("counts"),
        "ours": ours,
        "baseline_char_tfidf": base,
        "threshold": THRESHOLD,
    }

    def pct(value: float | None) -> str:
        return "  n/a " if value is None else f"{100 * value:5.1f}%"

    print(f"DEVELOPMENT cases (tuned on; held-out figures are the coordinator's): {len(files)} files of knowledge/eval")
    print(f"{len(cases)} cases {result['counts']}")
    print(f"{'metric':24} {'ours':>7} {'original (char TF-IDF)':>24}")
    for key in ("top1", "answered_correct", "out_of_scope_rejection", "handoff_recall"):
        print(f"{key:24} {pct(ours[key]):>7} {pct(base[key]):>24}")
    print(f"{'wrong answers (count)':24} {ours['wrong_answers']:>7} {base['wrong_answers']:>24}")
    print(f"{'ms per case':24} {ours['ms_per_case']:>7} {base['ms_per_case']:>24}")
    save("quality", result)
    return result


if __name__ == "__main__":
    main()
