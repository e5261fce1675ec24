"""Per-message cost of the article tier's decision, in process: ``ArticleMatcher.decide`` (BM25,
the built-in embedding, the fusion, and since issue 16 the pack's term and ridge models and the
coverage evidence) on the default pack, for every article and out-of-scope case text of the
development sets written for it or for no pack (``common.dev_case_files("default")``; never a frozen
test file; the pipeline's decision cache is not used).

Before/after: give two source trees; each imports the default pack into its own scratch data dir
and measures in its own process, in alternating rounds (a busy shared machine slows both alike);
the ratio of the medians is printed::

    mkdir -p /tmp/before && git archive <commit> nura_appliance knowledge | tar -x -C /tmp/before
    .venv/bin/python tests/bench/bench_article_decide.py /tmp/before . --rounds 5

With no tree, measures this checkout once. Writes ``bench-results/article_decide.json``.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from common import compare_trees, dev_cases


def messages() -> list[str]:
    return [c["text"] for c in dev_cases("default") if "article" in c["expect"] or c["expect"].get("out_of_scope")]


def measure(passes: int) -> float:
    """CPU microseconds per decision of the tree on sys.path (best pass)."""
    from nura_appliance.context import build_context
    from nura_appliance.knowledge.pack import read_pack_file
    from nura_appliance.knowledge.service import install_knowledge
    from nura_appliance.paths import default_pack_path
    from nura_appliance.settings import load_settings

    texts = messages()

    async def run(folder: Path) -> float:
        settings = load_settings(data_dir=folder, overrides={"LOAD_DEFAULT_KNOWLEDGE": False})
        ctx = build_context(settings)
        try:
            await install_knowledge(ctx, background_reindex=False)
            await ctx.knowledge.load_pack(read_pack_file(default_pack_path()))
            matcher = ctx.pipeline.matcher
            for text in texts:  # warm the snapshot and the per-word caches
                await matcher.decide(text, "ar")
            best = float("inf")
            for _ in range(passes):
                started = time.process_time()  # every thread of this process, nothing else
                for text in texts:
                    await matcher.decide(text, "ar")
                best = min(best, (time.process_time() - started) / len(texts))
            return best * 1e6
        finally:
            ctx.close()

    with tempfile.TemporaryDirectory(prefix="nura-bench-decide-") as folder:
        return asyncio.run(run(Path(folder)))


def main() -> None:
    compare_trees(
        __doc__.split("\n\n")[0], "bench_article_decide", "us_per_decision", "article_decide", len(messages())
    )


if __name__ == "__main__":
    main()
