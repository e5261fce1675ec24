"""Memory and time of ingesting a large .docx and of a decompression bomb (issue 19).

Each case runs in a fresh Python process (RSS from /proc/self/status): the RSS before, at the
peak and after the ingest (after ``malloc_trim``, which ``run_ingest_job`` calls), and the time.
The bomb is a real .docx with an extra part of zeros that inflates to ``bomb_mb`` MB (the attack
run used 60 MB: 335 s and 152 MB → 1.34 GB before the archive check).

``python tests/bench/bench_ingest_memory.py [paragraphs] [bomb_mb]``
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import RESULTS  # noqa: E402

CHILD = r"""
import asyncio, io, json, sys, time, zipfile
from pathlib import Path

def rss_mb(field="VmRSS"):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0

def docx(paragraphs, junk):
    from docx import Document
    d = Document()
    d.add_heading("Handbook", level=1)
    for i in range(paragraphs):
        if i % 50 == 0:
            d.add_heading(f"Section {i // 50}", level=2)
        d.add_paragraph(f"Paragraph {i}: the monthly plan number {i} costs {i % 90 + 10} dollars and includes {i % 7 + 1} GB.")
    buf = io.BytesIO(); d.save(buf)
    if not junk:
        return buf.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        with dst.open("word/media/junk.bin", "w") as part:
            for _ in range(junk):
                part.write(b"\0" * 1_000_000)
    return out.getvalue()

async def run(data_dir, paragraphs, junk):
    from nura_appliance.context import build_context
    from nura_appliance.knowledge.routes import _upload_dir, run_ingest_job
    from nura_appliance.settings import load_settings
    settings = load_settings(overrides={"LOAD_DEFAULT_KNOWLEDGE": False, "JOB_WORKER_ENABLED": False, "API_KEY": "bench-key-Qm7vY2pLx9TfR4sWk8Zb", "ADMIN_SECRET_KEY": "bench-secret-p8XwV3nT6rQ1mK9sL4yB7cF2dG5hJ0zA"}, data_dir=data_dir, environ={})
    ctx = build_context(settings)
    data = docx(paragraphs, junk)
    (_upload_dir(ctx) / "big.docx").write_bytes(data)
    run_id = await ctx.db.write(lambda c: (c.execute("INSERT INTO ingestion_logs (source, status, started_at) VALUES ('bench', 'queued', 0)"), c.last_insert_rowid())[1])
    before = rss_mb()
    started = time.perf_counter()
    await run_ingest_job(ctx, {"run_id": run_id, "files": [{"stored_name": "big.docx", "name": "big.docx"}]})
    seconds = time.perf_counter() - started
    row = await ctx.db.fetchone("SELECT status, chunks, error, detail FROM ingestion_logs WHERE id = ?", (run_id,))
    after = rss_mb()
    peak = rss_mb("VmHWM")
    ctx.close()
    return {"file_bytes": len(data), "status": row["status"], "chunks": row["chunks"], "detail": (row["detail"] or "")[:300],
            "seconds": round(seconds, 2), "rss_before_mb": round(before, 1), "rss_peak_mb": round(peak, 1), "rss_after_mb": round(after, 1)}

print(json.dumps(asyncio.run(run(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))))
"""


def _case(paragraphs: int, junk_mb: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="nura-ingest-mem-") as work:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(Path(work) / "data"), str(paragraphs), str(junk_mb)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-3000:])
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main(paragraphs: int = 20_000, bomb_mb: int = 60) -> dict[str, Any]:
    result = {"large_docx": _case(paragraphs, 0), "bomb_docx": _case(200, bomb_mb)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest_memory.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(main(*args), indent=2))
