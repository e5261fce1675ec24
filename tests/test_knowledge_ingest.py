"""Handbook ingestion on a real SQLite data dir: every file type, chunking, re-ingestion by
content hash, ingestion logs, and precise errors for bad files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings

from nura_appliance.context import build_context
from nura_appliance.knowledge.indexer import split_sentences
from nura_appliance.knowledge.ingest import Section, chunk_sections, extract, ingest_paths
from nura_appliance.knowledge.service import install_knowledge


def simple_pdf(text: str) -> bytes:
    """A one-page PDF with ``text`` (Helvetica), byte offsets computed so readers accept it."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(simple_pdf("secret roaming prices"))))
    writer.encrypt(user_password="s3cret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Roaming guide", level=1)
    document.add_paragraph("Roaming must be switched on before you travel. Dial *150# to activate it.")
    document.add_heading("Prices", level=2)
    document.add_paragraph("A daily roaming pass costs 5000 IQD in Turkey and Iran.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
async def kctx(data_dir: Path) -> Any:
    ctx = build_context(
        make_settings(
            data_dir, LOAD_DEFAULT_KNOWLEDGE=False, UPLOAD_MAX_BYTES=60_000, RAG_CHUNK_SIZE=200, RAG_CHUNK_OVERLAP=60
        )
    )
    await install_knowledge(ctx, background_reindex=False)
    yield ctx
    ctx.close()


def test_arabic_sentence_splitting_keeps_numbers_and_codes_whole() -> None:
    text = "اطلب *124# لمعرفة الرصيد. السعر 2.5 دولار؟ نعم؛ جرّب الآن\nسطر جديد"
    assert split_sentences(text) == ["اطلب *124# لمعرفة الرصيد.", "السعر 2.5 دولار؟", "نعم؛", "جرّب الآن", "سطر جديد"]


def test_chunks_respect_size_overlap_and_headings() -> None:
    sentences = [f"الجملة رقم {i} تشرح خطوة من خطوات ضبط الراوتر في المنزل." for i in range(12)]
    chunks = chunk_sections(
        [Section("الراوتر", " ".join(sentences)), Section("الفاتورة", "ادفع قبل يوم 15.")], size=200, overlap=60
    )
    router = [c for c in chunks if c.heading == "الراوتر"]
    assert len(router) > 2 and all(len(c.text) <= 200 for c in router)
    for first, second in zip(router, router[1:], strict=False):
        assert first.text.split(". ")[-1].rstrip(".") in second.text  # neighbours share a sentence
    assert chunks[-1].heading == "الفاتورة" and chunks[-1].text == "ادفع قبل يوم 15."
    assert [c.position for c in chunks] == list(range(len(chunks)))


def test_every_file_type_extracts_with_headings() -> None:
    title, sections = extract("guide.md", "# دليل\n\nمقدمة.\n\n## الدفع\n\nادفع قبل يوم 15.".encode())
    assert title == "دليل" and sections[-1].heading == "دليل › الدفع"
    title, sections = extract(
        "page.html", b"<html><title>Help</title><script>x=1</script><h2>APN</h2><p>Set APN to sanad.</p></html>"
    )
    assert title == "Help" and sections == [Section("APN", "\nSet APN to sanad.\n")]
    assert "roaming" in extract("p.pdf", simple_pdf("Enable roaming before travel"))[1][0].text.lower()
    title, sections = extract("guide.docx", docx_bytes())
    assert title == "Roaming guide" and [s.heading for s in sections] == ["Roaming guide", "Roaming guide › Prices"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.md", b"   \n", "empty.md: the file is empty"),
        ("tool.exe", b"MZ\x90", "tool.exe: unsupported file type .exe"),
        ("broken.pdf", b"%PDF-1.4\nthis is not a pdf", "broken.pdf: "),
        ("locked.pdf", None, "locked.pdf: the PDF is encrypted"),
        ("blank.pdf", None, "blank.pdf: no text found"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "broken.docx: not a readable .docx"),
        ("scripts.html", b"<script>alert(1)</script>", "scripts.html: no text found"),
    ],
)
def test_bad_files_get_errors_naming_the_file(name: str, data: bytes | None, message: str) -> None:
    from nura_appliance.knowledge.ingest import IngestError

    if name == "locked.pdf":
        data = encrypted_pdf()
    elif name == "blank.pdf":
        data = simple_pdf("")
    with pytest.raises(IngestError) as caught:
        extract(name, data or b"")
    assert caught.value.message.startswith(message)


