"""Print Markdown mix tables (kind x language, and Arabic variety) for evaluation case files.

Usage: mix_table.py [--readme README.md] DIR_OR_FILE [...]   (a directory means its dev.jsonl and test.jsonl pair,
plus any other *-dev.jsonl / *-test.jsonl pairs in it)
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from caselib import LANGS, kind_of, read_cases, variety_of  # noqa: E402


def table(files: list[Path]) -> str:
    """Kind x language counts, per split and in total, plus the variety breakdown."""
    counts: Counter = Counter()
    varieties: Counter = Counter()
    kinds: list[str] = []
    for path in files:
        split = "dev" if path.stem.endswith("dev") else "test"
        for case in read_cases(path):
            kind = kind_of(case)
            if kind not in kinds:
                kinds.append(kind)
            counts[(kind, case["lang"], split)] += 1
            varieties[(variety_of(case), split)] += 1
    langs = [lang for lang in LANGS if any(k[1] == lang for k in counts)]
    head = "| kind | " + " | ".join(f"{lang} (dev/test)" for lang in langs) + " | total (dev/test) |"
    rows = [head, "|" + "---|" * (len(langs) + 2)]

    def cell(dev: int, test: int) -> str:
        return f"{dev + test} ({dev}/{test})"

    for kind in kinds:
        cells = [cell(counts[(kind, lang, "dev")], counts[(kind, lang, "test")]) for lang in langs]
        dev = sum(counts[(kind, lang, "dev")] for lang in langs)
        test = sum(counts[(kind, lang, "test")] for lang in langs)
        rows.append(f"| {kind} | " + " | ".join(cells) + f" | {cell(dev, test)} |")
    totals = [
        cell(sum(counts[(k, lang, "dev")] for k in kinds), sum(counts[(k, lang, "test")] for k in kinds))
        for lang in langs
    ]
    dev = sum(v for k, v in counts.items() if k[2] == "dev")
    test = sum(v for k, v in counts.items() if k[2] == "test")
    rows.append("| **total** | " + " | ".join(totals) + f" | {cell(dev, test)} |")
    names = sorted({v for v, _ in varieties})
    rows.append("")
    rows.append(
        "Written variety (dev/test): "
        + ", ".join(f"{name} {cell(varieties[(name, 'dev')], varieties[(name, 'test')])}" for name in names)
    )
    return "\n".join(rows)


def pairs(target: Path) -> list[list[Path]]:
    """The dev/test file pairs a path names."""
    if target.is_file():
        return [[target]]
    found = []
    for dev in sorted(target.glob("*dev.jsonl")):
        test = dev.with_name(dev.name[: -len("dev.jsonl")] + "test.jsonl")
        found.append([dev, test] if test.exists() else [dev])
    return found


def main() -> int:
    """Print the tables, or with --readme README.md rewrite its mix:start/mix:end section."""
    args = sys.argv[1:]
    readme = None
    if args[:1] == ["--readme"]:
        readme, args = Path(args[1]), args[2:]
    out = []
    for arg in args:
        for group in pairs(Path(arg)):
            out.append(f"#### {' + '.join(p.as_posix() for p in group)}\n")
            out.append(table(group) + "\n")
    text = "\n".join(out)
    if readme is None:
        print(text)
        return 0
    body = readme.read_text(encoding="utf-8")
    start, end = "<!-- mix:start -->\n", "<!-- mix:end -->"
    head, rest = body.split(start, 1)
    readme.write_text(head + start + "\n" + text + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
