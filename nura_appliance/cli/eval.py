"""``nura eval CASES.jsonl [--json] [--with-llm]``: score the live pipeline on evaluation cases."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from nura_appliance.cli.main import DataDir, fail, settings_for
from nura_appliance.errors import NuraError


async def _evaluate(
    settings: Any, cases: list[dict[str, Any]], with_llm: bool, pack: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build the same context ``nura serve`` builds — every feature's start-up hook included —
    and run the cases through its pipeline."""
    from nura_appliance.app import create_app, start_context
    from nura_appliance.knowledge.evaluation import run_cases

    ctx = await start_context(create_app(settings), settings)
    try:
        if pack is not None:  # k-fold: this fold's pack into this fold's scratch data dir
            await ctx.knowledge.load_pack(pack)
        llm = ctx.llm
        if not with_llm and llm is not None:
            # Offline: handbook questions get the extractive answer, exactly as with the AI
            # switch off (in memory only; the stored switch is not touched).
            llm.enabled = False
        return await run_cases(ctx, cases)
    finally:
        ctx.close()


def _print_report(report: dict[str, Any], show_misses: int) -> None:
    s = report["summary"]

    def pct(value: float | None) -> str:
        return "  n/a" if value is None else f"{100 * value:5.1f}%"

    mood = f", {s['counts']['sentiment']} sentiment" if s["counts"].get("sentiment") else ""
    typer.echo(
        f"cases: {s['cases']}  ({s['counts']['article']} article, {s['counts']['out_of_scope']} out of scope,"
        f" {s['counts']['handoff']} hand-off{mood})   {s['ms_per_case']} ms/case"
    )
    typer.echo(f"top-1 accuracy           {pct(s['top1'])}")
    typer.echo(f"answered and correct     {pct(s['answered_correct'])}")
    typer.echo(f"out-of-scope rejection   {pct(s['out_of_scope_rejection'])}")
    typer.echo(f"hand-off recall          {pct(s['handoff_recall'])}")
    sure = s.get("confident") or {}
    if sure.get("answered"):
        top = sure["max_out_of_scope_answered"]
        typer.echo(
            f"answers at >= 0.9 right  {pct(sure['precision'])} of {sure['answered']}"
            + (f"   out of scope answered at up to {top:.2f}" if top is not None else "")
        )
    complaints = s.get("complaints")
    if complaints:
        typer.echo(
            f"complaints (article or hand-off) {pct(complaints['ok'])} of {complaints['cases']},"
            f" scope refusals {complaints['scope_refusals']}"
        )
    mood_row = s.get("sentiment")
    if mood_row:
        typer.echo(
            f"anger: negative recall {pct(mood_row['negative_recall'])} of {mood_row['negative']},"
            f" neutral read as negative {mood_row['neutral_false_positives']} of {mood_row['neutral']}"
        )
    handbook = s.get("handbook")
    if handbook:
        typer.echo(f"\nhandbook cases: {handbook['cases']}")
        typer.echo(f"  answer carries the fact   {pct(handbook['answer_has_fact'])}")
        typer.echo(f"  fact in the prompt passages {pct(handbook['fact_in_context'])}")
        if handbook["llm_called"]:
            typer.echo(
                f"  fact in the prompt sent   {pct(handbook['fact_in_prompt'])} ({handbook['llm_called']} LLM calls)"
            )
        hits = "  ".join(f"hit@{k} {pct(handbook[f'hit@{k}'])}" for k in (1, 3, 5))
        typer.echo(f"  retrieval                 {hits}")
        typer.echo(
            f"  out of scope: no passage  {pct(handbook['no_passage'])}   scope message {pct(handbook['scope_kept'])}"
        )
    typer.echo("\nper language:")
    for lang, row in s["per_language"].items():
        typer.echo(f"  {lang}: {row['cases']:4} cases  ok {pct(row['ok'])}  top-1 {pct(row['top1'])}")
    if s.get("per_variety"):
        typer.echo("\nper written variety:")
        for variety, row in s["per_variety"].items():
            typer.echo(f"  {variety:10} {row['cases']:4} cases  ok {pct(row['ok'])}  top-1 {pct(row['top1'])}")
    typer.echo("\nper article (top-1 / answered-and-correct):")
    for article_id, row in s["per_article"].items():
        typer.echo(f"  {article_id:24} {row['cases']:3}  {pct(row['top1'])}  {pct(row['answered_correct'])}")
    misses = [c for c in report["cases"] if not c["ok"]]
    if misses:
        typer.echo(f"\nmisses ({len(misses)}):")
        for case in misses[:show_misses]:
            got = case["got"]
            want = json.dumps(case["expect"], ensure_ascii=False)
            typer.echo(f"  {want} got {got['kind']} {got['article'] or ''} ({got['confidence']:.2f}): {case['text']}")
        if len(misses) > show_misses:
            typer.echo(f"  … and {len(misses) - show_misses} more (--json shows all)")


