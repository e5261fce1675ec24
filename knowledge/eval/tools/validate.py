"""Check every evaluation file under knowledge/eval: JSON parses, cases are well formed, and the
article ids the cases expect exist in the pack the set goes with.

Usage: python knowledge/eval/tools/validate.py   (exit status 1 on any problem)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from caselib import LANGS, kind_of, read_cases  # noqa: E402

EVAL = Path(__file__).resolve().parent.parent
KNOWLEDGE = EVAL.parent
# Which pack each case folder goes with (folders without article cases map to None).
PACK_OF = {
    "operator2": EVAL / "operator2" / "pack.json",
    "default-more": KNOWLEDGE / "default-pack.json",
    "sentiment": None,
    "handbooks/zagros": EVAL / "operator2" / "pack.json",
    "handbooks/nahr": EVAL / "handbooks" / "nahr" / "pack.json",
    "handbooks/tiny": None,
    "lang-dev2/default": KNOWLEDGE / "default-pack.json",
    "lang-dev2/operator2": EVAL / "operator2" / "pack.json",
    "lang-dev2/sentiment": None,
    "oos-dev3/default": KNOWLEDGE / "default-pack.json",
    "oos-dev3/operator2": EVAL / "operator2" / "pack.json",
    "oos-dev4/default": KNOWLEDGE / "default-pack.json",
    "oos-dev4/operator2": EVAL / "operator2" / "pack.json",
    "oos-dev5/default": KNOWLEDGE / "default-pack.json",
    "oos-dev5/operator2": EVAL / "operator2" / "pack.json",
    "lang-dev11": KNOWLEDGE / "default-pack.json",
    "lang-dev12": KNOWLEDGE / "default-pack.json",
}
EXPECT_KEYS = {
    "article": {"article", "handoff_ok"},
    "article+handoff_ok": {"article", "handoff_ok"},
    "out_of_scope": {"out_of_scope"},
    "handoff": {"handoff"},
    "fact": {"fact", "source"},
    "source": {"source"},
    "sentiment-negative": {"sentiment"},
    "sentiment-neutral": {"sentiment"},
}


def article_ids(pack: Path) -> set[str] | None:
    """Article ids of a pack, or None when the pack is not written yet."""
    if not pack.exists():
        return None
    return {article["id"] for article in json.loads(pack.read_text(encoding="utf-8"))["articles"]}


def handbook_text(folder: Path) -> tuple[str, set[str]]:
    """The source text of a handbook folder's documents and their file names.

    Markdown is read as is; for a PDF the script that wrote it (``make_guide.py``) stands in,
    since the facts are written there verbatim.
    """
    docs = folder / "docs"
    if not docs.is_dir():
        return "", set()
    names = {path.name for path in docs.iterdir()}
    parts = [path.read_text(encoding="utf-8") for path in sorted(docs.glob("*.md"))]
    if (folder / "make_guide.py").exists():
        parts.append((folder / "make_guide.py").read_text(encoding="utf-8"))
    return "\n".join(parts), names


def check_folder(folder: str, problems: list[str]) -> int:
    """Validate the case files of one folder; return how many cases were checked."""
    pack = PACK_OF[folder]
    ids = article_ids(pack) if pack else None
    source_text, source_names = handbook_text(EVAL / folder)
    checked = 0
    texts: dict[str, Path] = {}
    for path in sorted((EVAL / folder).glob("*.jsonl")):
        try:
            cases = read_cases(path)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        for number, case in enumerate(cases, start=1):
            where = f"{path.relative_to(KNOWLEDGE.parent)}:{number}"
            checked += 1
            if not isinstance(case.get("text"), str) or not case["text"].strip():
                problems.append(f"{where}: empty text")
            if case.get("lang") not in LANGS:
                problems.append(f"{where}: lang {case.get('lang')!r}")
            try:
                kind = kind_of(case)
            except (KeyError, ValueError) as exc:
                problems.append(f"{where}: {exc}")
                continue
            extra = set(case["expect"]) - EXPECT_KEYS[kind]
            if extra:
                problems.append(f"{where}: unexpected expect keys {sorted(extra)}")
            if "article" in case["expect"]:
                if pack is None:
                    problems.append(f"{where}: article case in a folder without a pack")
                elif ids is not None and case["expect"]["article"] not in ids:
                    problems.append(f"{where}: article {case['expect']['article']!r} not in {pack.name}")
            fact = case["expect"].get("fact")
            if fact is not None and fact not in source_text:
                problems.append(f"{where}: fact {fact!r} is not in the handbook")
            source = case["expect"].get("source")
            if source is not None and source not in source_names:
                problems.append(f"{where}: source {source!r} is not a file in docs/")
            if case["text"] in texts:
                problems.append(f"{where}: duplicate of a case in {texts[case['text']].name}")
            texts[case["text"]] = path
    return checked


def main() -> int:
    problems: list[str] = []
    for path in sorted(EVAL.rglob("*.json")):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            problems.append(f"{path}: {exc}")
    total = 0
    for folder in PACK_OF:
        if (EVAL / folder).is_dir():
            n = check_folder(folder, problems)
            print(f"{folder}: {n} cases")
            total += n
    for problem in problems:
        print("PROBLEM", problem)
    print(f"{total} cases checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
