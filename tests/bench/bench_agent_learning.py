"""What accepting agents' proposals does to the answers, through ``nura`` itself (issue 16).

Agents resolve hand-offs of the questions a pack answers wrongly on one case file (``DEV``) and
name the right article; an admin accepts every proposal (the question becomes an example question
of that article — what the Knowledge gaps page's Accept button saves). ``nura eval`` is then run
before and after on ``DEV`` (the accepted questions must now be answered) and on ``OTHER``, a case
file whose questions were never accepted (nothing else may get worse). Scratch data dirs only;
use dev files, never test files (their questions would become examples).

    .venv/bin/python tests/bench/bench_agent_learning.py knowledge/eval/operator2/pack.json \\
        knowledge/eval/operator2/dev.jsonl knowledge/eval/lang-dev2/operator2/dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

NURA = [sys.executable, "-m", "nura_appliance"]
KEYS = ("top1", "answered_correct", "out_of_scope_rejection")


def nura(*args: str) -> str:
    return subprocess.run([*NURA, *args], capture_output=True, text=True, check=True).stdout


def evaluate(cases: Path, data: Path) -> dict[str, Any]:
    return json.loads(nura("eval", str(cases), "--data-dir", str(data), "--json"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pack", type=Path)
    parser.add_argument("dev", type=Path)
    parser.add_argument("other", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nura-learning-"))
    try:
        nura("knowledge", "import", str(args.pack), "--data-dir", str(folder / "before"))
        before = evaluate(args.dev, folder / "before")
        before_other = evaluate(args.other, folder / "before")["summary"]
        langs = {}
        for line in args.dev.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                langs[case["text"]] = case.get("lang") or "ar"
        missed = [c for c in before["cases"] if "article" in c["expect"] and not c["ok"]]
        pack = json.loads(args.pack.read_text(encoding="utf-8"))
        articles = {a["id"]: a for a in pack["articles"]}
        for case in missed:  # what one click on "Accept as example" saves, per proposal
            examples = articles[case["expect"]["article"]].setdefault("examples", {})
            examples.setdefault(langs[case["text"]], []).append(case["text"])
        learned = folder / "learned.json"
        learned.write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")
        nura("knowledge", "import", str(learned), "--data-dir", str(folder / "after"))
        after = evaluate(args.dev, folder / "after")["summary"]
        after_other = evaluate(args.other, folder / "after")["summary"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "accepted": len(missed),
        "dev": {k: [before["summary"][k], after[k]] for k in KEYS},
        "other": {k: [before_other[k], after_other[k]] for k in KEYS},
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
