"""Upload checks shared by every endpoint that accepts files.

:func:`check_upload` decides what a file really is from its bytes (never from its name or the
client's content type), refuses what the endpoint does not allow, what is too large, what
claims to be one type but is another, and known polyglot tricks (HTML or script hidden in an
image or PDF, macros in Office files, zip bombs). The file is then stored under a generated
name (:attr:`CheckedUpload.stored_name`); the client's name is kept only for display.
:func:`stored_path` resolves a stored name inside the upload folder and nowhere else, and
:func:`download_headers` gives the safe headers for serving a stored file back.
"""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nura_appliance.auth.archive import ArchiveRefused, check_archive
from nura_appliance.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
EXTENSIONS = {
    "pdf": "pdf",
    "docx": "docx",
    "txt": "txt",
    "text": "txt",
    "md": "md",
    "markdown": "md",
    "csv": "csv",
    "json": "json",
    "html": "html",
    "htm": "html",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "gif": "gif",
    "webp": "webp",
}
TEXT_KINDS = ("txt", "md", "csv", "json", "html")
_MARKUP = re.compile(rb"<\s*(script|html|body|iframe|svg|object|embed)\b|<\?php|javascript:", re.IGNORECASE)
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")
_ZIP_MAX_RATIO = 100
_ZIP_MAX_ENTRIES = 2000
_NAME_MAX = 200


@dataclass(frozen=True)
class CheckedUpload:
    """A file that passed :func:`check_upload`."""

    kind: str  # what the bytes are: "pdf", "docx", "png", …
    stored_name: str  # generated, e.g. "3f2a….pdf": the only name used on disk
    original_name: str  # the client's name, cleaned, for display only
    content_type: str  # the safe type to serve it with
    size: int


def sniff(data: bytes) -> str | None:
    """The kind of file ``data`` is, judged by its leading bytes (text kinds return "text")."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if b"\x00" in data[:8192]:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text"


def clean_name(filename: str) -> str:
    """The last path component of ``filename`` without control characters; refuses empty names."""
    if not isinstance(filename, str):
        raise ValidationFailed("the file name must be text", code="invalid_filename")
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not name:
        raise ValidationFailed("the file needs a name such as handbook.pdf", code="invalid_filename")
    return name[-_NAME_MAX:]


def _check_zip(data: bytes, max_bytes: int) -> str:
    """Confirm a .docx: a well-formed zip with Word's parts, no macros, no bomb, no odd paths."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnsupportedMediaType("the file is a damaged zip archive", code="upload_type_mismatch") from None
    if len(entries) > _ZIP_MAX_ENTRIES:
        raise UnsupportedMediaType("the archive has too many entries", code="upload_rejected")
    names = {e.filename for e in entries}
    total = sum(e.file_size for e in entries)
    if total > max(max_bytes, len(data)) * _ZIP_MAX_RATIO or total > 1_000_000_000:
        raise UnsupportedMediaType("the archive expands to an unreasonable size", code="upload_rejected")
    for name in names:
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            raise UnsupportedMediaType("the archive contains unsafe paths", code="upload_rejected")
        if name.lower().endswith(("vbaproject.bin", ".exe", ".dll", ".js", ".vbs")):
            raise UnsupportedMediaType("documents with macros or programs are not accepted", code="upload_rejected")
    if "[Content_Types].xml" not in names or not any(n.startswith("word/") for n in names):
        raise UnsupportedMediaType("the zip archive is not a Word document", code="upload_type_mismatch")
    try:
        check_archive(data)  # the real decompressed bytes, entry by entry (declared sizes can lie)
    except ArchiveRefused as exc:
        raise UnsupportedMediaType(f"refused before reading: {exc}", code="upload_rejected") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError):
        raise UnsupportedMediaType("the file is a damaged zip archive", code="upload_type_mismatch") from None
    return "docx"


def check_upload(filename: str, data: bytes, allowed: Iterable[str], *, max_bytes: int = 20_000_000) -> CheckedUpload:
    """Check one uploaded file; raise a 4xx :class:`NuraError` explaining any refusal.

    Args:
        filename: the client's file name (only its extension and last component are used).
        data: the whole file.
        allowed: kinds the endpoint accepts, e.g. ``{"pdf", "docx", "md", "txt", "html"}``.
        max_bytes: the size limit (pass ``settings.upload_max_bytes``).

    Returns:
        The checked upload with its generated ``stored_name`` and safe ``content_type``.
    """
    allowed_kinds = {EXTENSIONS.get(k.lower().lstrip("."), k.lower().lstrip(".")) for k in allowed}
    if not isinstance(data, bytes | bytearray):
        raise ValidationFailed("no file data", code="invalid_upload")
    data = bytes(data)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the file is larger than {max_bytes} bytes", code="upload_too_large")
    if not data:
        raise ValidationFailed("the file is empty", code="empty_upload")
    name = clean_name(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    claimed = EXTENSIONS.get(extension)
    accepted = ", ".join(sorted(allowed_kinds))
    if claimed is None or claimed not in allowed_kinds:
        raise UnsupportedMediaType(
            f"files of this type are not accepted here (accepted: {accepted})", code="upload_type_not_allowed"
        )
    found = sniff(data)
    if found == "zip":
        found = _check_zip(data, max_bytes)
    if found == "text":
        if claimed not in TEXT_KINDS:
            raise UnsupportedMediaType(f"the file's content is text, not {claimed}", code="upload_type_mismatch")
        if claimed != "html" and _MARKUP.search(data):
            raise UnsupportedMediaType(
                "the file contains HTML or script; upload it as .html if that is intended", code="upload_rejected"
            )
        found = claimed
    if found is None:
        raise UnsupportedMediaType(
            f"the file's content is not a recognised {claimed} file", code="upload_type_mismatch"
        )
    if found != claimed:
        raise UnsupportedMediaType(f"the file's content is {found}, not {claimed}", code="upload_type_mismatch")
    if found in ("png", "jpeg", "gif", "webp") and _MARKUP.search(data):
        raise UnsupportedMediaType("the image also contains HTML or script", code="upload_rejected")
    if found == "pdf" and (_PDF_ACTIVE.search(data) or _MARKUP.search(data)):
        raise UnsupportedMediaType(
            "PDFs with scripts, launch actions or embedded files are not accepted", code="upload_rejected"
        )
    stored = f"{uuid.uuid4().hex}.{'jpg' if found == 'jpeg' else found}"
    return CheckedUpload(found, stored, name, CONTENT_TYPES[found], len(data))


_STORED = re.compile(r"^[0-9a-f]{32}\.[a-z]{2,5}$")


def stored_path(folder: Path, stored_name: str) -> Path:
    """The path of a stored upload inside ``folder``; anything that is not a generated name is 404."""
    if not _STORED.match(stored_name or ""):
        raise NotFound("no such file", code="upload_not_found")
    root = folder.resolve()
    path = (root / stored_name).resolve()
    if path.parent != root:
        raise NotFound("no such file", code="upload_not_found")
    return path


def download_headers(upload_kind: str, original_name: str) -> dict[str, str]:
    """Headers for serving a stored upload back: its sniffed type, as an attachment, sandboxed."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", original_name)[:100] or "file"
    return {
        "Content-Type": CONTENT_TYPES.get(upload_kind, "application/octet-stream"),
        "Content-Disposition": f'attachment; filename="{ascii_name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }
