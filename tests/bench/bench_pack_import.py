"""Importing a large knowledge pack: 1,000 articles with 10,000 example questions.

The target (issue 16): ``nura knowledge import`` of such a pack finishes in under 30 s with the
built-in embedder, and the learned article models must not make a message slower. The pack is synthetic but shaped like a real
one: every article has an Arabic and an English title, a body of about eight sentences per
language, five keywords and ten example questions (Arabic, English and Kurmanji), written from a
shared telecom vocabulary plus topic words of its own, so words repeat across articles the way
"الباقة" or "balance" do in a real pack.

The import runs the code behind ``nura knowledge import`` (``SqliteKnowledgeStore.load_pack`` in
the context ``nura`` builds) into a fresh data dir. Reported, measured in the same run:

* ``import_s`` — the whole import (validation, embedding, FTS rows, vectors);
* ``model_s`` — what the pack's learned models (the term model and the ridge model) add to loading
  the article snapshot of the new knowledge version (done once per version and process, with the
  first message after the change): snapshot load with them minus without;
* ``decide_ms`` — p50 / p90 of the article tier's decision (the matcher itself, no decision cache)
  with the learned models and without, and their ratio: the per-message cost of learning.

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


async def _measure(data_dir: Path, pack: dict[str, Any]) -> dict[str, Any]:
    settings = load_settings(data_dir=data_dir, overrides={"LOAD_DEFAULT_KNOWLEDGE": False})
    ctx = build_context(settings)
    try:
        await install_knowledge(ctx, background_reindex=False)
        started = time.perf_counter()
        await ctx.knowledge.load_pack(pack)
        import_s = time.perf_counter() - started
        await ctx.pipeline.refresh(force=True)
        matcher = ctx.pipeline.matcher
        rng = random.Random(3)
        questions = [q for a in rng.sample(pack["articles"], 40) for q in a["examples"]["ar"][:2]]
        out: dict[str, Any] = {"import_s": import_s}
        # The learned models are built with the article snapshot of a knowledge version, on the
        # first message after a change: time that load with and without them, then the decisions.
        for learn in (False, True, False, True):
            matcher.learn = learn
            matcher._snapshot = None
            t0 = time.perf_counter()
            await matcher.decide(questions[0], "ar")
            load_s = time.perf_counter() - t0
            times = []
            for text in questions:
                t0 = time.perf_counter()
                await matcher.decide(text, "ar")
                times.append(1000 * (time.perf_counter() - t0))
            key = "learned" if learn else "zero_shot"
            out[f"load_s_{key}"] = min(out.get(f"load_s_{key}", load_s), load_s)
            out.setdefault(f"decide_ms_{key}", []).extend(times)
        return out
    finally:
        ctx.close()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[int(q * (len(ordered) - 1))], 2)


def main(articles: int = 1000, examples: int = 10) -> dict[str, Any]:
    pack = synthetic_pack(articles, examples)
    folder = Path(tempfile.mkdtemp(prefix="nura-bench-import-"))
    try:
        got = asyncio.run(_measure(folder / "data", pack))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    learned, zero = got["decide_ms_learned"], got["decide_ms_zero_shot"]
    result = {
        "articles": articles,
        "examples": articles * examples,
        "import_s": round(got["import_s"], 2),
        "model_s": round(got["load_s_learned"] - got["load_s_zero_shot"], 2),
        "snapshot_load_s": {"zero_shot": round(got["load_s_zero_shot"], 2), "learned": round(got["load_s_learned"], 2)},
        "decide_ms": {
            "zero_shot": {"p50": round(statistics.median(zero), 2), "p90": _pct(zero, 0.9)},
            "learned": {"p50": round(statistics.median(learned), 2), "p90": _pct(learned, 0.9)},
        },
        "decide_ratio_p50": round(statistics.median(learned) / statistics.median(zero), 2),
        "target_s": 30,
    }
    print(
        f"import of {articles} articles / {articles * examples} examples: {result['import_s']} s;"
        f" learned models built in {result['model_s']} s with the first message's snapshot;"
        f" decide p50 {result['decide_ms']['learned']['p50']} ms with them,"
        f" {result['decide_ms']['zero_shot']['p50']} ms without (ratio {result['decide_ratio_p50']})"
    )
    save("pack_import", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--examples", type=int, default=10)
    options = parser.parse_args()
    main(options.articles, options.examples)
