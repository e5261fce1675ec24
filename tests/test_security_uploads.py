"""Upload checks (type sniffing, size, names, polyglots), personal-number masking and verified
customer identities."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from conftest import make_settings, new_session

from nura_appliance.auth.customer import customer_signature
from nura_appliance.auth.masking import mask_personal, maybe_mask
from nura_appliance.auth.uploads import check_upload, download_headers, stored_path
from nura_appliance.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

HANDBOOK = {"pdf", "docx", "md", "txt", "html"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


PLAIN_ZIP = _plain_zip()


def docx(extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, data, kind",
    [
        ("handbook.pdf", PDF, "pdf"),
        ("policy.docx", docx(), "docx"),
        ("faq.md", "# الأسئلة\nما هي الباقات؟".encode(), "md"),
        ("notes.TXT", b"plain text", "txt"),
        ("page.html", b"<html><body><p>hello</p></body></html>", "html"),
    ],
)
def test_good_files_pass_and_get_generated_names(name, data, kind):
    checked = check_upload(name, data, HANDBOOK)
    assert checked.kind == kind and checked.size == len(data)
    assert checked.stored_name.endswith("." + kind) and len(checked.stored_name) == 32 + 1 + len(kind)
    assert checked.original_name == name
    assert check_upload(name, data, HANDBOOK).stored_name != checked.stored_name


@pytest.mark.parametrize(
    "name, data, code",
    [
        ("report.pdf", PNG, "upload_type_mismatch"),  # another type behind the extension
        ("report.pdf", b"just text", "upload_type_mismatch"),
        ("notes.txt", PDF, "upload_type_mismatch"),
        ("tool.exe", b"MZ\x90\x00", "upload_type_not_allowed"),
        ("handbook.pdf.exe", PDF, "upload_type_not_allowed"),
        ("README", b"no extension", "upload_type_not_allowed"),
        ("image.png", PNG, "upload_type_not_allowed"),  # not accepted by this endpoint
        ("vector.svg", b"<svg onload=alert(1)>", "upload_type_not_allowed"),
        ("binary.txt", b"abc\x00def", "upload_type_mismatch"),
        ("latin1.txt", "café".encode("latin-1"), "upload_type_mismatch"),
        ("fake.docx", b"PK\x03\x04garbage", "upload_type_mismatch"),
        ("archive.docx", PLAIN_ZIP, "upload_type_mismatch"),  # a zip, but not a Word document
    ],
)
def test_wrong_types_are_refused(name, data, code):
    with pytest.raises(UnsupportedMediaType) as caught:
        check_upload(name, data, HANDBOOK)
    assert caught.value.code == code and caught.value.status == 415


@pytest.mark.parametrize(
    "name, data",
    [
        ("photo.png", PNG + b"<script>alert(1)</script>"),  # image/HTML polyglot
        ("photo.png", PNG + b"<html><body onload=x>"),
        ("handbook.pdf", PDF + b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        ("handbook.pdf", PDF + b"/Launch /F (cmd.exe)"),
        ("handbook.pdf", PDF + b"<script>fetch('/v1/users')</script>"),
        ("notes.txt", b"hello <script>alert(1)</script>"),
        ("faq.md", b"[click](javascript:alert(1))"),
        ("macro.docx", docx({"word/vbaProject.bin": b"\x00macro"})),
        ("slip.docx", docx({"../../etc/cron.d/x": b"boom"})),
    ],
)
def test_polyglots_and_active_content_are_refused(name, data):
    with pytest.raises(UnsupportedMediaType) as caught:
        check_upload(name, data, HANDBOOK | {"png"})
    assert caught.value.code == "upload_rejected"


def test_zip_bombs_are_refused():
    bomb = docx({"word/media/zeros.bin": b"\x00" * 30_000_000})
    assert len(bomb) < 100_000
    with pytest.raises(UnsupportedMediaType, match="unreasonable size"):
        check_upload("bomb.docx", bomb, HANDBOOK, max_bytes=200_000)


def test_size_and_emptiness():
    with pytest.raises(PayloadTooLarge):
        check_upload("big.txt", b"a" * 1001, HANDBOOK, max_bytes=1000)
    assert check_upload("fits.txt", b"a" * 1000, HANDBOOK, max_bytes=1000).size == 1000
    with pytest.raises(ValidationFailed):
        check_upload("empty.txt", b"", HANDBOOK)


@pytest.mark.parametrize(
    "name, shown",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("/abs/path/notes.txt", "notes.txt"),
        ("re\u202eport\x00.txt", "report.txt"),
    ],
)
def test_traversal_names_never_reach_the_disk(tmp_path: Path, name, shown):
    checked = check_upload(name, b"hello", HANDBOOK)
    assert checked.original_name == shown
    assert "/" not in checked.stored_name and "\\" not in checked.stored_name and ".." not in checked.stored_name
    path = stored_path(tmp_path, checked.stored_name)
    assert path.parent == tmp_path.resolve()
    for bad in ("..", "../x.txt", ".", "", "passwd.txt"):
        with pytest.raises(NotFound):
            stored_path(tmp_path, bad)
    for bad_name in ("..", "/", "...", "\\"):
        with pytest.raises(ValidationFailed):
            check_upload(bad_name, b"x", HANDBOOK)


def test_download_headers_are_safe():
    headers = download_headers("html", 'حمل"; x=y.html')
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Content-Disposition"].startswith("attachment;") and '"' not in headers["Content-Disposition"].split(
        'filename="', 1
    )[1].rstrip('"')
    assert headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("اتصل على 07701234567 رجاء", "اتصل على ********567 رجاء"),
        ("+964 770 123 4567", "**********567"),
        ("0770-123-4567", "********567"),
        ("رقمي ٠٧٧٠١٢٣٤٥٦٧", "رقمي ********٥٦٧"),
        ("national id 199012345678", "national id *********678"),
        ("price 25000 IQD, order 123456", "price 25000 IQD, order 123456"),
        ("on 2024-05-01 at 10:30", "on 2024-05-01 at 10:30"),
        ("pi 3.14159265", "pi 3.14159265"),
        ("amount 1,250,000", "amount 1,250,000"),
        ("", ""),
    ],
)
def test_mask_personal(text, expected):
    assert mask_personal(text) == expected


def test_maybe_mask_follows_the_setting(data_dir):
    assert maybe_mask(make_settings(data_dir), "07701234567") == "07701234567"
    assert maybe_mask(make_settings(data_dir, MASK_PERSONAL_DATA=True), "07701234567") == "********567"
    assert mask_personal(None) is None


SECRET = "host-shared-secret-0123456789"


@pytest.fixture
def settings(ready_data_dir):
    return make_settings(ready_data_dir, CUSTOMER_HMAC_SECRET=SECRET)


async def _customer_of(app, session_id: str) -> str | None:
    row = await app.ctx.nura.db.fetchone("SELECT customer_id FROM sessions WHERE id = ?", (session_id,))
    return row["customer_id"]


async def test_a_signed_customer_id_is_trusted(app, client):
    answer = await new_session(
        client, "hello", customer_id="cust-42", customer_signature=customer_signature(SECRET, "cust-42")
    )
    assert await _customer_of(app, answer["session_id"]) == "cust-42"


async def test_an_unsigned_customer_id_is_dropped(app, client):
    answer = await new_session(client, "hello", customer_id="cust-42")
    assert await _customer_of(app, answer["session_id"]) is None
    events = (await app.ctx.nura.audit.security_page(event="customer_unverified"))["entries"]
    assert events and events[0]["detail"]["customer_id"] == "cust-42"


async def test_a_signature_for_another_customer_is_refused(app, client):
    resp = await client.post(
        "/v1/message",
        json={
            "session_id": None,
            "message": "show my bills",
            "customer_id": "cust-42",
            "customer_signature": customer_signature(SECRET, "cust-7"),
        },
    )
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "customer_signature_invalid"
    resp = await client.post(
        "/v1/message",
        json={
            "session_id": None,
            "message": "hi",
            "customer_id": "cust-42",
            "customer_signature": ["not", "a", "string"],
        },
    )
    assert resp.status_code == 403
