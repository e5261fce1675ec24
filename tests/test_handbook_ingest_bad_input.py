"""Handbook ingestion and bad input (issue 17): an image-only or empty PDF, a handbook in a language
the pack does not declare, the same file twice, a 5 MB single-paragraph file, an ingestion that
dies half-way. Each gets a clear report, nothing half-indexed, and a large file never holds the
single writer in one long transaction (customer messages wait for the writer)."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from handbook_support import ONE_ARTICLE_PACK, PRICE_TABLE

from nura_appliance.context import build_context
from nura_appliance.knowledge.ingest import ingest_file, ingest_paths, purge_hidden
from nura_appliance.knowledge.pack import validate_pack
from nura_appliance.knowledge.service import install_knowledge
from nura_appliance.storage.base import STAGE_BATCH
from nura_appliance.storage.stores import handbook_store_for


@pytest.fixture
async def kctx(data_dir: Path) -> Any:
    ctx = build_context(make_settings(data_dir, LOAD_DEFAULT_KNOWLEDGE=False, UPLOAD_MAX_BYTES=6_000_000))
    await install_knowledge(ctx, background_reindex=False)
    yield ctx
    ctx.close()


async def counts(ctx: Any) -> dict[str, int]:
    row = await ctx.db.fetchone(
        "SELECT (SELECT count(*) FROM handbook_docs) AS docs, (SELECT count(*) FROM handbook_chunks) AS chunks,"
        " (SELECT count(*) FROM chunk_fts) AS fts, (SELECT count(*) FROM kb_vectors WHERE kind = 'chunk') AS vectors"
    )
    return dict(row)


def image_only_pdf() -> bytes:
    """A one-page PDF whose only content is an image (a scan): no text to extract."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


