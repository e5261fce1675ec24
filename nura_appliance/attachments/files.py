"""What may be attached to a conversation, judged by the bytes, and how it is cleaned.

* **Type by content.** The leading bytes decide (``auth.uploads.sniff`` plus HEIC's ``ftyp``
  box), never the file name or the client's content type. Accepted: JPEG, PNG, WebP, PDF, and
  HEIC/HEIF photos when ``pillow-heif`` is installed (the ``heic`` extra; they are converted to
  JPEG, which every browser and Telegram can show). A name whose extension disagrees with the
  content is corrected, not refused: phones and clipboards name files loosely.
* **Images are re-encoded.** Pillow decodes the whole image (a truncated or forged file fails
  here), turns it upright from its EXIF orientation, drops every metadata block (EXIF with GPS
  position and camera serial, XMP, ICC comments, text chunks) and anything appended after the
  image data, and writes a fresh file of the same type; photos larger than ``MAX_SIDE`` pixels are
  scaled down. Decompression bombs are refused before decoding.
* **PDFs** pass the shared upload checks (no JavaScript, launch actions, embedded files or
  markup) and are stored as sent.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps

from nura_appliance.auth.uploads import _MARKUP, _PDF_ACTIVE, clean_name, sniff
from nura_appliance.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

IMAGE_KINDS = ("jpeg", "png", "webp")
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "pdf": "application/pdf"}
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "pdf": "pdf"}
MAX_SIDE = 4096  # longest side kept, in pixels (a 12 MP phone photo is 4032 px)
MAX_PIXELS = 50_000_000  # refuse before decoding: a small file can claim a huge canvas
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


@dataclass(frozen=True)
class PreparedFile:
    """An attachment that passed the checks, ready to be written under ``stored_name``."""

    kind: str
    content_type: str
    data: bytes
    original_name: str
    stored_name: str
    attachment_id: str
    width: int | None
    height: int | None
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def _heif_opener() -> bool:
    """Register pillow-heif's HEIC decoder once; False when the optional package is missing."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def heic_supported() -> bool:
    """Whether HEIC/HEIF photos can be accepted (converted to JPEG) on this install."""
    return _heif_opener()


def accepted_types() -> list[str]:
    """MIME types the widget may offer in its file picker."""
    types = ["image/jpeg", "image/png", "image/webp", "application/pdf"]
    if heic_supported():
        types += ["image/heic", "image/heif"]
    return types


def detect(data: bytes) -> str | None:
    """``jpeg``, ``png``, ``webp``, ``pdf``, ``heic`` or None, from the bytes alone."""
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "heic"
    found = sniff(data)
    return found if found in (*IMAGE_KINDS, "pdf") else None


def _display_name(filename: str, kind: str) -> str:
    """The client's name, cleaned, with the extension of what the file really is."""
    try:
        name = clean_name(filename or "")
    except ValidationFailed:
        name = "photo" if kind != "pdf" else "document"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem or 'file'}.{EXTENSIONS[kind]}"


def _reencode(data: bytes, kind: str) -> tuple[bytes, str, int, int]:
    """Decode, orient, drop metadata and encode again; returns ``(bytes, kind, width, height)``."""
    if kind == "heic" and not _heif_opener():
        raise UnsupportedMediaType(
            "HEIC photos cannot be read on this server; send the photo as JPEG (most phones offer it)",
            code="attachment_heic_unsupported",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise UnsupportedMediaType("the image is too large in pixels", code="attachment_rejected")
                probe.verify()  # structure and checksums, before the full decode
            with Image.open(io.BytesIO(data)) as source:
                source.seek(0)  # animated WebP/PNG: the first frame
                image = ImageOps.exif_transpose(source)
                image.load()
    except UnsupportedMediaType:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnsupportedMediaType("the image is too large in pixels", code="attachment_rejected") from None
    except Exception:  # noqa: BLE001 - any decoder failure means the file is not a usable image
        raise UnsupportedMediaType("the image is damaged or not really an image", code="attachment_damaged") from None
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    target = "jpeg" if kind == "heic" else kind
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if target == "jpeg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        options = {"quality": 88, "optimize": True}
    elif target == "png":
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        options = {"optimize": True}
    else:  # webp
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.mode else "RGB")
        options = {"quality": 88}
    # Pillow writes EXIF/XMP only when asked, but PNG falls back to the image's own ICC profile
    # and other encoders may read ``info``: an empty info dict leaves nothing to carry over.
    image.info = {}
    image.save(out, format=target.upper(), **options)
    return out.getvalue(), target, image.width, image.height


def prepare(filename: str, data: bytes, *, max_bytes: int) -> PreparedFile:
    """Check one attached file and clean it; raises a 4xx :class:`NuraError` explaining a refusal.

    Runs the CPU-heavy image work: call it from a thread (``asyncio.to_thread``).
    """
    if not isinstance(data, bytes | bytearray):
        raise ValidationFailed("no file data", code="invalid_upload")
    data = bytes(data)
    if not data:
        raise ValidationFailed("the file is empty", code="empty_upload")
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"the file is larger than {max_bytes} bytes", code="attachment_too_large", details={"max_bytes": max_bytes}
        )
    kind = detect(data)
    if kind is None:
        raise UnsupportedMediaType(
            "only photos (JPEG, PNG, WebP" + (", HEIC" if heic_supported() else "") + ") and PDF files can be attached",
            code="attachment_type_not_allowed",
        )
    width = height = None
    if kind == "pdf":
        if _PDF_ACTIVE.search(data) or _MARKUP.search(data):
            raise UnsupportedMediaType(
                "PDFs with scripts, launch actions or embedded files are not accepted", code="attachment_rejected"
            )
    else:
        data, kind, width, height = _reencode(data, kind)
    attachment_id = uuid.uuid4().hex
    return PreparedFile(
        kind=kind,
        content_type=CONTENT_TYPES[kind],
        data=data,
        original_name=_display_name(filename, kind),
        stored_name=f"{attachment_id}.{EXTENSIONS[kind]}",
        attachment_id=attachment_id,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )
