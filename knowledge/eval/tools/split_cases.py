"""Split evaluation cases into a dev and a frozen test file, stratified, by a seeded shuffle.

Run ONCE per set when the cases are written (that run's output is committed); never re-run to
"improve" a split. The split depends only on the set of cases, not on their order or on which
file they are in: cases are sorted canonically, grouped by (kind, lang, variety), each group is
shuffled with a seed derived from SEED and the group name, and the first round(0.4 * n) go to
dev. So anyone can check a committed split with

    python knowledge/eval/tools/split_cases.py --check DIR/dev.jsonl DIR/test.jsonl

which re-splits the union of the two files and compares.

Usage: split_cases.py POOL.jsonl [POOL2.jsonl ...] --dev DEV.jsonl --test TEST.jsonl [--strata kind,lang]

Strata used: kind,lang,variety (the default) for operator2, default-more and sentiment;
kind,lang for the handbook questions (handbooks/*).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from caselib import kind_of, read_cases, variety_of, write_cases  # noqa: E402

SEED = 20240917
DEV_SHARE = 0.4


STRATA = {
    "kind": kind_of,
    "lang": lambda case: case["lang"],
    "variety": variety_of,
}


def split(cases: list[dict], strata: tuple[str, ...] = ("kind", "lang", "variety")) -> tuple[list[dict], list[dict]]:
    """Return (dev, test) for a pool of cases; deterministic for a given set of cases.

    Small sets (the handbook questions) use strata ("kind", "lang"): split three ways most of
    their groups would hold one case, which always lands in test.
    """
    groups: dict[tuple[str, ...], list[dict]] = {}
    for case in cases:
        key = tuple(STRATA[name](case) for name in strata)
        groups.setdefault(key, []).append(case)
    dev: list[dict] = []
    test: list[dict] = []
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda c: json.dumps(c, ensure_ascii=False, sort_keys=True))
        digest = hashlib.sha256(f"{SEED}:{'/'.join(key)}".encode()).hexdigest()
        random.Random(int(digest[:16], 16)).shuffle(members)
        n_dev = int(len(members) * DEV_SHARE + 0.5)
        dev.extend(members[:n_dev])
        test.extend(members[n_dev:])
    return dev, test


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pool", nargs="+", type=Path)
    parser.add_argument("--dev", type=Path)
    parser.add_argument("--test", type=Path)
    parser.add_argument("--check", action="store_true", help="pool = committed dev + test; verify")
    parser.add_argument("--strata", default="kind,lang,variety", help="comma-separated: kind, lang, variety")
    args = parser.parse_args()
    pool = [case for path in args.pool for case in read_cases(path)]
    texts = [c["text"] for c in pool]
    if len(set(texts)) != len(texts):
        dupes = sorted({t for t in texts if texts.count(t) > 1})
        print(f"duplicate texts: {dupes}", file=sys.stderr)
        return 1
    dev, test = split(pool, tuple(args.strata.split(",")))
    if args.check:
        committed_dev = read_cases(args.pool[0])
        canon = lambda cs: sorted(json.dumps(c, sort_keys=True, ensure_ascii=False) for c in cs)  # noqa: E731
        same = canon(committed_dev) == canon(dev)
        print(f"{args.pool[0]}: split {'reproduces' if same else 'DOES NOT reproduce'}")
        return 0 if same else 1
    write_cases(args.dev, dev)
    write_cases(args.test, test)
    print(f"{len(dev)} dev, {len(test)} test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