async def test_image_only_and_empty_pdfs_are_reported_and_nothing_is_indexed(kctx: Any, tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(image_only_pdf())
    (tmp_path / "zero.pdf").write_bytes(b"")
    report = await ingest_paths(kctx, [tmp_path / "scan.pdf", tmp_path / "zero.pdf"])
    errors = {row["name"]: row["error"] for row in report["files"]}
    assert "scan.pdf: no text found in the document (a scanned PDF needs OCR first)" == errors["scan.pdf"]
    assert errors["zero.pdf"] == "zero.pdf: the file is empty"
    assert report["status"] == "failed" and await counts(kctx) == {"docs": 0, "chunks": 0, "fts": 0, "vectors": 0}


async def test_a_handbook_in_an_undeclared_language_is_indexed_with_a_warning(kctx: Any) -> None:
    await kctx.knowledge.load_pack(validate_pack(ONE_ARTICLE_PACK))  # declares ar and en
    kurmanji = (
        "# Pakêtên mehane\n\nPakêta Stêrk mehê 12000 dînar e û 20 GB înternet dide. "
        "Ji bo çalakirinê *300# lê bixe û navê pakêtê hilbijêre.\n"
    )
    result = await ingest_file(kctx, "pakêt.md", kurmanji.encode(), "pakêt.md")
    assert result["status"] == "ingested" and result["lang"] == "ku"
    assert result["warnings"] == [
        "pakêt.md: written in Kurmanji Kurdish (ku), a language the knowledge pack does not declare (ar, en);"
        " customers asking in ar, en get its passages in ku"
    ]
    arabic = await ingest_file(kctx, "call-centre.md", PRICE_TABLE.encode(), "call-centre.md")
    assert arabic["status"] == "ingested" and "warnings" not in arabic


async def test_the_same_file_twice_is_indexed_once(kctx: Any, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "handbook.md").write_text(PRICE_TABLE, encoding="utf-8")
    (tmp_path / "copy of handbook.md").write_text(PRICE_TABLE, encoding="utf-8")
    first = await ingest_paths(kctx, [tmp_path / "a"])
    before = await counts(kctx)
    second = await ingest_paths(kctx, [tmp_path / "copy of handbook.md"])
    row = second["files"][0]
    assert first["ingested"] == 1 and second["ingested"] == 0 and second["duplicates"] == 1
    assert row["status"] == "duplicate" and "already indexed as handbook.md" in row["warnings"][0]
    assert second["status"] == "done" and await counts(kctx) == before


@pytest.mark.parametrize(
    ("size", "batches"),
    [
        # The same staging on ~3 batches in the everyday lane, the whole 5 MB (~30 batches, ~2 min on
        # a loaded 2-core machine) in the full suite.
        (500_000, 2),
        pytest.param(5_000_000, 5, marks=pytest.mark.slow),
    ],
    ids=["500kb", "5mb"],
)
async def test_a_5_mb_single_paragraph_is_staged_in_short_transactions(kctx: Any, size: int, batches: int) -> None:
    """The file is written in batches under a hidden staging key and published in one short
    transaction: no single write transaction holds more than a batch of chunks, and the chunks are
    not searchable before the publishing transaction."""
    words = "الباقة الشهرية تشمل الإنترنت والدقائق وتتجدد كل ثلاثين يوماً عند توفر الرصيد".split()
    rng = random.Random(7)
    data = " ".join(f"{rng.choice(words)}{rng.randint(0, 999)}" for _ in range(size // 7)).encode()[:size]
    assert b"\n" not in data and len(data) == size
    writes: list[tuple[int, bool]] = []  # (chunks this transaction added, whether it published)
    original = kctx.db.write

    async def watched(fn: Any) -> Any:
        before = (await counts(kctx))["chunks"]
        version = (await kctx.db.fetchone("SELECT value FROM kb_meta WHERE key = 'version'") or {}).get("value")
        out = await original(fn)
        after = (await counts(kctx))["chunks"]
        now = (await kctx.db.fetchone("SELECT value FROM kb_meta WHERE key = 'version'") or {}).get("value")
        writes.append((after - before, now != version))
        return out

    kctx.db.write = watched
    try:
        result = await ingest_file(kctx, "one-paragraph.txt", data, "one-paragraph.txt")
    finally:
        kctx.db.write = original
    assert result["status"] == "ingested" and result["chunks"] > batches * STAGE_BATCH
    assert max(added for added, _ in writes) <= STAGE_BATCH
    published = [i for i, (_, bumped) in enumerate(writes) if bumped]
    assert len(published) == 1 and writes[published[0]][0] == 0  # publishing adds no rows, it shows them
    stored = await counts(kctx)
    assert stored == {"docs": 1, "chunks": result["chunks"], "fts": result["chunks"], "vectors": result["chunks"]}
    longest = await kctx.db.fetchone("SELECT max(length(text)) AS n FROM handbook_chunks")
    assert longest["n"] <= kctx.settings.rag_chunk_size


async def test_an_interrupted_ingestion_leaves_nothing_visible_and_is_purged(kctx: Any) -> None:
    first = await ingest_file(kctx, "call-centre.md", PRICE_TABLE.encode(), "call-centre.md")
    visible = await counts(kctx)
    store = handbook_store_for(kctx.db, kctx.knowledge.vectors)
    calls = 0
    original = store.stage

    async def dies_on_the_second_batch(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("power cut")
        await original(*args)

    # A new version of the file, large enough for several batches, fails half-way.
    bigger = PRICE_TABLE + "\n" + "\n".join(f"سطر إضافي رقم {i} عن الخدمة." for i in range(12000))
    import nura_appliance.knowledge.ingest as ingest

    real_store = ingest.handbook_store
    ingest.handbook_store = lambda ctx: store  # type: ignore[assignment]
    store.stage = dies_on_the_second_batch  # type: ignore[method-assign]
    try:
        with pytest.raises(RuntimeError):
            await ingest_file(kctx, "call-centre.md", bigger.encode(), "call-centre.md")
    finally:
        ingest.handbook_store = real_store
    assert first["status"] == "ingested" and await counts(kctx) == visible  # purged, the old file whole
    hits = await kctx.retriever.search("كم سعر باقة المريخ؟", "ar", k=3, kinds=("chunk",))
    assert hits and "27000" in hits[0].text

    # A crash between batches leaves a staged document: the next start purges it.
    doc = await kctx.db.fetchone("SELECT * FROM handbook_docs")
    await kctx.db.write(
        lambda c: c.execute(
            "INSERT INTO handbook_docs (path, title, content_hash, chunks, updated_at) VALUES ('staging:x', 't', 'h', 0, 0)"
        )
    )
    await purge_hidden(kctx)
    assert [d["path"] for d in await kctx.db.fetchall("SELECT path FROM handbook_docs")] == [doc["path"]]
