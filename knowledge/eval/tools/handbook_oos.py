"""Out-of-scope questions answered from the handbook, on DEV files only (never a test file).

    PYTHONPATH=. APP_ENV=test ADMIN_PASSWORD=evalpass1234 NURA_LLM_PROVIDER=off \
        .venv/bin/python knowledge/eval/tools/handbook_oos.py DATA_DIR FILE.jsonl... [--show]

``nura eval`` folds the handbook's ``rag`` answers into ``fallback`` for out-of-scope cases and
reports ``no_passage`` only for files with handbook cases; an out-of-scope-only file
(``zagros/dev5.jsonl``, ``nahr/dev4.jsonl``) has none. This asks the same pipeline offline (the
AI switch off in memory, as ``nura eval``) and counts, per file, the out-of-scope questions that
got a handbook passage; ``--show`` prints them with the passage quoted.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path


async def main(data_dir: Path, files: list[str], show: bool) -> None:
    from nura_appliance.app import create_app, start_context
    from nura_appliance.cli.main import settings_for
    from nura_appliance.knowledge.language import detect_with_hint

    if any(Path(f).name == "test.jsonl" or f.endswith("-test.jsonl") for f in files):
        raise SystemExit("dev files only")
    settings = settings_for(data_dir)
    ctx = await start_context(create_app(settings), settings)
    try:
        if ctx.llm is not None:
            ctx.llm.enabled = False
        await ctx.pipeline.refresh(force=True)
        for name in files:
            cases = [json.loads(line) for line in Path(name).read_text(encoding="utf-8").splitlines() if line.strip()]
            oos = [c for c in cases if c["expect"].get("out_of_scope")]
            quoted = []
            for case in oos:
                lang = detect_with_hint(case["text"], case.get("lang"), settings.default_lang)
                answer = await ctx.pipeline.answer(case["text"], lang, {"eval": True})
                if answer.kind == "rag":
                    quoted.append((case["text"], answer.response))
            print(f"{name}: out of scope {len(oos)}, handbook passage {len(quoted)}")
            for text, response in quoted if show else []:
                print(f"  {text} | {response[:160]!r}")
    finally:
        ctx.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--show"]
    asyncio.run(main(Path(args[0]), args[1:], "--show" in sys.argv))
