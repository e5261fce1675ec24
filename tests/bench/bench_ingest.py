"""Handbook ingestion throughput (pages/s) with the built-in embedder.

A synthetic handbook (Arabic, Kurmanji and English markdown pages of about 2,500 characters —
one printed page — each with headings, lists and varied wording) is generated in a temp dir and
ingested through :func:`nura_appliance.knowledge.ingest.ingest_paths`, the code behind
``nura knowledge ingest`` and the admin upload, into a fresh data dir.

Baselines measured in the same run:

* *extract + chunk only* — reading and chunking the same pages without embedding or indexing,
  so the ratio shows what embedding and durable indexing cost on top of plain text handling;
* *re-ingest unchanged* — the second run over the same folder, where every file's SHA-256
  matches and nothing is re-embedded.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import save

from nura_appliance.context import build_context
from nura_appliance.knowledge.ingest import chunk_sections, extract, ingest_paths
from nura_appliance.knowledge.service import install_knowledge
from nura_appliance.settings import load_settings

WORDS = {
    "ar": (
        "الانترنت",
        "الباقة",
        "الرصيد",
        "الراوتر",
        "الشريحة",
        "الفاتورة",
        "التجوال",
        "الاشتراك",
        "السرعة",
        "الشبكة",
        "التفعيل",
        "الإعدادات",
        "الجهاز",
        "الخدمة",
        "العميل",
        "الدفع",
        "التحويل",
        "الرسائل",
        "المكالمات",
        "التغطية",
        "اعادة",
        "تشغيل",
        "اضغط",
        "اختر",
        "تأكد",
        "من",
        "ثم",
        "على",
        "في",
        "عند",
    ),
    "ku": (
        "înternet",
        "pakêt",
        "kredî",
        "rûter",
        "sîm",
        "fatûre",
        "roaming",
        "abonetî",
        "lez",
        "tor",
        "çalak",
        "mîheng",
        "amûr",
        "xizmet",
        "xerîdar",
        "dravdan",
        "veguhastin",
        "peyam",
        "telefon",
        "kişandin",
        "dîsa",
        "vekirin",
        "bitikîne",
        "hilbijêre",
        "piştrast",
        "bibe",
        "paşê",
        "li",
        "ser",
        "di",
    ),
    "en": (
        "internet",
        "bundle",
        "balance",
        "router",
        "SIM",
        "invoice",
        "roaming",
        "subscription",
        "speed",
        "network",
        "activate",
        "settings",
        "device",
        "service",
        "customer",
        "payment",
        "transfer",
        "messages",
        "calls",
        "coverage",
        "restart",
        "press",
        "choose",
        "make",
        "sure",
        "then",
        "on",
        "in",
        "the",
        "when",
    ),
}
PAGE_CHARS = 2500


def _sentence(rng: random.Random, lang: str) -> str:
    words = rng.choices(WORDS[lang], k=rng.randint(7, 16))
    end = "؟" if lang == "ar" and rng.random() < 0.1 else "."
    return " ".join(words) + end


def make_page(rng: random.Random, number: int) -> tuple[str, str]:
    """One markdown page of about PAGE_CHARS characters; returns (file name, text)."""
    lang = ("ar", "ar", "ku", "en")[number % 4]
    lines = [f"# {' '.join(rng.choices(WORDS[lang], k=4))} {number}", ""]
    size = len(lines[0])
    while size < PAGE_CHARS:
        heading = f"## {' '.join(rng.choices(WORDS[lang], k=3))}"
        paragraph = " ".join(_sentence(rng, lang) for _ in range(rng.randint(3, 6)))
        steps = [f"- {_sentence(rng, lang)}" for _ in range(rng.randint(0, 3))]
        block = [heading, "", paragraph, *steps, ""]
        lines.extend(block)
        size += sum(len(b) + 1 for b in block)
    return f"page-{number:04d}-{lang}.md", "\n".join(lines)


def write_corpus(folder: Path, pages: int, seed: int = 12) -> int:
    rng = random.Random(seed)
    total = 0
    for number in range(pages):
        name, text = make_page(rng, number)
        (folder / name).write_text(text, encoding="utf-8")
        total += len(text)
    return total


def extract_only(folder: Path, size: int, overlap: int) -> tuple[float, int]:
    """The baseline: read, extract and chunk every page, nothing embedded or stored."""
    started = time.perf_counter()
    chunks = 0
    for path in sorted(folder.glob("*.md")):
        _, sections = extract(path.name, path.read_bytes())
        chunks += len(chunk_sections(sections, size, overlap))
    return time.perf_counter() - started, chunks


async def ingest_run(data_dir: Path, folder: Path) -> tuple[float, float, dict[str, Any]]:
    settings = load_settings(data_dir=data_dir, overrides={"BACKGROUND_JOBS_ENABLED": False})
    ctx = build_context(settings)
    try:
        await install_knowledge(ctx, background_reindex=False)
        started = time.perf_counter()
        report = await ingest_paths(ctx, [folder], source="bench")
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = await ingest_paths(ctx, [folder], source="bench")
        second = time.perf_counter() - started
        if again["skipped"] != report["ingested"]:
            raise RuntimeError(f"re-ingest skipped {again['skipped']} of {report['ingested']} files")
        return first, second, report
    finally:
        ctx.close()


def main(pages: int = 300) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="nura-ingest-"))
    try:
        corpus = work / "handbook"
        corpus.mkdir()
        chars = write_corpus(corpus, pages)
        settings = load_settings(data_dir=work / "probe")
        base_s, base_chunks = extract_only(corpus, settings.rag_chunk_size, settings.rag_chunk_overlap)
        first, second, report = asyncio.run(ingest_run(work / "data", corpus))
        if report["failed"] or report["ingested"] != pages:
            raise RuntimeError(f"ingestion failed: {report}")
        result = {
            "pages": pages,
            "chars": chars,
            "chunks": report["chunks"],
            "ingest_s": round(first, 2),
            "pages_per_s": round(pages / first, 1),
            "chunks_per_s": round(report["chunks"] / first, 1),
            "baseline_extract_chunk_s": round(base_s, 3),
            "baseline_pages_per_s": round(pages / base_s, 1),
            "ratio_vs_extract_only": round(base_s / first, 3),
            "reingest_unchanged_s": round(second, 3),
            "reingest_pages_per_s": round(pages / second, 1),
        }
        print(
            f"ingest {pages} pages ({chars / 1e6:.2f} M chars, {report['chunks']} chunks): {first:.1f} s = "
            f"{result['pages_per_s']} pages/s, {result['chunks_per_s']} chunks/s | extract+chunk only "
            f"{result['baseline_pages_per_s']} pages/s (ingest is {result['ratio_vs_extract_only']:.2f}× of it) "
            f"| unchanged re-ingest {result['reingest_pages_per_s']} pages/s"
        )
        save("ingest", result)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
