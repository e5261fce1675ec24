"""Handbook ingestion: md, txt, html, pdf (pypdf) and docx (python-docx) → heading-aware chunks
with overlap → FTS5 rows and vectors.

* Each file is read, split into sections at its headings, and each section into sentences
  (Arabic and Latin sentence ends; see :func:`knowledge.indexer.split_sentences`). Sentences
  are packed into chunks of about ``RAG_CHUNK_SIZE`` characters; neighbouring chunks share about
  ``RAG_CHUNK_OVERLAP`` characters of whole sentences, and every chunk starts with its heading
  so a chunk read alone still says what it is about.
* A file's SHA-256 decides: unchanged files are skipped, changed ones have their chunks
  replaced — in one transaction per file, so a failure never leaves half a file indexed.
* Every run writes one ``ingestion_logs`` row (files, skipped, chunks, errors per file).
* Bad input gets a precise error naming the file: unknown type, empty, too large, corrupt or
  encrypted PDF, a document with no extractable text.
"""

from __future__ import annotations

import asyncio
import hashlib
import html.parser
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw
import numpy as np

from nura_appliance.errors import ValidationFailed
from nura_appliance.knowledge.indexer import Item, chunk_fts_text, mark_analysis_if_new, split_sentences
from nura_appliance.knowledge.normalize import detect_language, index_terms

SUPPORTED = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
Progress = Callable[[int, int, str], None]


class IngestError(ValidationFailed):
    """A file cannot be ingested; the message names the file and the reason."""

    code = "ingest_failed"


@dataclass
class Section:
    heading: str
    text: str


@dataclass
class Chunk:
    position: int
    heading: str
    text: str
    lang: str


# -- extraction ------------------------------------------------------------------------------------
def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        return data.decode("cp1256")  # Arabic Windows files are still common in the field
    except UnicodeDecodeError:
        raise IngestError(f"{name}: not readable text (expected UTF-8)") from None


def _markdown_sections(text: str) -> list[Section]:
    sections: list[Section] = []
    heading, lines = "", []
    trail: list[tuple[int, str]] = []  # heading path, so a level-3 chunk knows its level-2 parent
    for line in text.splitlines():
        match = _MD_HEADING.match(line)
        if match:
            if any(part.strip() for part in lines):
                sections.append(Section(heading, "\n".join(lines)))
            level, title = len(match.group(1)), match.group(2).strip()
            trail = [(lv, t) for lv, t in trail if lv < level] + [(level, title)]
            heading = " › ".join(t for _, t in trail[-2:])
            lines = []
        else:
            lines.append(line)
    if any(part.strip() for part in lines):
        sections.append(Section(heading, "\n".join(lines)))
    return sections


