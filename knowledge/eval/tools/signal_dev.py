"""Hand-off and anger signals on the DEV files only (never a test file): recall of the requests
for a person and of angry messages, and how many other messages were read as such.

    .venv/bin/python knowledge/eval/tools/signal_dev.py [--show]

Reads every ``dev*.jsonl`` / ``handoff-dev*.jsonl`` / ``*-dev.jsonl`` under knowledge/eval (never
the frozen ``cases.jsonl``, ``test.jsonl`` or ``*-test.jsonl``), calls ``wants_human`` and ``sentiment`` directly (no pipeline, no knowledge base:
Arabizi is read with the dialect lexicon only), and prints the counts; then the hand-off counts
again with each pack's vocabulary, as the pipeline reads Arabizi.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EVAL = Path(__file__).resolve().parents[1]


def dev_files() -> list[Path]:
    frozen = {"cases.jsonl"}  # the first evaluation set: reported, never tuned on
    files = [
        p
        for p in sorted(EVAL.rglob("*.jsonl"))
        if "test" not in p.name and p.name not in frozen and "handbooks" not in p.parts
    ]
    return files


def cases() -> list[dict]:
    out = []
    for path in dev_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                case["file"] = str(path.relative_to(EVAL))
                out.append(case)
    return out


def print_cases(groups: tuple[tuple[str, list[dict]], ...]) -> None:
    """One line per case of each group: its label, its file and its text."""
    for label, group in groups:
        for c in group:
            print(label, c["file"], c["text"])


def main() -> None:
    from nura_appliance.conversation.signals import sentiment, wants_human

    show = "--show" in sys.argv
    all_cases = cases()
    asks = [c for c in all_cases if c["expect"].get("handoff")]
    others = [c for c in all_cases if "sentiment" not in c["expect"] and not c["expect"].get("handoff")]
    angry = [c for c in all_cases if c["expect"].get("sentiment") == "negative"]
    calm = [c for c in all_cases if c["expect"].get("sentiment") == "neutral"]
    missed = [c for c in asks if not wants_human(c["text"], c.get("lang"))]
    false_asks = [c for c in others if wants_human(c["text"], c.get("lang"))]
    questions = [c for c in others if not c["expect"].get("handoff_ok") and "outage" not in c["file"]]
    angry_questions = [c for c in questions if sentiment(c["text"]) == "negative"]
    missed_anger = [c for c in angry if sentiment(c["text"]) != "negative"]
    false_anger = [c for c in calm if sentiment(c["text"]) == "negative"]
    print(
        f"hand-off recall {len(asks) - len(missed)}/{len(asks)}; other messages read as a request {len(false_asks)}/{len(others)}"
    )
    # The pipeline reads Arabizi against the knowledge base's words too: the same counts with each
    # pack's vocabulary (a pack word can take the place of a dialect word of the request).
    from nura_appliance.conversation.pipeline import arabic_vocabulary

    for pack in (EVAL.parent / "default-pack.json", EVAL / "operator2" / "pack.json"):
        vocabulary = arabic_vocabulary(json.loads(pack.read_text(encoding="utf-8"))["articles"])
        missed_v = [c for c in asks if not wants_human(c["text"], c.get("lang"), vocabulary)]
        false_v = [c for c in others if wants_human(c["text"], c.get("lang"), vocabulary)]
        print(
            f"  with {pack.name}'s vocabulary: recall {len(asks) - len(missed_v)}/{len(asks)}; "
            f"others read as a request {len(false_v)}/{len(others)}"
        )
        if show:
            print_cases((("  MISSED-WITH-VOCABULARY", missed_v), ("  FALSE-WITH-VOCABULARY", false_v)))
    print(
        f"anger recall {len(angry) - len(missed_anger)}/{len(angry)}; calm read as angry {len(false_anger)}/{len(calm)}; "
        f"article and out-of-scope questions read as angry {len(angry_questions)}/{len(questions)}"
    )
    if show:
        print_cases(
            (
                ("ANGRY-Q", angry_questions),
                ("MISSED", missed),
                ("FALSE", false_asks),
                ("MISSED-ANGER", missed_anger),
                ("FALSE-ANGER", false_anger),
            )
        )


if __name__ == "__main__":
    main()