def eval_command(
    cases_file: Annotated[Path, typer.Argument(help="JSON-lines file of evaluation cases.")],
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object {summary, cases}.")] = False,
    with_llm: Annotated[
        bool,
        typer.Option("--with-llm", help="Let the configured LLM answer handbook questions (else extractive answers)."),
    ] = False,
    show_misses: Annotated[int, typer.Option(help="How many misses to list.")] = 40,
    kfold: Annotated[
        int | None,
        typer.Option(
            "--kfold",
            help="K-fold over example questions: the argument is a pack; each fold imports it without"
            " 1/K of its examples (into a scratch data dir) and asks those as questions.",
        ),
    ] = None,
) -> None:
    """Run evaluation cases through the same pipeline as /v1/message and print the scores.

    Each line: {"text": "...", "lang"?: "ar|ckb|ku|en", "variety"?: "iraqi", "expect": {"article": ID}
    | {"article": ID, "handoff_ok": true} | {"out_of_scope": true} | {"handoff": true}
    | {"sentiment": "negative|neutral"} | {"fact": "55000"} | {"source": "file.md"}}. Uses the
    knowledge in --data-dir (import a pack and ingest the handbook first).

    Example: nura eval knowledge/eval/cases.jsonl --json
    """
    from nura_appliance.knowledge.evaluation import load_cases

    if kfold is not None:
        report = _kfold_report(cases_file, kfold)
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False))
        else:
            _print_report(report, show_misses)
            folds = "  ".join(f"{f['top1']:.3f}/{f['answered_correct']:.3f}" for f in report["summary"]["folds"])
            typer.echo(f"\nper fold (top-1/answered-and-correct): {folds}")
        return
    settings = settings_for(data_dir, BACKGROUND_JOBS_ENABLED=False)
    try:
        cases = load_cases(cases_file)
        report = asyncio.run(_evaluate(settings, cases, with_llm))
    except NuraError as exc:
        fail(exc.message)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        _print_report(report, show_misses)


def _kfold_report(pack_file: Path, k: int) -> dict[str, Any]:
    """Run every fold of ``nura eval PACK --kfold K`` in its own scratch data dir (never the
    configured one) and combine the folds."""
    import tempfile

    from nura_appliance.knowledge.kfold import combine, folds
    from nura_appliance.knowledge.pack import read_pack_file, validate_pack

    try:
        pack = read_pack_file(pack_file)
        reports, asked = [], []
        for trained, cases in folds(pack, k):
            asked.append(cases)
            with tempfile.TemporaryDirectory(prefix="nura-kfold-") as scratch:
                settings = settings_for(Path(scratch), BACKGROUND_JOBS_ENABLED=False, LOAD_DEFAULT_KNOWLEDGE=False)
                reports.append(asyncio.run(_evaluate(settings, cases, False, validate_pack(trained))))
    except NuraError as exc:
        fail(exc.message)
    return combine(reports, asked)
