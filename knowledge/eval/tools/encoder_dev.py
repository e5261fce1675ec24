"""The sentence encoder's signal (ARTICLE_ENCODER=use-m3) on the DEV files only, before/after,
in one process per run (the encoder loads once; each pack is imported once per data dir).

    NURA_LLM_PROVIDER=off APP_ENV=test ADMIN_PASSWORD=evalpass1234 \\
        .venv/bin/python knowledge/eval/tools/encoder_dev.py [--kfold] [--configs NAME,...]

Never reads a frozen file (``test.jsonl``, ``*-test.jsonl``, ``cases.jsonl``). For each pack
(the default pack, operator2) and each configuration (``off``: the encoder unused; others set
the constants of ``knowledge.retrieval`` named in CONFIGS), prints per dev file and pooled:
top-1, answered-and-correct, out-of-scope rejection, the highest confidence an out-of-scope case
was answered with, and the share right among answers at >= 0.9 (with n). ``--kfold``: the
packs' 5-fold example questions (``nura eval PACK --kfold 5``) instead of the dev files.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

EVAL = Path(__file__).resolve().parents[1]
REPO = EVAL.parents[1]
PACKS = {"default": REPO / "knowledge/default-pack.json", "operator2": EVAL / "operator2/pack.json"}
DEV = {
    "default": [
        "default-more/dev.jsonl",
        "default-more/outage-dev.jsonl",
        "lang-dev2/default/dev.jsonl",
        "lang-dev2/default/outage-dev.jsonl",
        "lang-dev8/default-dev.jsonl",
        "lang-dev9/dev.jsonl",
        "lang-dev10/dev.jsonl",
        "oos-dev/dev.jsonl",
        "oos-dev2/dev.jsonl",
        "oos-dev3/default/dev.jsonl",
        "oos-dev3/default/carrier-numbers-dev.jsonl",
        "oos-dev4/default/dev.jsonl",
        "oos-dev5/default/dev.jsonl",
    ],
    "operator2": [
        "operator2/dev.jsonl",
        "lang-dev2/operator2/dev.jsonl",
        "lang-dev8/operator2-dev.jsonl",
        "oos-dev/dev.jsonl",
        "oos-dev2/dev.jsonl",
        "oos-dev3/operator2/dev.jsonl",
        "oos-dev3/operator2/carrier-numbers-dev.jsonl",
        "oos-dev4/operator2/dev.jsonl",
        "oos-dev5/operator2/dev.jsonl",
    ],
}
# The pack-independent hand-off and sentiment dev files (run with the default pack: --all).
OTHER = [
    "sentiment/dev.jsonl",
    "lang-dev2/default/handoff-dev.jsonl",
    "lang-dev2/default/handoff-dev2.jsonl",
    "lang-dev3/default/handoff-dev3.jsonl",
    "lang-dev4/handoff-dev4.jsonl",
    "lang-dev5/dev.jsonl",
    "lang-dev6/dev.jsonl",
    "lang-dev7/dev.jsonl",
    "lang-dev9/dev2.jsonl",
]
# ``off``: the encoder unused; the others set constants of ``knowledge.retrieval`` (the reach
# of the calibration term, which decides when the encoder runs, follows CAL_SEMANTIC and
# SEMANTIC_PIVOT unless given). ``use-m3`` is the shipped setting.
CONFIGS: dict[str, dict[str, float] | None] = {
    "off": None,
    "use-m3": {},
    "cal0.5": {"CAL_SEMANTIC": 0.5},
    "cal1p0.4": {"CAL_SEMANTIC": 1.0, "SEMANTIC_PIVOT": 0.4},
    "cal1p0.6": {"CAL_SEMANTIC": 1.0, "SEMANTIC_PIVOT": 0.6},
    "ungated": {"SEMANTIC_REACH": 99.0},
}
SHIPPED = {"CAL_SEMANTIC": 1.0, "SEMANTIC_PIVOT": 0.5}


def frozen(name: str) -> bool:
    return "test" in Path(name).name or Path(name).name == "cases.jsonl"


def metrics(results: list[dict[str, Any]]) -> dict[str, Any]:
    articles = [r for r in results if "article" in r["expect"] and not r["expect"].get("handoff_ok")]
    outages = [r for r in results if r["expect"].get("handoff_ok")]
    oos = [r for r in results if r["expect"].get("out_of_scope")]
    sure = [r for r in results if r["got"]["kind"] == "article" and r["got"]["confidence"] >= 0.9]
    sure_ok = [r for r in sure if r["expect"].get("article") == r["got"]["article"]]
    answered_oos = [r["got"]["confidence"] for r in oos if r["got"]["kind"] == "article"]

    def share(good: int, total: int) -> str:
        return f"{good / total:.3f}" if total else "-"

    return {
        "n": len(articles),
        "top1": share(
            sum(1 for r in articles if r["got"]["candidates"][:1] == [r["expect"]["article"]]), len(articles)
        ),
        "answered": share(sum(1 for r in articles if r["ok"]), len(articles)),
        "outage_ok": share(sum(1 for r in outages if r["ok"]), len(outages)),
        "oos_n": len(oos),
        "oos_reject": share(sum(1 for r in oos if r["ok"]), len(oos)),
        "oos_max": f"{max(answered_oos):.3f}" if answered_oos else "-",
        "p90": f"{share(len(sure_ok), len(sure))} ({len(sure)})",
        "all_ok": share(sum(1 for r in results if r["ok"]), len(results)),
    }


def apply(config: dict[str, float] | None, matcher: Any, encoder: Any) -> None:
    from nura_appliance.knowledge import retrieval

    values = {**SHIPPED, **(config or {})}
    values.setdefault(
        "SEMANTIC_REACH", values["CAL_SEMANTIC"] * max(values["SEMANTIC_PIVOT"], 1 - values["SEMANTIC_PIVOT"])
    )
    for key, value in values.items():
        setattr(retrieval, key, value)
    matcher.encoder = None if config is None else encoder


async def run_dir(pack: dict[str, Any], files: dict[str, list[dict[str, Any]]], configs: list[str]) -> dict:
    from nura_appliance.app import create_app, start_context
    from nura_appliance.cli.main import settings_for
    from nura_appliance.knowledge.evaluation import run_cases

    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    with tempfile.TemporaryDirectory(prefix="h16use-enc-") as scratch:
        settings = settings_for(
            Path(scratch), BACKGROUND_JOBS_ENABLED=False, LOAD_DEFAULT_KNOWLEDGE=False, ARTICLE_ENCODER="use-m3"
        )
        ctx = await start_context(create_app(settings), settings)
        try:
            await ctx.knowledge.load_pack(pack)
            if ctx.llm is not None:
                ctx.llm.enabled = False
            matcher = ctx.pipeline.matcher
            encoder = matcher.encoder
            await matcher.decide("warm up", "ar")  # the snapshot is built with the encoder's vectors
            decide = matcher.decide
            counts = {"decisions": 0, "encoded": 0}

            async def counted(text: str, lang: str) -> Any:
                counts["decisions"] += 1
                decision = await decide(text, lang)
                counts["encoded"] += "semantic" in decision.signals
                return decision

            matcher.decide = counted
            for name in configs:
                apply(CONFIGS[name], matcher, encoder)
                out[name] = {}
                counts.update(decisions=0, encoded=0)
                for file, cases in files.items():
                    ctx.pipeline._decisions_stamp = None  # noqa: SLF001 - a fresh decision cache per config
                    out[name][file] = (await run_cases(ctx, cases))["cases"]
                out[name]["_encoded"] = [dict(counts)]
        finally:
            ctx.close()
    return out


def main() -> None:
    from nura_appliance.knowledge.evaluation import load_cases
    from nura_appliance.knowledge.kfold import folds
    from nura_appliance.knowledge.pack import read_pack_file, validate_pack

    parser = argparse.ArgumentParser()
    parser.add_argument("--kfold", action="store_true")
    parser.add_argument("--all", action="store_true", help="also the hand-off and sentiment dev files")
    parser.add_argument("--configs", default="off,use-m3")
    parser.add_argument("--packs", default="default,operator2")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    configs = args.configs.split(",")
    report: dict[str, Any] = {}
    for name in args.packs.split(","):
        pack = read_pack_file(PACKS[name])
        if args.kfold:
            pooled: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
            for trained, cases in folds(pack, 5):
                found = asyncio.run(run_dir(validate_pack(trained), {"fold": cases}, configs))
                for config in configs:
                    for result, case in zip(found[config]["fold"], cases, strict=True):
                        result["lang"] = case["lang"]
                    pooled[config].extend(found[config]["fold"])
            by_lang = {}
            for config in configs:
                by_lang[config] = {"all": metrics(pooled[config])}
                for lang in ("ar", "ckb", "ku", "en"):
                    by_lang[config][lang] = metrics([r for r in pooled[config] if _lang(r) == lang])
            report[f"{name} kfold5"] = by_lang
            continue
        names = DEV[name] + (OTHER if args.all and name == "default" else [])
        assert not any(frozen(n) for n in names)
        files = {n: load_cases(EVAL / n) for n in names}
        found = asyncio.run(run_dir(validate_pack(pack), files, configs))
        for config in configs:
            rows = {file: metrics(found[config][file]) for file in names}
            rows["POOLED"] = metrics([r for file in names for r in found[config][file]])
            rows["POOLED"]["encoded"] = found[config]["_encoded"][0]
            report.setdefault(name, {})[config] = rows
    for title, by_config in report.items():
        print(f"\n== {title}")
        keys = next(iter(by_config.values())).keys()
        for key in keys:
            for config, rows in by_config.items():
                m = rows[key]
                print(
                    f"{key:44} {config:14} n={m['n']:<4} top1={m['top1']:6} ans={m['answered']:6} "
                    f"outage={m['outage_ok']:6} oos={m['oos_reject']:6}({m['oos_n']}) oosmax={m['oos_max']:6} "
                    f"p90={m['p90']:12} ok={m['all_ok']}" + (f" encoded={m['encoded']}" if "encoded" in m else "")
                )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


def _lang(result: dict[str, Any]) -> str:
    return str(result.get("lang"))


if __name__ == "__main__":
    main()
