"""Per-message cost of the language layer, in process: language detection with the widget's hint,
the hand-off check, sentiment, the text the article tier matches (Arabizi transliterated, insults
left out) and the query's index terms — what every new message pays before retrieval.

Every message is made unique by a number (nothing is answered from the per-message memo; the
per-word caches are warm, as in a serving process). Messages: every case text of the development
sets (``common.dev_case_files()``: Arabic dialects, Arabizi, Sorani, Kurmanji, English, outage
complaints, anger; never a frozen test file).

Before/after: give two source trees; they run in separate processes in alternating rounds (a busy
shared machine slows both alike) and the ratio of the medians is printed::

    mkdir -p /tmp/before && git archive <commit> nura_appliance knowledge | tar -x -C /tmp/before
    .venv/bin/python tests/bench/bench_language.py /tmp/before . --rounds 5

With no tree, measures this checkout once. Writes ``bench-results/language.json``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from common import compare_trees, dev_cases


def messages() -> list[tuple[str, str | None]]:
    return [(case["text"], case.get("lang")) for case in dev_cases()]


def measure(passes: int) -> float:
    """CPU microseconds per message of the language layer of the tree on sys.path (best pass)."""
    from nura_appliance.conversation.service import choose_language
    from nura_appliance.conversation.signals import matching_text, sentiment, wants_human
    from nura_appliance.knowledge.normalize import index_terms

    texts = messages()
    words: dict[str, Any] = {}
    try:  # a tree that reads Arabizi with the knowledge base's words gets the default pack's
        from nura_appliance.conversation.pipeline import arabic_vocabulary
        from nura_appliance.paths import default_pack_path

        pack = json.loads(default_pack_path().read_text(encoding="utf-8"))
        words["vocabulary"] = arabic_vocabulary(pack["articles"])
    except ImportError:
        pass

    def one(text: str, hint: str | None) -> None:
        lang = choose_language(text, hint, "ar")
        mood = sentiment(text, **words)
        wants_human(text, lang, **words)
        index_terms(matching_text(text, mood, **words))

    for i, (text, hint) in enumerate(texts):  # warm the per-word caches
        one(f"{text} {i}", hint)
    best = float("inf")
    for p in range(passes):
        started = time.process_time()  # CPU time: other processes on a shared machine count less
        for i, (text, hint) in enumerate(texts):
            one(f"{text} {100000 * (p + 1) + i}", hint)
        best = min(best, (time.process_time() - started) / len(texts))
    return best * 1e6


def main() -> None:
    compare_trees(__doc__.split("\n\n")[0], "bench_language", "us_per_message", "language", len(messages()))


if __name__ == "__main__":
    main()