class _HtmlText(html.parser.HTMLParser):
    """Collect visible text per heading (h1–h6); script/style content is dropped."""

    _HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
    _BLOCKS = {"p", "div", "li", "br", "tr", "section", "article", "ul", "ol", "table", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = []
        self.title = ""
        self._heading = ""
        self._buffer: list[str] = []
        self._in_heading = False
        self._heading_parts: list[str] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in self._HEADINGS:
            self._flush()
            self._in_heading, self._heading_parts = True, []
        elif tag in self._BLOCKS:
            self._buffer.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in self._HEADINGS and self._in_heading:
            self._in_heading = False
            self._heading = " ".join("".join(self._heading_parts).split())
        elif tag in self._BLOCKS:
            self._buffer.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data
        elif self._in_heading:
            self._heading_parts.append(data)
        else:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = "".join(self._buffer)
        if text.strip():
            self.sections.append(Section(self._heading, text))
        self._buffer = []

    def close(self) -> None:
        super().close()
        self._flush()


def _pdf_sections(data: bytes, name: str) -> list[Section]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # "encrypted" PDFs with an empty user password open
            except Exception:  # noqa: BLE001 - pypdf raises several kinds here
                opened = 0
            if not opened:
                raise IngestError(f"{name}: the PDF is encrypted (password-protected); save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise IngestError(f"{name}: not a readable PDF ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # noqa: BLE001 - pypdf may raise anything on a corrupt file
        raise IngestError(f"{name}: not a readable PDF ({type(exc).__name__})") from None
    return [Section(f"page {i}", text) for i, text in enumerate(pages, 1) if text.strip()]


def _docx_sections(data: bytes, name: str) -> list[Section]:
    import zipfile

    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise IngestError(f"{name}: not a readable .docx file ({type(exc).__name__})") from None
    except Exception as exc:  # noqa: BLE001 - python-docx raises assorted errors on bad files
        raise IngestError(f"{name}: not a readable .docx file ({type(exc).__name__})") from None
    sections: list[Section] = []
    heading, lines = "", []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.lower().startswith(("heading", "title")) and paragraph.text.strip():
            if any(line.strip() for line in lines):
                sections.append(Section(heading, "\n".join(lines)))
            heading, lines = paragraph.text.strip(), []
        else:
            lines.append(paragraph.text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    if any(line.strip() for line in lines):
        sections.append(Section(heading, "\n".join(lines)))
    return sections


def extract(name: str, data: bytes) -> tuple[str, list[Section]]:
    """(document title, sections) of one file; raises :class:`IngestError` naming the file."""
    suffix = Path(name).suffix.lower()
    kind = SUPPORTED.get(suffix)
    if kind is None:
        accepted = ", ".join(sorted({s.lstrip(".") for s in SUPPORTED}))
        raise IngestError(f"{name}: unsupported file type {suffix or '(none)'} (supported: {accepted})")
    if not data or not data.strip():
        raise IngestError(f"{name}: the file is empty")
    if kind == "pdf":
        sections = _pdf_sections(data, name)
    elif kind == "docx":
        sections = _docx_sections(data, name)
    elif kind == "html":
        parser = _HtmlText()
        parser.feed(_decode(data, name))
        parser.close()
        sections = parser.sections
        title = " ".join(parser.title.split())
        if not any(s.text.strip() for s in sections):
            raise IngestError(f"{name}: no text found in the document")
        return title or Path(name).stem, sections
    else:
        text = _decode(data, name)
        sections = _markdown_sections(text) if kind == "md" else [Section("", text)]
    if not any(s.text.strip() for s in sections):
        detail = " (a scanned PDF needs OCR first)" if kind == "pdf" else ""
        raise IngestError(f"{name}: no text found in the document{detail}")
    first_heading = next((s.heading for s in sections if s.heading), "")
    title = first_heading.split(" › ")[0] if kind in ("md", "docx") and first_heading else Path(name).stem
    return title, sections


# -- chunking --------------------------------------------------------------------------------------
def _hard_split(sentence: str, size: int) -> list[str]:
    """A sentence longer than a chunk is cut at word boundaries (never inside a word)."""
    words, parts, current = sentence.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > size:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        parts.append(current)
    return parts


def chunk_sections(sections: list[Section], size: int = 800, overlap: int = 120) -> list[Chunk]:
    """Pack each section's sentences into chunks of about ``size`` characters, neighbours sharing
    about ``overlap`` characters of whole sentences; chunks never span two sections."""
    size = max(size, 100)
    overlap = max(0, min(overlap, size // 2))
    chunks: list[Chunk] = []
    for section in sections:
        sentences: list[str] = []
        for sentence in split_sentences(section.text):
            sentences.extend(_hard_split(sentence, size) if len(sentence) > size else [sentence])
        current: list[str] = []
        length = 0
        for sentence in sentences:
            if current and length + len(sentence) + 1 > size:
                chunks.append(_make_chunk(len(chunks), section.heading, current))
                carried: list[str] = []
                carried_len = 0
                for previous in reversed(current):
                    if carried_len + len(previous) > overlap:
                        break
                    carried.insert(0, previous)
                    carried_len += len(previous) + 1
                current, length = carried, carried_len
            current.append(sentence)
            length += len(sentence) + 1
        if current:
            chunks.append(_make_chunk(len(chunks), section.heading, current))
    return chunks


def _make_chunk(position: int, heading: str, sentences: list[str]) -> Chunk:
    body = " ".join(sentences)
    return Chunk(position, heading, body, detect_language(body))


# -- indexing --------------------------------------------------------------------------------------
def _write_file(
    conn: apsw.Connection,
    ctx: Any,
    path_key: str,
    name: str,
    title: str,
    digest: str,
    size: int,
    chunks: list[Chunk],
    vectors: np.ndarray,
) -> int:
    """Replace one document's chunks, FTS rows and vectors (inside the caller's transaction)."""
    mark_analysis_if_new(conn)
    old = list(conn.execute("SELECT id FROM handbook_docs WHERE path = ?", (path_key,)))
    if old:
        doc_id = old[0]["id"]
        old_ids = [str(r["id"]) for r in conn.execute("SELECT id FROM handbook_chunks WHERE doc_id = ?", (doc_id,))]
        ctx.knowledge.vectors.delete(conn, "chunk", old_ids)
        conn.executemany("DELETE FROM chunk_fts WHERE ref = ?", [(i,) for i in old_ids])
        conn.execute("DELETE FROM handbook_chunks WHERE doc_id = ?", (doc_id,))
        conn.execute(
            "UPDATE handbook_docs SET title = ?, content_hash = ?, chunks = ?, updated_at = ?,"
            " source_name = ?, bytes = ? WHERE id = ?",
            (title, digest, len(chunks), time.time(), name, size, doc_id),
        )
    else:
        conn.execute(
            "INSERT INTO handbook_docs (path, title, content_hash, chunks, updated_at, source_name, bytes)"
            " VALUES (?,?,?,?,?,?,?)",
            (path_key, title, digest, len(chunks), time.time(), name, size),
        )
        doc_id = conn.last_insert_rowid()
    items: list[Item] = []
    for chunk in chunks:
        text = chunk_fts_text(chunk.heading, chunk.text)
        conn.execute(
            "INSERT INTO handbook_chunks (doc_id, position, heading, text, lang, content_hash) VALUES (?,?,?,?,?,?)",
            (doc_id, chunk.position, chunk.heading, chunk.text, chunk.lang, hashlib.sha256(text.encode()).hexdigest()),
        )
        chunk_id = str(conn.last_insert_rowid())
        conn.execute("INSERT INTO chunk_fts (text, ref) VALUES (?, ?)", (" ".join(index_terms(text)), chunk_id))
        items.append(Item("chunk", chunk_id, "chunk", chunk.lang, text))
    ctx.knowledge.vectors.write(conn, items, vectors)
    return len(chunks)


async def ingest_file(ctx: Any, name: str, data: bytes, path_key: str) -> dict[str, Any]:
    """Ingest one file's bytes; returns ``{name, status: ingested|unchanged|failed, chunks, error?}``."""
    limit = ctx.settings.upload_max_bytes
    try:
        if len(data) > limit:
            raise IngestError(f"{name}: {len(data)} bytes is larger than the {limit}-byte limit (UPLOAD_MAX_BYTES)")
        digest = hashlib.sha256(data).hexdigest()
        known = await ctx.db.fetchone("SELECT content_hash FROM handbook_docs WHERE path = ?", (path_key,))
        if known and known["content_hash"] == digest:
            return {"name": name, "status": "unchanged", "chunks": 0}
        settings = ctx.settings

        def prepare() -> tuple[str, list[Chunk], np.ndarray]:
            title, sections = extract(name, data)
            chunks = chunk_sections(sections, settings.rag_chunk_size, settings.rag_chunk_overlap)
            if not chunks:
                raise IngestError(f"{name}: no text found in the document")
            texts = [chunk_fts_text(c.heading, c.text) for c in chunks]
            vectors = ctx.db.read_sync(lambda c: ctx.knowledge.vectors.embed(texts, c))
            return title, chunks, vectors

        title, chunks, vectors = await asyncio.to_thread(prepare)
        count = await ctx.db.write(
            lambda c: _write_file(c, ctx, path_key, name, title, digest, len(data), chunks, vectors)
        )
        return {"name": name, "status": "ingested", "chunks": count}
    except IngestError as exc:
        return {"name": name, "status": "failed", "chunks": 0, "error": exc.message}


def expand_paths(paths: list[Path]) -> list[tuple[Path, str | None]]:
    """Files to ingest: named files as they are (an unsupported type is reported), folders
    recursively with supported types only (hidden files skipped). Returns (path, error)."""
    found: list[tuple[Path, str | None]] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (
                    child.is_file()
                    and not any(p.startswith(".") for p in child.relative_to(path).parts)
                    and child.suffix.lower() in SUPPORTED
                ):
                    found.append((child, None))
        elif path.is_file():
            found.append((path, None))
        else:
            found.append((path, f"{path}: no such file or folder"))
    return found


async def ingest_paths(
    ctx: Any, paths: list[Path], *, progress: Progress | None = None, source: str = "cli"
) -> dict[str, Any]:
    """Ingest files and folders; logs the run in ``ingestion_logs``; returns a report."""
    started = time.time()
    run_id = await ctx.db.write(
        lambda c: (
            c.execute(
                "INSERT INTO ingestion_logs (source, status, started_at) VALUES (?, 'running', ?)", (source, started)
            ),
            c.last_insert_rowid(),
        )[1]
    )
    files = expand_paths(paths)
    rows: list[dict[str, Any]] = []
    for done, (path, error) in enumerate(files):
        if progress:
            progress(done, len(files), path.name)
        if error:
            rows.append({"name": str(path), "status": "failed", "chunks": 0, "error": error})
            continue
        try:
            size = path.stat().st_size
            if size > ctx.settings.upload_max_bytes:
                rows.append(
                    {
                        "name": path.name,
                        "status": "failed",
                        "chunks": 0,
                        "error": f"{path.name}: {size} bytes is larger than the {ctx.settings.upload_max_bytes}-byte"
                        " limit (UPLOAD_MAX_BYTES)",
                    }
                )
                continue
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            rows.append({"name": path.name, "status": "failed", "chunks": 0, "error": f"{path}: {exc.strerror or exc}"})
            continue
        rows.append(await ingest_file(ctx, path.name, data, str(path.resolve())))
    if progress:
        progress(len(files), len(files), "")
    return await finish_run(ctx, run_id, rows)


async def finish_run(ctx: Any, run_id: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Close an ``ingestion_logs`` row with the outcome and return the run report."""
    ingested = sum(r["status"] == "ingested" for r in rows)
    skipped = sum(r["status"] == "unchanged" for r in rows)
    failed = sum(r["status"] == "failed" for r in rows)
    chunks = sum(r["chunks"] for r in rows)
    status = "failed" if failed and not (ingested or skipped) else ("partial" if failed else "done")
    errors = "; ".join(r["error"] for r in rows if r.get("error"))[:2000] or None

    def close(conn: apsw.Connection) -> None:
        conn.execute(
            "UPDATE ingestion_logs SET status = ?, files = ?, skipped = ?, chunks = ?, error = ?,"
            " detail = ?, finished_at = ? WHERE id = ?",
            (status, ingested, skipped, chunks, errors, json.dumps(rows, ensure_ascii=False), time.time(), run_id),
        )
        if ingested:
            conn.execute(
                "INSERT INTO kb_meta (key, value) VALUES ('version', ?) ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value",
                (str(time.time()),),
            )

    await ctx.db.write(close)
    return {
        "run_id": run_id,
        "status": status,
        "ingested": ingested,
        "skipped": skipped,
        "failed": failed,
        "chunks": chunks,
        "files": rows,
    }