async def test_ingest_skips_unchanged_replaces_changed_and_logs_runs(kctx: Any, tmp_path: Path) -> None:
    folder = tmp_path / "handbook"
    folder.mkdir()
    (folder / "billing.md").write_text("# الفوترة\n\nتصدر الفاتورة أول الشهر. ادفع قبل يوم 15.\n", encoding="utf-8")
    (folder / "guide.docx").write_bytes(docx_bytes())
    (folder / ".hidden.md").write_text("# secret\n\nnot indexed", encoding="utf-8")
    (folder / "notes.xyz").write_text("ignored in folders", encoding="utf-8")
    seen: list[tuple[int, int]] = []
    first = await ingest_paths(kctx, [folder], progress=lambda done, total, name: seen.append((done, total)))
    assert (first["ingested"], first["skipped"], first["failed"]) == (2, 0, 0) and first["chunks"] >= 2
    assert seen[-1] == (2, 2)

    again = await ingest_paths(kctx, [folder])
    assert (again["ingested"], again["skipped"]) == (0, 2)

    (folder / "billing.md").write_text("# الفوترة\n\nتغير موعد الدفع إلى يوم 20.\n", encoding="utf-8")
    third = await ingest_paths(kctx, [folder])
    assert (third["ingested"], third["skipped"]) == (1, 1)
    texts = [r["text"] for r in await kctx.db.fetchall("SELECT text FROM handbook_chunks")]
    assert any("يوم 20" in t for t in texts) and not any("يوم 15" in t for t in texts)
    chunk_ids = {str(r["id"]) for r in await kctx.db.fetchall("SELECT id FROM handbook_chunks")}
    vector_refs = {r["ref"] for r in await kctx.db.fetchall("SELECT ref FROM kb_vectors WHERE kind = 'chunk'")}
    fts_refs = {r["ref"] for r in await kctx.db.fetchall("SELECT ref FROM chunk_fts")}
    assert chunk_ids == vector_refs == fts_refs  # old chunks left no rows behind

    hits = await kctx.retriever.search("متى موعد دفع الفاتورة", "ar", k=3, kinds=("chunk",))
    assert hits and hits[0].kind == "chunk" and "20" in hits[0].text and hits[0].doc == "billing.md"
    assert hits[0].tier in ("fts", "vector", "hybrid") and 0 < hits[0].score <= 1

    runs = await kctx.db.fetchall("SELECT status, files, skipped FROM ingestion_logs ORDER BY id")
    assert [(r["status"], r["files"], r["skipped"]) for r in runs] == [("done", 2, 0), ("done", 0, 2), ("done", 1, 1)]


async def test_failed_files_are_reported_and_leave_nothing_half_indexed(kctx: Any, tmp_path: Path) -> None:
    (tmp_path / "big.md").write_text("# big\n\n" + "كلمة " * 8000, encoding="utf-8")  # over 60 000 bytes
    (tmp_path / "locked.pdf").write_bytes(encrypted_pdf())
    (tmp_path / "ok.txt").write_text("Dial *100# to check your balance.", encoding="utf-8")
    report = await ingest_paths(
        kctx, [tmp_path / "big.md", tmp_path / "locked.pdf", tmp_path / "ok.txt", tmp_path / "missing.md"]
    )
    errors = {row["name"]: row.get("error", "") for row in report["files"]}
    assert "larger than the 60000-byte limit" in errors["big.md"]
    assert "encrypted" in errors["locked.pdf"] and errors["ok.txt"] == ""
    assert "no such file" in errors[str(tmp_path / "missing.md")]
    assert report["status"] == "partial" and report["ingested"] == 1
    docs = await kctx.db.fetchall("SELECT source_name FROM handbook_docs")
    assert [d["source_name"] for d in docs] == ["ok.txt"]
    log = await kctx.db.fetchone("SELECT status, error FROM ingestion_logs")
    assert log["status"] == "partial" and "locked.pdf" in log["error"]
