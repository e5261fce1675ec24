"""Importing a large knowledge pack: 1,000 articles with 10,000 example questions.

The target (issue 16): ``nura knowledge import`` of such a pack finishes in under 30 s with the
built-in embedder, learned article model included. The pack is synthetic but shaped like a real
one: every article has an Arabic and an English title, a body of about eight sentences per
language, five keywords and ten example questions (Arabic, English and Kurmanji), written from a
shared telecom vocabulary plus topic words of its own, so words repeat across articles the way
"الباقة" or "balance" do in a real pack.

The import runs the code behind ``nura knowledge import`` (``SqliteKnowledgeStore.load_pack`` in
the context ``nura`` builds) into a fresh data dir. Reported, measured in the same run:

* ``import_s`` — the whole import (validation, embedding, FTS rows, vectors, learned model);
* ``model_s`` — the learned article model's share (training + storing), and ``baseline_s`` = the
  import without it, so ``ratio`` = import / baseline is what learning costs on top;
* ``decide_ms`` — p50 / p90 of the article tier's decision on that knowledge afterwards.

Run: ``.venv/bin/python tests/bench/bench_pack_import.py [--articles 1000 --examples 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from common import save

from nura_appliance.context import build_context
from nura_appliance.knowledge.pack import validate_pack
from nura_appliance.knowledge.service import install_knowledge
from nura_appliance.settings import load_settings

SHARED_AR = (
    "الانترنت الباقة الرصيد الراوتر الشريحة الفاتورة التجوال الاشتراك السرعة الشبكة التفعيل الخدمة"
    " الرسائل المكالمات التغطية الجهاز التطبيق الحساب الرقم الكود السعر الدفع الخط المشكلة"
).split()
SHARED_EN = (
    "internet package balance router sim bill roaming subscription speed network activation service"
    " messages calls coverage device app account number code price payment line problem"
).split()
SHARED_KU = "înternet pakêt balans router sîm fatûre tor xizmet peyam telefon hesab hejmar kod biha".split()
QUESTION_AR = ("كيف", "ليش", "شلون", "وين", "متى", "اريد", "عندي مشكلة في", "ما هو", "هل يمكن")
QUESTION_EN = ("how do i", "why is my", "where can i", "can i", "what is the", "i have a problem with")
LETTERS_AR = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
LETTERS_EN = "abcdefghijklmnopqrstuvwxyz"


def _word(rng: random.Random, letters: str, lo: int = 4, hi: int = 8) -> str:
    return "".join(rng.choice(letters) for _ in range(rng.randint(lo, hi)))


def synthetic_pack(articles: int, examples: int, seed: int = 16) -> dict[str, Any]:
    """A valid nura-knowledge/1 pack of ``articles`` articles, ``examples`` questions each."""
    rng = random.Random(seed)
    out = []
    for n in range(articles):
        topic_ar = [_word(rng, LETTERS_AR) for _ in range(6)]
        topic_en = [_word(rng, LETTERS_EN) for _ in range(6)]

        def sentence(topic: list[str], shared: list[str], words: int = 10) -> str:
            return " ".join(rng.choice(topic + shared) for _ in range(words)) + "."

        questions: dict[str, list[str]] = {"ar": [], "en": [], "ku": []}
        for i in range(examples):
            lang = ("ar", "ar", "ar", "ar", "en", "en", "en", "ku")[i % 8]
            if lang == "ar":
                words = [rng.choice(topic_ar), rng.choice(SHARED_AR), rng.choice(topic_ar)]
                questions["ar"].append(f"{rng.choice(QUESTION_AR)} {' '.join(words)}")
            elif lang == "en":
                words = [rng.choice(topic_en), rng.choice(SHARED_EN), rng.choice(topic_en)]
                questions["en"].append(f"{rng.choice(QUESTION_EN)} {' '.join(words)}")
            else:
                questions["ku"].append(f"çawa {rng.choice(topic_en)} {rng.choice(SHARED_KU)} {rng.choice(topic_en)}")
        out.append(
            {
                "id": f"topic-{n:04d}",
                "category": f"cat-{n % 12}",
                "title": {"ar": " ".join(topic_ar[:3]), "en": " ".join(topic_en[:3])},
                "body": {
                    "ar": " ".join(sentence(topic_ar, SHARED_AR) for _ in range(8)),
                    "en": " ".join(sentence(topic_en, SHARED_EN) for _ in range(8)),
                },
                "examples": {lang: items for lang, items in questions.items() if items},
                "keywords": topic_ar[:3] + topic_en[:2],
            }
        )
    pack = {"format": "nura-knowledge/1", "name": "synthetic", "languages": ["ar", "en", "ku"], "articles": out}
    validate_pack(pack)
    return pack


async def _import(data_dir: Path, pack: dict[str, Any], *, learn: bool) -> dict[str, Any]:
    settings = load_settings(data_dir=data_dir, overrides={"LOAD_DEFAULT_KNOWLEDGE": False})
    ctx = build_context(settings)
    try:
        await install_knowledge(ctx, background_reindex=False)
        ctx.knowledge.learn_articles = learn
        started = time.perf_counter()
        await ctx.knowledge.load_pack(pack)
        elapsed = time.perf_counter() - started
        timings = dict(getattr(ctx.knowledge, "last_timings", {}) or {})
        decide_ms: list[float] = []
        if learn:
            await ctx.pipeline.refresh(force=True)
            rng = random.Random(3)
            questions = [q for a in rng.sample(pack["articles"], 40) for q in a["examples"]["ar"][:2]]
            await ctx.pipeline.matcher.decide(questions[0], "ar")  # loads the snapshot and model
            for text in questions:
                t0 = time.perf_counter()
                await ctx.pipeline.matcher.decide(text, "ar")
                decide_ms.append(1000 * (time.perf_counter() - t0))
        return {"seconds": elapsed, "timings": timings, "decide_ms": decide_ms}
    finally:
        ctx.close()


def main(articles: int = 1000, examples: int = 10) -> dict[str, Any]:
    pack = synthetic_pack(articles, examples)
    folder = Path(tempfile.mkdtemp(prefix="nura-bench-import-"))
    try:
        baseline = asyncio.run(_import(folder / "baseline", pack, learn=False))
        full = asyncio.run(_import(folder / "full", pack, learn=True))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    decide = sorted(full["decide_ms"])
    result = {
        "articles": articles,
        "examples": articles * examples,
        "import_s": round(full["seconds"], 2),
        "baseline_s": round(baseline["seconds"], 2),
        "ratio": round(full["seconds"] / baseline["seconds"], 2),
        "model_s": round(full["timings"].get("model_s", 0.0), 2),
        "timings": {k: round(v, 3) for k, v in full["timings"].items()},
        "decide_ms": {
            "p50": round(statistics.median(decide), 2) if decide else None,
            "p90": round(decide[int(0.9 * (len(decide) - 1))], 2) if decide else None,
        },
        "target_s": 30,
    }
    print(
        f"import of {articles} articles / {articles * examples} examples: {result['import_s']} s"
        f" (without the learned model {result['baseline_s']} s, ratio {result['ratio']}; model {result['model_s']} s)"
        f"; decide p50 {result['decide_ms']['p50']} ms"
    )
    save("pack_import", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--examples", type=int, default=10)
    options = parser.parse_args()
    main(options.articles, options.examples)
