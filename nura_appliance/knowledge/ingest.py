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
import contextvars
import hashlib
import html.parser
import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nura_appliance.auth.archive import ArchiveRefused, check_archive
from nura_appliance.errors import ValidationFailed
from nura_appliance.knowledge.chunking import Section, chunk_sections
from nura_appliance.knowledge.hybrid import passage_terms
from nura_appliance.knowledge.pdf import pdf_sections
from nura_appliance.knowledge.site import IndexSite
from nura_appliance.storage.base import STAGE_BATCH, HandbookDocument, HandbookStore, chunk_index_text
from nura_appliance.storage.records import Chunk
from nura_appliance.storage.stores import handbook_store_for

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
    heading = ""
    lines: list[str] = []
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
    """Collect visible text per heading (h1–h6); script/style content is dropped; table rows
    become pipe rows (a first row of ``<th>`` cells is the header)."""

    _HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
    _BLOCKS = {"p", "div", "li", "br", "section", "article", "ul", "ol", "table", "blockquote"}

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
        self._cell = False  # inside a <td>/<th>: line breaks in the text are spaces
        self._row_headers = 0  # <th> cells in the current row
        self._rows = 0  # rows of the current table so far

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in self._HEADINGS:
            self._flush()
            self._in_heading, self._heading_parts = True, []
        elif tag == "tr":
            self._buffer.append("\n|")
            self._row_headers = 0
        elif tag in ("td", "th"):
            self._cell = True
            self._row_headers += tag == "th"
        elif tag in self._BLOCKS:
            if tag == "table":
                self._rows = 0
            self._buffer.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in self._HEADINGS and self._in_heading:
            self._in_heading = False
            self._heading = " ".join("".join(self._heading_parts).split())
        elif tag in ("td", "th"):
            self._cell = False
            self._buffer.append(" |")
        elif tag == "tr":
            if self._rows == 0 and self._row_headers:
                self._buffer.append("\n|---|")
            self._rows += 1
        elif tag in self._BLOCKS:
            self._buffer.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data
        elif self._in_heading:
            self._heading_parts.append(data)
        elif self._cell:
            self._buffer.append(" ".join(data.split()) + " " if data.strip() else "")
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
                opened: int = reader.decrypt("")  # "encrypted" PDFs with an empty user password open
            except Exception:  # noqa: BLE001 - pypdf raises several kinds here
                opened = 0
            if not opened:
                raise IngestError(f"{name}: the PDF is encrypted (password-protected); save an unprotected copy")
        pages = None if _readable_by_pdfplumber(data) else [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise IngestError(f"{name}: not a readable PDF ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # noqa: BLE001 - pypdf may raise anything on a corrupt file
        raise IngestError(f"{name}: not a readable PDF ({type(exc).__name__})") from None
    if pages is None:
        try:
            return [Section(heading, text) for heading, text in pdf_sections(data) if text.strip()]
        except Exception:  # noqa: BLE001 - pdfminer may fail where pypdf did not: use pypdf's text
            pages = [page.extract_text() or "" for page in reader.pages]
    return [Section(f"page {i}", text) for i, text in enumerate(pages, 1) if text.strip()]


def _readable_by_pdfplumber(data: bytes) -> bool:
    """pdfplumber (layout, tables, right-to-left lines) is used when it is installed."""
    try:
        import pdfplumber  # noqa: F401
    except ImportError:
        return False
    return True


# Extraction budget per file (a handbook of ~1,500 pages has ~3 M characters): text beyond this,
# or an extraction still running after the time budget, is refused (a crafted document cannot keep
# the ingest, and the memory it holds, going for minutes).
EXTRACT_MAX_CHARS = 20_000_000  # the default upload limit in bytes: text files are never cut
EXTRACT_MAX_SECONDS = 120.0


class IngestStopped(IngestError):
    """The server is stopping (SIGTERM): the file is left as it was and the run is queued again."""


# Set by the serving process when it stops (``stop_event(ctx)``); read in the extraction and
# indexing loops of the ingest running in this context (asyncio.to_thread copies the context).
_STOP: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("nura_ingest_stop", default=None)


def stop_event(ctx: IndexSite) -> threading.Event:
    """The event that stops ``ctx``'s ingests at their next step (set on server stop)."""
    return ctx.ingest_stop


def _check_stop(name: str) -> None:
    event = _STOP.get()
    if event is not None and event.is_set():
        raise IngestStopped(f"{name}: the server is stopping; the file will be ingested after the restart")


class _Budget:
    def __init__(self, name: str) -> None:
        self.name = name
        self.deadline = time.monotonic() + EXTRACT_MAX_SECONDS
        self.chars = 0

    def spend(self, text: str) -> None:
        _check_stop(self.name)
        self.chars += len(text)
        if self.chars > EXTRACT_MAX_CHARS:
            raise IngestError(f"{self.name}: more than {EXTRACT_MAX_CHARS:,} characters of text; split the document")
        if time.monotonic() > self.deadline:
            raise IngestError(f"{self.name}: text extraction took longer than {EXTRACT_MAX_SECONDS:.0f} s; refused")


def _docx_sections(data: bytes, name: str) -> list[Section]:
    """Paragraphs and tables in document order: Heading/Title styles start sections (their level
    builds the heading path, as in Markdown), tables become pipe rows (the first row is the
    header) under the heading they follow."""
    import zipfile

    from docx import Document
    from docx.table import Table

    try:
        check_archive(data)  # a zip bomb is refused before python-docx inflates it (auth/archive.py)
    except ArchiveRefused as exc:
        raise IngestError(f"{name}: refused before reading: {exc}") from None
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise IngestError(f"{name}: not a readable .docx file ({type(exc).__name__})") from None
    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise IngestError(f"{name}: not a readable .docx file ({type(exc).__name__})") from None
    except Exception as exc:  # noqa: BLE001 - python-docx raises assorted errors on bad files
        raise IngestError(f"{name}: not a readable .docx file ({type(exc).__name__})") from None
    sections: list[Section] = []
    heading, lines = "", []
    trail: list[tuple[int, str]] = []
    budget = _Budget(name)
    # python-docx resolves a paragraph's style by scanning every style of the document (for the
    # default one, each call): ~2.5 ms a paragraph here, most of a long document's reading. The
    # name is a function of the paragraph's style id (``None``: the default), so it is resolved
    # once per id and document.
    style_names: dict[str | None, str] = {}
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = [_row_texts(row) for row in block.rows]
            rows = [r for r in rows if any(r)]
            budget.spend("".join("".join(r) for r in rows))
            if rows:
                lines.append("| " + " | ".join(rows[0]) + " |")
                if len(rows) > 1:
                    lines.append("|" + "---|" * len(rows[0]))
                lines.extend("| " + " | ".join(r) + " |" for r in rows[1:])
                lines.append("")
            continue
        style_id = block._p.style
        if style_id not in style_names:
            resolved = block.style
            style_names[style_id] = (resolved.name if resolved is not None else "") or ""
        style = style_names[style_id]
        text = block.text.strip()
        budget.spend(block.text)
        if style.lower().startswith(("heading", "title")) and text:
            if any(line.strip() for line in lines):
                sections.append(Section(heading, "\n".join(lines)))
            digits = "".join(ch for ch in style if ch.isdigit())
            level = int(digits) if digits else 1
            trail = [(lv, t) for lv, t in trail if lv < level] + [(level, text)]
            heading, lines = " › ".join(t for _, t in trail[-2:]), []
        else:
            lines.append(block.text)
    if any(line.strip() for line in lines):
        sections.append(Section(heading, "\n".join(lines)))
    return sections


def _row_texts(row: Any) -> list[str]:
    """A docx table row's cell texts; python-docx yields a merged cell once per grid column it
    spans (the same cell element), so its text is kept once."""
    texts: list[str] = []
    previous = None
    for cell in row.cells:
        texts.append("" if cell._tc is previous else " ".join(cell.text.split()))
        previous = cell._tc
    return texts


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
    _Budget(name).spend("".join(s.text for s in sections))  # every kind: the text-size budget
    if not any(s.text.strip() for s in sections):
        detail = " (a scanned PDF needs OCR first)" if kind == "pdf" else ""
        raise IngestError(f"{name}: no text found in the document{detail}")
    first_heading = next((s.heading for s in sections if s.heading), "")
    title = first_heading.split(" › ")[0] if kind in ("md", "docx") and first_heading else Path(name).stem
    return title, sections


# -- indexing --------------------------------------------------------------------------------------
def document_language(chunks: list[Chunk]) -> str:
    """The language most of a document's text is written in (by characters)."""
    weight: dict[str, int] = {}
    for chunk in chunks:
        weight[chunk.lang] = weight.get(chunk.lang, 0) + len(chunk.text)
    return max(weight, key=lambda lang: weight[lang]) if weight else ""


LANGUAGE_NAMES = {
    "ar": "Arabic (ar)",
    "ckb": "Sorani Kurdish (ckb)",
    "ku": "Kurmanji Kurdish (ku)",
    "en": "English (en)",
}


async def ingest_file(ctx: IndexSite, name: str, data: bytes, path_key: str) -> dict[str, Any]:
    """Ingest one file's bytes; returns ``{name, status: ingested|unchanged|duplicate|failed,
    chunks, rows, lang, warnings, error?}``.

    The file is read, chunked and embedded off the event loop, then written in one transaction
    (its old chunks replaced), so a failure at any step leaves the previous state whole. A file
    whose exact content is already indexed under another name is not indexed twice (duplicate
    passages would crowd the prompt)."""
    limit = ctx.settings.upload_max_bytes
    store = handbook_store(ctx)
    try:
        if len(data) > limit:
            raise IngestError(f"{name}: {len(data)} bytes is larger than the {limit}-byte limit (UPLOAD_MAX_BYTES)")
        digest = hashlib.sha256(data).hexdigest()
        if await store.content_hash(path_key) == digest:
            return {"name": name, "status": "unchanged", "chunks": 0}
        twin = await store.same_content(digest, path_key)
        if twin is not None:
            return {
                "name": name,
                "status": "duplicate",
                "chunks": 0,
                "warnings": [f"{name}: the same content is already indexed as {twin}; not indexed twice"],
            }
        settings = ctx.settings

        def prepare() -> tuple[str, list[Chunk], np.ndarray, list[str]]:
            title, sections = extract(name, data)
            chunks = chunk_sections(sections, settings.rag_chunk_size, settings.rag_chunk_overlap)
            if not chunks:
                raise IngestError(f"{name}: no text found in the document")
            _check_stop(name)
            texts = [chunk_index_text(c) for c in chunks]
            terms = [" ".join(passage_terms(t)) for t in texts]
            _check_stop(name)
            vectors = ctx.db.read_sync(lambda c: ctx.knowledge.vectors.embed(texts, c))
            return title, chunks, vectors, terms

        _STOP.set(stop_event(ctx))
        title, chunks, vectors, terms = await asyncio.to_thread(prepare)
        lang = document_language([c for c in chunks if c.unit == "text"] or chunks)
        doc = HandbookDocument(path_key, name, title, digest, len(data), lang)
        key = f"staging:{uuid.uuid4().hex}"
        try:
            for start in range(0, len(chunks), STAGE_BATCH):
                _check_stop(name)  # staged rows are purged below: the published version stays
                end = start + STAGE_BATCH
                await store.stage(doc, key, chunks[start:end], vectors[start:end], terms[start:end])
            await store.publish(doc, key, len(chunks))
        finally:
            await purge_hidden(ctx, store)
        count = len(chunks)
        warnings = []
        declared = await store.declared_languages()
        if declared and lang and lang not in declared:
            listed = ", ".join(sorted(declared))
            warnings.append(
                f"{name}: written in {LANGUAGE_NAMES.get(lang, lang)}, a language the knowledge pack does not"
                f" declare ({listed}); customers asking in {listed} get its passages in {lang}"
            )
        rows = sum(c.unit == "row" for c in chunks)
        result: dict[str, Any] = {"name": name, "status": "ingested", "chunks": count, "rows": rows, "lang": lang}
        if warnings:
            result["warnings"] = warnings
        return result
    except IngestStopped:
        raise
    except IngestError as exc:
        return {"name": name, "status": "failed", "chunks": 0, "error": exc.message}


def handbook_store(ctx: IndexSite) -> HandbookStore:
    """The handbook store of ``ctx``'s database (its backend's), indexing with the knowledge
    feature's text analysis."""
    return handbook_store_for(ctx.db, ctx.knowledge.vectors)


async def purge_hidden(ctx: IndexSite, store: HandbookStore | None = None) -> None:
    """Delete, in short transactions, the chunks of documents that are no longer shown: the
    previous version of a re-ingested file and anything a failed or interrupted ingestion left
    staged."""
    store = store or handbook_store(ctx)
    for doc_id in await store.hidden_documents():
        while await store.purge_batch(doc_id, STAGE_BATCH):
            pass


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
    ctx: IndexSite, paths: list[Path], *, progress: Progress | None = None, source: str = "cli"
) -> dict[str, Any]:
    """Ingest files and folders; logs the run in ``ingestion_logs``; returns a report."""
    run_id = await ctx.stores.ingestion_runs.start(source, "running", time.time())
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


async def finish_run(ctx: IndexSite, run_id: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Close an ``ingestion_logs`` row with the outcome and return the run report (each file's
    outcome, warnings and errors are in ``files``; every ingested file already bumped the
    knowledge version in its own transaction)."""
    ingested = sum(r["status"] == "ingested" for r in rows)
    skipped = sum(r["status"] in ("unchanged", "duplicate") for r in rows)
    duplicates = sum(r["status"] == "duplicate" for r in rows)
    failed = sum(r["status"] == "failed" for r in rows)
    chunks = sum(r["chunks"] for r in rows)
    status = "failed" if failed and not (ingested or skipped) else ("partial" if failed else "done")
    errors = "; ".join(r["error"] for r in rows if r.get("error"))[:2000] or None
    warnings = [w for r in rows for w in r.get("warnings", [])]
    detail = json.dumps(rows, ensure_ascii=False)
    await ctx.stores.ingestion_runs.finish(
        run_id,
        status=status,
        files=ingested,
        skipped=skipped,
        chunks=chunks,
        error=errors,
        detail=detail,
        at=time.time(),
    )
    return {
        "run_id": run_id,
        "status": status,
        "ingested": ingested,
        "skipped": skipped,
        "duplicates": duplicates,
        "failed": failed,
        "chunks": chunks,
        "warnings": warnings,
        "files": rows,
    }
