"""K-fold evaluation over a pack's own example questions (``nura eval PACK.json --kfold K``).

Each article's example questions (per language) are shuffled with a fixed seed and dealt round-robin
into K folds. For fold i the pack is imported without the examples of fold i, and those held-out
examples are asked as customer questions expecting their article. Every example is a query exactly
once, against a pack that never saw it: the number says how well the pack's examples teach the
article tier to recognise questions it has not seen, on the team's own wording (docs/KNOWLEDGE.md).
"""

from __future__ import annotations

import copy
import random
from typing import Any

from nura_appliance.errors import ValidationFailed

SEED = 20240917


def folds(pack: dict[str, Any], k: int, seed: int = SEED) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """``k`` pairs of (the pack without the fold's examples, the fold's examples as cases)."""
    if not 2 <= k <= 20:
        raise ValidationFailed("--kfold must be between 2 and 20")
    rng = random.Random(seed)
    assigned: dict[tuple[str, str, int], int] = {}
    start = 0
    for article in pack.get("articles", []):
        for lang, examples in sorted((article.get("examples") or {}).items()):
            order = list(range(len(examples)))
            rng.shuffle(order)
            for rank, index in enumerate(order):
                assigned[(article["id"], lang, index)] = (start + rank) % k
            start += len(examples)  # spread the first fold of each list over the folds
    if not assigned:
        raise ValidationFailed("the pack has no example questions to hold out")
    out = []
    for fold in range(k):
        trained = copy.deepcopy(pack)
        cases: list[dict[str, Any]] = []
        for article in trained.get("articles", []):
            kept: dict[str, list[str]] = {}
            for lang, examples in (article.get("examples") or {}).items():
                for index, text in enumerate(examples):
                    if assigned[(article["id"], lang, index)] == fold:
                        cases.append({"text": text, "lang": lang, "expect": {"article": article["id"]}})
                    else:
                        kept.setdefault(lang, []).append(text)
            article["examples"] = kept
        out.append((trained, cases))
    return out


def combine(reports: list[dict[str, Any]], cases: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """One summary over every fold's cases (micro-averaged; per language by the example's
    language), and each fold's own numbers."""
    from nura_appliance.knowledge.evaluation import summarise

    results = [case for report in reports for case in report["cases"]]
    langs = [case["lang"] for fold in cases for case in fold]
    summary = summarise(results, langs=langs)
    summary["ms_per_case"] = round(
        sum(r["summary"]["ms_per_case"] * r["summary"]["cases"] for r in reports) / len(results), 2
    )
    summary["folds"] = [
        {
            "cases": r["summary"]["cases"],
            "top1": r["summary"]["top1"],
            "answered_correct": r["summary"]["answered_correct"],
        }
        for r in reports
    ]
    return {"summary": summary, "cases": results}
